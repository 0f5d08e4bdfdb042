from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, JSON
from sqlalchemy.orm import Mapped, mapped_column

from occ_core.db import Base, TenantOwned, UtcDateTime, utcnow


def new_config_stamp() -> str:
    return secrets.token_hex(8)


class Tenant(Base):
    """An Order (or other founding body) that runs an OCC."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Configuration parameters of the Order (parametri di configurazione dell'Ordine).
    occ_name: Mapped[str] = mapped_column(String(200), default="")
    codice_fiscale: Mapped[str] = mapped_column(String(16), default="")
    partita_iva: Mapped[str] = mapped_column(String(11), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(2), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    pec: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    ipa_code: Mapped[str] = mapped_column(String(20), default="")
    aoo_code: Mapped[str] = mapped_column(String(20), default="")
    referente_name: Mapped[str] = mapped_column(String(200), default="")
    referente_email: Mapped[str] = mapped_column(String(200), default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    logo_type: Mapped[str] = mapped_column(String(40), default="")
    # Module and feature preferences (e.g. fee defaults, editable registrant fields), by key.
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    # Changes whenever the Order, its contracts, modules, roles, grants or memberships do (in the same
    # transaction): web processes keep those per process and reload them when the stamp differs.
    # Random rather than a counter, so that a stamp never comes back (a restored backup, a test
    # database emptied and refilled with the same ids).
    config_stamp: Mapped[str] = mapped_column(String(32), default=new_config_stamp, server_default="")

    @property
    def display_name(self) -> str:
        return self.occ_name or self.name


class Contract(TenantOwned, Base):
    """A module made available to an Order for a period by the platform operator."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class TenantModule(TenantOwned, Base):
    """Whether the Order's administrator enabled an available module."""

    __tablename__ = "tenant_modules"
    __table_args__ = (UniqueConstraint("tenant_id", "module"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    module: Mapped[str] = mapped_column(String(60))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
