"""The OCC's agenda: meeting rooms, events (meetings, hearings, internal activities, deadlines), their
participants, the reminders sent, and the personal calendar feeds."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow


class Room(TenantOwned, Base):
    """A meeting room of the OCC, with its capacity and weekly opening hours."""

    __tablename__ = "agenda_rooms"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    location: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    # ISO weekday ("1" Monday .. "7" Sunday) -> list of ["HH:MM", "HH:MM"] intervals, Italian time.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class Event(TenantOwned, Base):
    """An event of the agenda, of a dossier or of the OCC as a whole."""

    __tablename__ = "agenda_events"
    __table_args__ = (
        Index("ix_agenda_events_tenant_starts_at", "tenant_id", "starts_at"),
        Index("ix_agenda_events_room_starts_at", "room_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # incontro_debitore | incontro_creditori | udienza | attivita_interna | scadenza | altro
    kind: Mapped[str] = mapped_column(String(30), default="incontro_debitore")
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), nullable=True,
                                                   index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_rooms.id"), nullable=True)
    # The gestore taking part (a gestore cannot be in two places at once).
    gestore_id: Mapped[int | None] = mapped_column(ForeignKey("gestori.id"), nullable=True, index=True)
    place: Mapped[str] = mapped_column(String(200), default="")  # outside the OCC's rooms (e.g. the court)
    online_url: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Increased at every change that participants must know of (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_reason: Mapped[str] = mapped_column(String(200), default="")
    uid: Mapped[str] = mapped_column(String(80), unique=True)

    participants: Mapped[list["Participant"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Participant.id")


class Participant(TenantOwned, Base):
    """Someone taking part in an event: a user of the Order, the gestore, a debtor, a creditor, a guest."""

    __tablename__ = "agenda_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("agenda_events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="ospite")  # utente | gestore | debitore | creditore | ospite
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")

    event: Mapped[Event] = relationship(back_populates="participants")


class ReminderSent(TenantOwned, Base):
    """A reminder queued for one participant of one event at one of the Order's offsets: at most once."""

    __tablename__ = "agenda_reminders"
    __table_args__ = (UniqueConstraint("participant_id", "offset_minutes", "event_sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("agenda_events.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("agenda_participants.id", ondelete="CASCADE"))
    offset_minutes: Mapped[int] = mapped_column(Integer)
    event_sequence: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    outbox_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CalendarFeed(TenantOwned, Base):
    """A user's personal iCalendar feed: the URL carries a signed token naming this row; revoking the row
    kills the URL."""

    __tablename__ = "agenda_calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Random part of the token, so that a new feed never has the URL of a revoked one.
    nonce: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
