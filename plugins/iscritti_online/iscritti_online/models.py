"""Tables of the module: the link between a login and a registrant, and the change requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.accounts.models import User
from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow
from shared_registry.models import Registrant

PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
STATUS_LABELS = {PENDING: "In attesa", APPROVED: "Approvata", REJECTED: "Respinta", WITHDRAWN: "Ritirata"}
STATUS_BADGES = {PENDING: "warning", APPROVED: "success", REJECTED: "danger", WITHDRAWN: "secondary"}

# The registry lives on its own metadata: foreign keys name its column object rather than a string.
REGISTRANT_ID = Registrant.__table__.c.id


class RegistrantAccount(TenantOwned, Base):
    """Which user speaks for which registrant of the Order (one each way)."""

    __tablename__ = "iscritti_online_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"), UniqueConstraint("registrant_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registrant_id: Mapped[int] = mapped_column(ForeignKey(REGISTRANT_ID, ondelete="CASCADE"))
    activated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    # The class itself, not its name: the registry's classes live in another declarative registry.
    registrant: Mapped[Registrant] = relationship(Registrant, lazy="joined")


class ChangeRequest(TenantOwned, Base):
    """Values a registrant asked to change, waiting for (or after) the secretariat's decision.

    ``requested`` and ``previous`` map field names to JSON values (dates as ISO strings): what the
    registrant asked for, and what the registry held when they asked."""

    __tablename__ = "iscritti_online_change_requests"
    __table_args__ = (
        # At most one pending request per registrant, even under concurrent submissions.
        Index("uq_iscritti_online_change_requests_pending", "registrant_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey(REGISTRANT_ID, ondelete="CASCADE"), index=True)
    requested: Mapped[dict] = mapped_column(JSON, default=dict)
    previous: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    registrant: Mapped[Registrant] = relationship(Registrant, lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_badge(self) -> str:
        return STATUS_BADGES[self.status]
