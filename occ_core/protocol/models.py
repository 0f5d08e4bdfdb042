"""The protocollo informatico (DPR 445/2000 artt. 53-57): registers, registrations, their documents,
annulments, corrections and the daily registers.

The data of art. 53 (number, date, correspondents, subject, received document's date and number,
impronta) are never overwritten silently: an annulment is a row of its own that leaves the registration
legible, and a correction keeps the earlier value in a row of its own. Only the assignment and the
classification may change freely."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow


class ProtocolRegister(TenantOwned, Base):
    """A register of the Order's AOO (usually one, the general protocol); numbers restart every year."""

    __tablename__ = "protocol_registers"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # CodiceRegistro of the segnatura: [A-Za-z0-9_.-]{1,16}.
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProtocolCounter(TenantOwned, Base):
    """The last number given by a register in a solar year; locked while a registration takes the next."""

    __tablename__ = "protocol_counters"
    __table_args__ = (UniqueConstraint("register_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("protocol_registers.id"))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Registration(TenantOwned, Base):
    """One registration of protocol: incoming (entrata), outgoing (uscita) or internal (interno)."""

    __tablename__ = "protocol_registrations"
    __table_args__ = (
        UniqueConstraint("register_id", "year", "number"),
        Index("ix_protocol_registrations_tenant_registered_at", "tenant_id", "registered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("protocol_registers.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    direction: Mapped[str] = mapped_column(String(10))  # entrata | uscita | interno
    subject: Mapped[str] = mapped_column(Text)
    # How it arrived or left: pec | email | posta | raccomandata | mano | portale | altro.
    means: Mapped[str] = mapped_column(String(20), default="pec")
    # Art. 53 lett. e: date and number of the document received (incoming only, when it has them).
    received_doc_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    received_doc_number: Mapped[str] = mapped_column(String(60), default="")
    # Fascicolazione: the dossier the correspondence belongs to.
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), nullable=True, index=True)
    # The only data that may change freely (Linee guida AgID): classification and internal assignment.
    classification: Mapped[str] = mapped_column(String(60), default="")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    assigned_office: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where the registration came from (a PEC message id, a module's reference) so an import is idempotent.
    source: Mapped[str] = mapped_column(String(40), default="manuale")
    source_ref: Mapped[str] = mapped_column(String(255), default="", index=True)
    # Denormalised for the list and the search: the correspondents' names.
    correspondent_names: Mapped[str] = mapped_column(String(500), default="")

    correspondents: Mapped[list["Correspondent"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Correspondent.position")
    files: Mapped[list["RegistrationFile"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="RegistrationFile.position")
    annulment: Mapped["Annulment | None"] = relationship(back_populates="registration", uselist=False)
    corrections: Mapped[list["Correction"]] = relationship(
        back_populates="registration", order_by="Correction.id")

    @property
    def annulled(self) -> bool:
        return self.annulment is not None


class Correspondent(TenantOwned, Base):
    """The sender (mittente) of an incoming registration or one of the recipients (destinatari)."""

    __tablename__ = "protocol_correspondents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("protocol_registrations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # mittente | destinatario
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    tax_code: Mapped[str] = mapped_column(String(16), default="")
    address: Mapped[str] = mapped_column(String(300), default="")  # PEC, e-mail or postal address

    registration: Mapped[Registration] = relationship(back_populates="correspondents")


class RegistrationFile(TenantOwned, Base):
    """The primary document or an attachment of a registration, with its impronta (SHA-256 of the
    exact bytes, stored raw: 32 bytes, shown as base64 in the segnatura and as hex to people)."""

    __tablename__ = "protocol_files"
    __table_args__ = (UniqueConstraint("registration_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("protocol_registrations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0 is the primary document
    role: Mapped[str] = mapped_column(String(10))  # primario | allegato
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The same content filed in the dossier's electronic file, when the registration is in a dossier.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)

    registration: Mapped[Registration] = relationship(back_populates="files")

    @property
    def digest_hex(self) -> str:
        return self.sha256.hex()


class Annulment(TenantOwned, Base):
    """The annulment of a whole registration (DPR 445/2000 art. 54): who, when, why, on whose authority."""

    __tablename__ = "protocol_annulments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("protocol_registrations.id"), unique=True)
    annulled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    annulled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    # The authorising act (provvedimento di autorizzazione): its reference and date.
    act_reference: Mapped[str] = mapped_column(String(120))
    act_date: Mapped[date] = mapped_column(Date)

    registration: Mapped[Registration] = relationship(back_populates="annulment")


class Correction(TenantOwned, Base):
    """A correction of one field: the earlier value is kept here, with date, time and author."""

    __tablename__ = "protocol_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("protocol_registrations.id"), index=True)
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    corrected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")

    registration: Mapped[Registration] = relationship(back_populates="corrections")


class DailyRegister(TenantOwned, Base):
    """The registro giornaliero of one register and day: produced once, never changed; its files are in the
    content-addressed storage and their digests are kept here."""

    __tablename__ = "protocol_daily_registers"
    __table_args__ = (UniqueConstraint("register_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("protocol_registers.id"))
    day: Mapped[date] = mapped_column(Date)
    # Progressive number of the daily registers of the register within the year.
    sequence: Mapped[int] = mapped_column(Integer)
    produced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    registrations: Mapped[int] = mapped_column(Integer, default=0)
    annulments: Mapped[int] = mapped_column(Integer, default=0)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    first_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The register's own impronta is the SHA-256 of its PDF; the CSV has its digest too.
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_format: Mapped[str] = mapped_column(String(20))  # PDF/A-2b | PDF
    csv_sha256: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
