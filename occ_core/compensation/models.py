"""What the OCC owes its gestori: the split of collected fees, the gestori's own invoices and payments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

MONEY = Numeric(14, 2)
RATE = Numeric(5, 2)


class GestoreTaxProfile(TenantOwned, Base):
    """How a gestore invoices the OCC: IVA regime, cassa previdenziale and ritenuta d'acconto."""

    __tablename__ = "gestore_tax_profiles"
    __table_args__ = (UniqueConstraint("gestore_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gestore_id: Mapped[int] = mapped_column(ForeignKey("gestori.id", ondelete="CASCADE"))
    vat_regime: Mapped[str] = mapped_column(String(20), default="ordinario")  # ordinario | forfettario
    vat_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("22.00"))
    pension_fund: Mapped[str] = mapped_column(String(4), default="TC02")  # TipoCassa, empty for none
    pension_fund_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("4.00"))
    withholding: Mapped[bool] = mapped_column(Boolean, default=True)
    withholding_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("20.00"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SplitOverride(TenantOwned, Base):
    """A dossier whose gestore share differs from the Order's rule, with the reason."""

    __tablename__ = "compensation_split_overrides"
    __table_args__ = (UniqueConstraint("dossier_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    gestore_percent: Mapped[Decimal] = mapped_column(RATE)
    reason: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class GestoreInvoice(TenantOwned, Base):
    """A gestore's invoice (parcella) to the OCC, recorded with its build-up: compenso, cassa, IVA, ritenuta."""

    __tablename__ = "gestore_invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "gestore_id", "number", "issued_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gestore_id: Mapped[int] = mapped_column(ForeignKey("gestori.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True, index=True)
    number: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date] = mapped_column(Date)
    period_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    fee: Mapped[Decimal] = mapped_column(MONEY)
    pension_fund: Mapped[str] = mapped_column(String(4), default="")
    pension_fund_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0"))
    pension_fund_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0"))
    vat_nature: Mapped[str] = mapped_column(String(4), default="")
    vat_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    stamp_duty: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    withholding_rate: Mapped[Decimal] = mapped_column(RATE, default=Decimal("0"))
    withholding_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(MONEY)
    net_payable: Mapped[Decimal] = mapped_column(MONEY)
    receipt_sha256: Mapped[str] = mapped_column(String(64), default="")
    receipt_filename: Mapped[str] = mapped_column(String(200), default="")
    receipt_media_type: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
