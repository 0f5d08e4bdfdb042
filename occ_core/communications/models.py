"""Communications to the parties of a dossier, their recipients, the tax offices the Order writes to, and
the Order's settings of the automatic notices (avvisi)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

MANUAL, NOTICE = "manuale", "avviso"


class Communication(TenantOwned, Base):
    """One communication of a dossier to one or more parties: protocolled as outgoing and sent through the
    dispatch outbox. An automatic notice carries the key of the event it answers (``notice_key``), unique per
    Order, so that one event never sends twice; when it could not be sent, ``problem`` says why."""

    __tablename__ = "communications"
    __table_args__ = (UniqueConstraint("tenant_id", "notice_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=MANUAL)  # manuale | avviso
    notice_kind: Mapped[str] = mapped_column(String(30), default="")
    notice_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    template_code: Mapped[str] = mapped_column(String(60), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("protocol_registrations.id"), nullable=True)
    problem: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    recipients: Mapped[list["CommunicationRecipient"]] = relationship(
        back_populates="communication", cascade="all, delete-orphan", order_by="CommunicationRecipient.position")


class CommunicationRecipient(TenantOwned, Base):
    """A recipient of a communication: the party, the address and channel used, and its outbox delivery."""

    __tablename__ = "communication_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    communication_id: Mapped[int] = mapped_column(ForeignKey("communications.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # debitore | creditore | gestore | parte | ufficio, with the row's id (the Gestore's, not the appointment's).
    party_kind: Mapped[str] = mapped_column(String(20))
    party_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_deliveries.id"), nullable=True, index=True)

    communication: Mapped[Communication] = relationship(back_populates="recipients")


class TaxOffice(TenantOwned, Base):
    """An office the Order notifies of a debtor's incarico or proposal, under the rule of the procedure
    (``Procedure.tax_notice``): the agente della riscossione, the Agenzia delle Entrate, a municipality's tax
    office ... An office with a province is suggested for debtors living there; one without serves everybody
    (the agente della riscossione)."""

    __tablename__ = "communication_offices"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="altro")
    name: Mapped[str] = mapped_column(String(200))
    pec: Mapped[str] = mapped_column(String(254), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    province: Mapped[str] = mapped_column(String(2), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class NoticeSetting(TenantOwned, Base):
    """The Order's version of one kind of automatic notice; without a row the built-in one applies."""

    __tablename__ = "communication_notice_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # Which parties receive it: debitore, gestore, avvocato.
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    # For reminders: how many days before the meeting or the deadline.
    days_before: Mapped[int] = mapped_column(Integer, default=3)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
