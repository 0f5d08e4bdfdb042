"""Newsletters, the Order's custom mailing lists and the addresses that asked to receive no more."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

BOZZA, PROGRAMMATA, IN_INVIO, INVIATA, ANNULLATA = "bozza", "programmata", "in_invio", "inviata", "annullata"
STATES = {BOZZA: "Bozza", PROGRAMMATA: "Programmata", IN_INVIO: "In invio", INVIATA: "Inviata",
          ANNULLATA: "Annullata"}
ISCRITTI, GESTORI, LISTA = "iscritti", "gestori", "lista"
AUDIENCES = {ISCRITTI: "Iscritti all'Albo", GESTORI: "Gestori della crisi iscritti nell'elenco",
             LISTA: "Lista personalizzata"}


class MailingList(TenantOwned, Base):
    """A custom list of addresses (lista personalizzata), picked from the registry or typed."""

    __tablename__ = "newsletter_lists"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    members: Mapped[list["ListMember"]] = relationship(
        back_populates="mailing_list", cascade="all, delete-orphan", order_by="ListMember.email")


class ListMember(TenantOwned, Base):
    __tablename__ = "newsletter_list_members"
    __table_args__ = (UniqueConstraint("list_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("newsletter_lists.id", ondelete="CASCADE"), index=True)
    # The registry has its own metadata and migration stream: the link is by id, without a constraint.
    registrant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254))

    mailing_list: Mapped[MailingList] = relationship(back_populates="members")


class Newsletter(TenantOwned, Base):
    """A newsletter: its content, its audience (a segment of the registry, of the gestori, or a list),
    and, once started, the outbox message whose deliveries are its recipients."""

    __tablename__ = "newsletters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text, default="")
    # As the author wrote it; empty: derived from the HTML when sent.
    body_text: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(20), default=ISCRITTI)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    list_id: Mapped[int | None] = mapped_column(ForeignKey("newsletter_lists.id", ondelete="SET NULL"), nullable=True)
    # The audience in words, written when the sending starts: the archive shows it even if the list is gone.
    audience_label: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(20), default=BOZZA, index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Counted when the sending starts: recipients, and who was left out (no email, unsubscribed, repeated).
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Unsubscribe(TenantOwned, Base):
    """An address that asked to receive no more newsletters of the Order. The Order can subscribe it
    again only when its owner asks, and writes down how the request came."""

    __tablename__ = "newsletter_unsubscribes"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    unsubscribed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    newsletter_id: Mapped[int | None] = mapped_column(ForeignKey("newsletters.id", ondelete="SET NULL"), nullable=True)
    resubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resubscribed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resubscribe_note: Mapped[str] = mapped_column(Text, default="")
