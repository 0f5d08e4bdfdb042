"""Database: declarative base, per-request sessions joined to the transaction, tenant scoping."""
from __future__ import annotations

from functools import lru_cache
from operator import attrgetter

from zope.sqlalchemy.datamanager import ZopeTransactionEvents
from sqlalchemy import ForeignKey, Integer, engine_from_config, event
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)

from shared_registry.db import NAMING_CONVENTION, TenantOwned as RegistryTenantOwned, UtcDateTime, utcnow
from sqlalchemy import MetaData

__all__ = ["Base", "TenantOwned", "TenantOptional", "UtcDateTime", "utcnow", "TenantViolation"]


# Key of a table's ``info``: names of columns and indexes that migrations keep in the database and the model
# does not map (a PostgreSQL-only stored vector, say); the comparison of models and database leaves them out.
DATABASE_ONLY = "database_only"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantOwned:
    """Rows that belong to one Order (tenant): scoped automatically on every ORM query."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("tenants.id"), nullable=False, index=True)


class TenantOptional:
    """Rows of an Order or of the platform (empty tenant): audit entries, outbox messages.

    Inside an Order only its own rows are seen; platform pages, bound to no Order, see all."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int | None]:
        return mapped_column(Integer, ForeignKey("tenants.id"), nullable=True, index=True)


SCOPED_MIXINS = (TenantOwned, RegistryTenantOwned, TenantOptional)


class TenantViolation(RuntimeError):
    """A row of another Order was about to be written in a tenant-bound session."""


@lru_cache(maxsize=4096)
def tenant_criteria(tenant_id: int) -> tuple:
    """The loader criteria that scope a statement to one Order, built once per Order and process.

    Building them (analysing the lambdas) costs more than the rest of a small query; reusing them is
    safe because the options are immutable. ``tenant_id`` is a closure variable, which SQLAlchemy
    tracks as a bound parameter: every Order shares one compiled statement in the cache."""
    return tuple(
        with_loader_criteria(mixin, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
        for mixin in SCOPED_MIXINS
    )


def _scope_queries(execute_state):
    tenant_id = execute_state.session.info.get("tenant_id")
    if tenant_id is None or execute_state.execution_options.get("all_tenants"):
        return
    if not (execute_state.is_select or execute_state.is_update or execute_state.is_delete):
        return
    execute_state.statement = execute_state.statement.options(*tenant_criteria(tenant_id))


def read_named_order(session: Session, statement, params: dict):
    """Run a read that names its Order itself (built with ``all_tenants``) on the session's connection,
    without the ORM's machinery: for the counts that every page shows it costs more than the count."""
    if not statement.get_execution_options().get("all_tenants"):
        raise TenantViolation("only statements that name their Order skip the scoping")
    if session.autoflush:
        session.flush()  # as the ORM would before a query: pending changes are counted
    return session.connection().execute(statement, params)


def _stamp_and_guard(session, flush_context, instances):
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        return
    for obj in session.new:
        if isinstance(obj, SCOPED_MIXINS) and obj.tenant_id is None:
            obj.tenant_id = tenant_id
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SCOPED_MIXINS) and obj.tenant_id != tenant_id:
            raise TenantViolation(f"{type(obj).__name__} of tenant {obj.tenant_id} in session of {tenant_id}")


def make_engine(settings):
    engine = engine_from_config(settings, prefix="sqlalchemy.", future=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    return engine


ZOPE_EVENTS = "zope_events"
# The events zope.sqlalchemy listens to, with how each names its session.
_ZOPE_EVENT_SESSION = {
    "after_begin": None, "after_attach": None, "after_flush": None, "before_commit": None,
    "after_bulk_update": attrgetter("session"), "after_bulk_delete": attrgetter("session"),
    "do_orm_execute": attrgetter("session"),
}


def _zope_listener(name, session_of):
    def listener(first, *args):
        events = (session_of(first) if session_of else first).info.get(ZOPE_EVENTS)
        if events is not None:
            getattr(events, name)(first, *args)

    return listener


def make_session_factory(engine) -> sessionmaker:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "do_orm_execute", _scope_queries)
    event.listen(factory, "before_flush", _stamp_and_guard)
    # zope.sqlalchemy.register(session) adds its listeners to each session, which costs as much as a
    # small query on every request: they are added once here, and find the session's own
    # ZopeTransactionEvents (with its transaction manager) in session.info.
    for name, session_of in _ZOPE_EVENT_SESSION.items():
        event.listen(factory, name, _zope_listener(name, session_of))
    return factory


def transactional_session(factory, transaction_manager, tenant_id=None) -> Session:
    """A session joined to a zope transaction manager (the request's, or a task's own)."""
    return factory(info={"tenant_id": tenant_id,
                         ZOPE_EVENTS: ZopeTransactionEvents(transaction_manager=transaction_manager)})


def bind_tenant(session: Session, tenant_id: int | None) -> None:
    session.info["tenant_id"] = tenant_id


def includeme(config):
    settings = config.get_settings()
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    config.registry["db.engine"] = engine
    config.registry["db.session_factory"] = factory
    # pyramid_tm would otherwise ask for the user before routing, on every request (static files
    # too), only to annotate a transaction log that SQLAlchemy does not keep.
    settings.setdefault("tm.annotate_user", "false")
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    def dbsession(request):
        session = transactional_session(factory, request.tm)
        session.info["request"] = request
        return session

    config.add_request_method(dbsession, reify=True)
