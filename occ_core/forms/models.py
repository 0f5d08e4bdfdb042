"""The Order's templates (modelli) and their uploaded versions.

A library template (``preventivo`` ...) needs no row until the Order uploads its own version: until then,
and whenever the Order goes back to it, the built-in default is used. A template of the Order's own (a new
code) always has an uploaded version active. A version's content lives in the content-addressed storage
under its SHA-256; rows are never deleted, so every earlier version can be activated again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow

class FormTemplate(TenantOwned, Base):
    __tablename__ = "form_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The fascicolo's category of the documents generated from it (occ_core.documents.checklist).
    category: Mapped[str] = mapped_column(String(40), default="corrispondenza")
    # The number of the version in use; None: the built-in default (library templates only).
    active_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    versions: Mapped[list["FormTemplateVersion"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="FormTemplateVersion.number")

    @property
    def active(self) -> "FormTemplateVersion | None":
        return next((v for v in self.versions if v.number == self.active_number), None)


class FormTemplateVersion(TenantOwned, Base):
    __tablename__ = "form_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("form_templates.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # The uploaded file's own name, for display and downloads only.
    filename: Mapped[str] = mapped_column(String(200))
    # "docx" when LibreOffice converted a Word file: the stored content is always the ODT.
    converted_from: Mapped[str] = mapped_column(String(10), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    # When it last rendered against the sample data: at the upload, and again at every activation (the
    # data a template may use can change with the platform).
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    template: Mapped[FormTemplate] = relationship(back_populates="versions")
