"""The OCC's list of gestori (elenco dei gestori della crisi) and their appointments to dossiers."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from shared_registry.models import Registrant

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow


class Gestore(TenantOwned, Base):
    """A registrant enrolled in the Order's list of gestori (DM 202/2014 art. 4)."""

    __tablename__ = "gestori"
    __table_args__ = (UniqueConstraint("tenant_id", "registrant_id"),)
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The registry has its own metadata and migration stream: the link is by id, without a constraint.
    registrant_id: Mapped[int] = mapped_column(Integer, index=True)
    enrolled_on: Mapped[date] = mapped_column(Date)
    # The registry keeps only the codice fiscale: the professional's VAT number is screened for conflicts too.
    partita_iva: Mapped[str] = mapped_column(String(11), default="")
    # Qualifications (art. 4 co. 5): degree, initial course (200 hours, or 40 for registered
    # professionals) and the six-month traineeship.
    degree: Mapped[str] = mapped_column(String(200), default="")
    course_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    course_completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    traineeship_completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    circondario: Mapped[str] = mapped_column(String(120), default="")
    specialisations: Mapped[list] = mapped_column(JSON, default=list)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    # attivo | sospeso | decaduto | cancellato, with the reason and since when.
    status: Mapped[str] = mapped_column(String(20), default="attivo")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    registrant: Mapped[Registrant] = relationship(
        Registrant,
        primaryjoin=lambda: foreign(Gestore.registrant_id) == Registrant.id, viewonly=True, lazy="joined")
    trainings: Mapped[list["GestoreTraining"]] = relationship(
        back_populates="gestore", cascade="all, delete-orphan", order_by="GestoreTraining.on")
    links: Mapped[list["GestoreLink"]] = relationship(
        back_populates="gestore", cascade="all, delete-orphan", order_by="GestoreLink.id")


class GestoreTraining(TenantOwned, Base):
    """Hours of update training (aggiornamento biennale, 40 hours per biennium)."""

    __tablename__ = "gestore_trainings"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gestore_id: Mapped[int] = mapped_column(ForeignKey("gestori.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))

    gestore: Mapped[Gestore] = relationship(back_populates="trainings")


class GestoreLink(TenantOwned, Base):
    """A declared tie that may put the gestore in conflict: an associate professional, a relationship,
    or work done for a subject (DM 202 art. 11 co. 3: none for the debtor in the last five years)."""

    __tablename__ = "gestore_links"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gestore_id: Mapped[int] = mapped_column(ForeignKey("gestori.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # associato | relazione | incarico
    name: Mapped[str] = mapped_column(String(200))
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="", index=True)
    partita_iva: Mapped[str] = mapped_column(String(11), default="", index=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    # For work done for a subject: when it ended (the five-year window runs from there).
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    gestore: Mapped[Gestore] = relationship(back_populates="links")


class Appointment(TenantOwned, Base):
    """A gestore designated for a dossier; collegial appointments have up to three rows at once.
    A replacement ends the row and points at the new one: history is kept."""

    __tablename__ = "appointments"
    __table_args__ = (
        # The dossiers of a gestore in force (the dossier list's filter), without reading the rows on PostgreSQL.
        Index("ix_appointments_in_force_by_gestore", "gestore_id", "dossier_id", postgresql_include=["tenant_id"],
              postgresql_where=text("ended_at IS NULL AND declined_at IS NULL"),
              sqlite_where=text("ended_at IS NULL AND declined_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    gestore_id: Mapped[int] = mapped_column(ForeignKey("gestori.id"), index=True)
    # Importance weight of the dossier when appointed, so rotation counts stay stable afterwards.
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    appointed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    override_reason: Mapped[str] = mapped_column(Text, default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The gestore's declaration of independence for this dossier (DM 202 art. 11 co. 3-4).
    independence_declared_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    declined_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)

    gestore: Mapped[Gestore] = relationship()

    @property
    def in_force(self) -> bool:
        return self.ended_at is None and self.declined_at is None


class AppointmentLogEntry(TenantOwned, Base):
    """Append-only, hash-chained record of every proposal, draw and decision on appointments.

    ``hash`` is SHA-256 over the previous entry's hash and this entry's canonical content, so any
    change to a past entry breaks every later link."""

    __tablename__ = "appointment_log"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
