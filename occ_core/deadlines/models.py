"""The deadlines engine (scadenze): the Order's rules, each dossier's deadlines with how they were computed,
and the dated acts (milestones) that trigger them."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

if TYPE_CHECKING:
    from occ_core.dossiers.models import Dossier


class DeadlineRule(TenantOwned, Base):
    """A legal term as data: when it starts (trigger), how long it is, which way it runs, who must act.

    Seeded from the built-in catalogue of occ-law.md 3.7 (``code`` D1, D3 ...); the Order may edit and add."""

    __tablename__ = "deadline_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200))
    # Procedure codes the rule applies to (empty: every procedure).
    procedures: Mapped[list] = mapped_column(JSON, default=list)
    # stato (a dossier reaching a state) | evento (an agenda event of a kind, e.g. udienza) |
    # atto (a milestone entered on the dossier) | scadenza (the end of another rule's deadline).
    trigger_kind: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(60))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(10), default="giorni")  # giorni | mesi | anni
    # avanti: from the trigger onwards; ritroso: before the trigger (e.g. N days before a hearing).
    direction: Mapped[str] = mapped_column(String(10), default="avanti")
    # entro: the act is due by the date; dal: the date is the earliest one (e.g. esdebitazione after 3 years).
    kind: Mapped[str] = mapped_column(String(10), default="entro")
    # Art. 155 co. 5: a term for an act outside a hearing that ends on a Saturday moves to Monday.
    outside_hearing: Mapped[bool] = mapped_column(Boolean, default=True)
    # Repeat every ``amount`` ``unit`` after the previous occurrence is done (e.g. the six-monthly report).
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    who: Mapped[str] = mapped_column(String(20), default="occ")  # occ | gestore | debitore | creditori | tribunale | liquidatore | uffici
    source: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")


class Milestone(TenantOwned, Base):
    """A dated act of a dossier that starts terms (decree, communication to the creditors, conferral ...)."""

    __tablename__ = "deadline_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Deadline(TenantOwned, Base):
    """One deadline of a dossier, computed from a rule (or entered by hand), with the computation's steps."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_tenant_due_on", "tenant_id", "due_on"),
        # A trigger produces a rule's deadline once (a repeated transition or a re-run adds nothing).
        UniqueConstraint("dossier_id", "rule_id", "trigger_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("deadline_rules.id"), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    who: Mapped[str] = mapped_column(String(20), default="occ")
    kind: Mapped[str] = mapped_column(String(10), default="entro")
    # What started it: "transition:<id>", "event:<id>", "milestone:<id>", "deadline:<id>", "manuale:<n>".
    trigger_ref: Mapped[str] = mapped_column(String(60))
    trigger_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    # The steps of the computation, in Italian, shown on the page ("termine di 30 giorni dal ...").
    computation: Mapped[list] = mapped_column(JSON, default=list)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_note: Mapped[str] = mapped_column(String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    rule: Mapped[DeadlineRule | None] = relationship()
    dossier: Mapped["Dossier"] = relationship()
