from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOptional, UtcDateTime, utcnow

QUEUED, SENDING, SENT, DELIVERED, FAILED = "queued", "sending", "sent", "delivered", "failed"
# Taken out of the queue before it was sent (the recipient unsubscribed, the sending was stopped).
CANCELLED = "cancelled"
STATUS_LABELS = {QUEUED: "In coda", SENDING: "In invio", SENT: "Inviato", DELIVERED: "Consegnato",
                 FAILED: "Non riuscito", CANCELLED: "Annullato"}


class OutboxMessage(TenantOptional, Base):
    """A message to send to one or more recipients through one channel."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(60), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Small files sent with the message (an invitation's .ics): [{"filename", "content_type", "data" (base64)}].
    attachments: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Sent in batches (a newsletter) rather than one task per delivery: at most ``batch_size`` deliveries
    # per task and ``rate_per_minute`` per minute (None: no limit). None for one task per delivery.
    batch_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Each batch task carries the round it was scheduled for and moves it on in one UPDATE: a duplicate
    # of the task finds its round taken and does nothing, so the rate holds whatever the broker does.
    batch_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_batch_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="message", order_by="Delivery.id")


class Delivery(TenantOptional, Base):
    """The sending of a message to one recipient, with its status and attempts."""

    __tablename__ = "outbox_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str] = mapped_column(String(200), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # What this recipient's copy has of its own: {"fields": {name: value}, "headers": {name: value}}
    # (see channels.build_email), e.g. a newsletter's signed unsubscribe link.
    personalisation: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    message: Mapped[OutboxMessage] = relationship(back_populates="deliveries")
    events: Mapped[list["DeliveryEvent"]] = relationship(order_by="DeliveryEvent.id")


class DeliveryEvent(TenantOptional, Base):
    """A status change or receipt of a delivery (accettazione, consegna, errore ...)."""

    __tablename__ = "outbox_delivery_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("outbox_deliveries.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
