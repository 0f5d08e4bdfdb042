"""Income and expenses of the Order's OCC, per dossier or general (prima nota di cassa)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

if TYPE_CHECKING:  # the dossiers' models import this module
    from occ_core.dossiers.models import Dossier

MONEY = Numeric(14, 2)


class Movement(TenantOwned, Base):
    """One receipt or payment. Amounts are positive; ``direction`` says which way the money went."""

    __tablename__ = "ledger_movements"
    __table_args__ = (Index("ix_ledger_movements_tenant_on", "tenant_id", "on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Empty for the Order's general income and expenses.
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=True,
                                                   index=True)
    on: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(10))  # entrata | uscita
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    method: Mapped[str] = mapped_column(String(20), default="transfer")  # transfer | pagopa | pos | cash | cheque | other
    # CRO/TRN of a transfer, IUV of a pagoPA notice, receipt number.
    reference: Mapped[str] = mapped_column(String(140), default="")
    # The receipt (quietanza), stored content-addressed.
    receipt_sha256: Mapped[str] = mapped_column(String(64), default="")
    receipt_filename: Mapped[str] = mapped_column(String(200), default="")
    receipt_media_type: Mapped[str] = mapped_column(String(100), default="")
    reconciliation: Mapped[str] = mapped_column(String(20), default="pending")  # pending | reconciled
    reconciled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A collection settles an invoice to a party; a payment may settle a gestore's invoice.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), nullable=True, index=True)
    gestore_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("gestore_invoices.id"), nullable=True,
                                                           index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where the row comes from ("manuale", or the posting feature and its reference) so a repost is idempotent.
    source: Mapped[str] = mapped_column(String(40), default="manuale")
    source_ref: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    dossier: Mapped["Dossier | None"] = relationship(back_populates="movements")
