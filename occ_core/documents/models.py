"""The electronic file (fascicolo elettronico): documents of a dossier and their versions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow


class Document(TenantOwned, Base):
    """A document of a dossier, incoming or outgoing; its content lives in its versions."""

    __tablename__ = "documents"
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10), default="entrata")  # entrata | uscita | interno
    category: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    # Who may see it besides the OCC's staff: interno | gestore | debitore | creditori.
    visibility: Mapped[str] = mapped_column(String(20), default="interno")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Withdrawn documents stay in the file, marked, with the reason (nothing is ever deleted).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")

    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", order_by="DocumentVersion.version", cascade="all, delete-orphan")

    @property
    def current(self) -> "DocumentVersion | None":
        return self.versions[-1] if self.versions else None


class DocumentVersion(TenantOwned, Base):
    """One uploaded content of a document; the bytes are in the storage under their SHA-256."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")

    document: Mapped[Document] = relationship(back_populates="versions")
