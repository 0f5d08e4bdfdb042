"""Declarative base of the registry, with its own metadata and therefore its own migration stream."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, MetaData
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class RegistryBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantOwned:
    """Rows that belong to one Order. The platform scopes every query on this mixin automatically.

    ``tenant_id`` carries no foreign key: the Orders table belongs to whichever system hosts the
    registry (the OCC platform, or the Order's Albo)."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(Integer, nullable=False, index=True)


class UtcDateTime(TypeDecorator):
    """Timestamp stored in UTC; SQLite returns naive values, so they are marked UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value
