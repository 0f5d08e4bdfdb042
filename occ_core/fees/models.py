"""Fee estimates (preventivi, DM 202/2014 art. 10 co. 3) saved on a dossier with their inputs.

An estimate is never edited: a new calculation is a new version, so the debtor's signed preventivo can
always be reprinted exactly as it was given."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

MONEY = Numeric(14, 2)


class FeeEstimate(TenantOwned, Base):
    __tablename__ = "fee_estimates"
    __table_args__ = (UniqueConstraint("dossier_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The calculation's own version (bracket table and algorithm), so old estimates stay explainable.
    rules_version: Mapped[str] = mapped_column(String(30))
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    # Which of the three values is proposed to the debtor: minimo | medio | massimo.
    proposed: Mapped[str] = mapped_column(String(10), default="medio")
    # The proposed fee (compenso + spese generali, before expenses and IVA) and the proposed total due.
    proposed_fee: Mapped[Decimal] = mapped_column(MONEY)
    proposed_total: Mapped[Decimal] = mapped_column(MONEY)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
