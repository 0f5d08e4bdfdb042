from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_registry.db import RegistryBase, TenantOwned, UtcDateTime, utcnow

CATEGORIES = {
    "avvocato": "Avvocato",
    "commercialista": "Commercialista ed esperto contabile",
    "notaio": "Notaio",
    "consulente_lavoro": "Consulente del lavoro",
    "altro": "Altro",
}
STATUSES = {"attivo": "Attivo", "sospeso": "Sospeso", "cancellato": "Cancellato"}


class Registrant(TenantOwned, RegistryBase):
    """A registrant (iscritto) of an Order, keyed by codice fiscale within the Order."""

    __tablename__ = "registry_registrants"
    __table_args__ = (UniqueConstraint("tenant_id", "codice_fiscale"),)
    # Every change to these rows is written to the platform's audit log.
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    codice_fiscale: Mapped[str] = mapped_column(String(16))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(1), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    birth_place: Mapped[str] = mapped_column(String(100), default="")
    birth_province: Mapped[str] = mapped_column(String(2), default="")
    category: Mapped[str] = mapped_column(String(30), default="altro")
    albo_section: Mapped[str] = mapped_column(String(60), default="")
    registration_number: Mapped[str] = mapped_column(String(30), default="")
    registration_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="attivo")
    email: Mapped[str] = mapped_column(String(254), default="")
    pec: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    mobile: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(2), default="")
    specialisations: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    credits: Mapped[list["TrainingCredit"]] = relationship(
        back_populates="registrant", cascade="all, delete-orphan", order_by="TrainingCredit.year"
    )

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()


class TrainingCredit(TenantOwned, RegistryBase):
    """Training credits (crediti formativi) earned by a registrant in a solar year."""

    __tablename__ = "registry_training_credits"
    __table_args__ = (UniqueConstraint("registrant_id", "year"),)
    __audited__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrant_id: Mapped[int] = mapped_column(ForeignKey("registry_registrants.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    credits: Mapped[Decimal] = mapped_column(Numeric(6, 2))

    registrant: Mapped[Registrant] = relationship(back_populates="credits")
