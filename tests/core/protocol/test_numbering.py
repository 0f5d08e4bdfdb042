"""Protocol numbers: at least seven digits, per register and solar year (Rome), no gap and no duplicate under
concurrent writers, across midnight of 31 December, and when a registration is rolled back."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from occ_core.db import make_engine, make_session_factory
from occ_core.protocol import numbering, services
from occ_core.protocol.models import ProtocolCounter, Registration

from .conftest import documents, incoming

UTC = timezone.utc


class Abandoned(Exception):
    """Raised inside a registration's transaction to roll it back after the number was taken."""


def numbers(dbtx, tenant):
    with dbtx(tenant) as db:
        return [tuple(row) for row in db.execute(
            select(Registration.year, Registration.number).order_by(Registration.year, Registration.number))]


def counters(dbtx, tenant):
    with dbtx(tenant) as db:
        return dict(db.execute(select(ProtocolCounter.year, ProtocolCounter.last_number)).all())


def test_concurrent_writers_get_every_number_once_in_time_order(order, protocol_env, settings, dbtx):
    """32 writers on PostgreSQL (8 on SQLite, which takes one writer at a time anyway), each with its own
    connection and transaction, register at the same moment: numbers 1..N once each, and the later number
    never carries the earlier time. The writers get a pool of their own, so that none waits for a connection."""
    engine = make_engine({"sqlalchemy.url": settings["sqlalchemy.url"], "sqlalchemy.pool_size": "40"})
    factory = make_session_factory(engine)
    writers = 32 if engine.dialect.name == "postgresql" else 8
    start = threading.Barrier(writers)

    def writer(index):
        start.wait(timeout=30)
        with protocol_env(order, factory=factory) as env:
            registration = services.register(env, incoming(subject=f"Istanza {index}"), documents(text=f"{index}"))
            return registration.number, registration.registered_at

    try:
        with ThreadPoolExecutor(max_workers=writers) as pool:  # a writer's exception is raised here
            taken = list(pool.map(writer, range(writers), timeout=120))
    finally:
        engine.dispose()
    year = numbering.register_year(datetime.now(UTC))
    assert numbers(dbtx, order) == [(year, n) for n in range(1, writers + 1)]
    by_number = sorted(taken)
    assert all(earlier[1] < later[1] for earlier, later in zip(by_number, by_number[1:]))
    assert counters(dbtx, order) == {year: writers}
    with dbtx(order) as db:
        assert numbering.verify_numbering(db, order.id) == []


def at(*moment):
    return lambda: datetime(*moment, tzinfo=UTC)


def test_the_year_changes_at_midnight_in_rome(order, register, dbtx):
    late = at(2025, 12, 31, 22, 59, 59)  # 23:59:59 of 31 December in Rome
    early = at(2025, 12, 31, 23, 0, 1)  # 00:00:01 of 1 January 2026 in Rome
    register(clock=late)
    register(clock=late)
    first = register(clock=early)
    register(clock=at(2026, 1, 2, 9, 0))
    assert numbers(dbtx, order) == [(2025, 1), (2025, 2), (2026, 1), (2026, 2)]
    assert counters(dbtx, order) == {2025: 2, 2026: 2}
    with dbtx(order) as db:
        registration = db.get(Registration, first)
        assert numbering.reference(registration.year, registration.number) == "2026-0000001"
        assert services.label(db, registration) == "PROT 2026-0000001"
        assert registration.registered_at == early()


def test_a_registration_that_waited_past_midnight_takes_the_new_year(order, register, dbtx):
    """The time is read again once the counter is locked: a transaction that began at 23:59:59.9 and got the
    lock at 00:00:00.1 registers in the new year, and the old year's counter, only locked, keeps its number."""
    register(clock=at(2025, 12, 31, 20, 0))
    moments = iter([datetime(2025, 12, 31, 22, 59, 59, 900000, tzinfo=UTC),
                    datetime(2025, 12, 31, 23, 0, 0, 100000, tzinfo=UTC),
                    datetime(2025, 12, 31, 23, 0, 0, 100000, tzinfo=UTC)])
    registration_id = register(clock=lambda: next(moments))
    with dbtx(order) as db:
        registration = db.get(Registration, registration_id)
        assert (registration.year, registration.number) == (2026, 1)
        assert registration.registered_at == datetime(2025, 12, 31, 23, 0, 0, 100000, tzinfo=UTC)
    assert counters(dbtx, order) == {2025: 1, 2026: 1}
    register(clock=at(2025, 12, 31, 23, 30))
    assert numbers(dbtx, order) == [(2025, 1), (2026, 1), (2026, 2)]


def test_a_rolled_back_registration_gives_its_number_back(order, register, protocol_env, dbtx):
    register()
    with pytest.raises(Abandoned):
        with protocol_env(order) as env:
            assert services.register(env, incoming(), documents()).number == 2
            raise Abandoned()
    register()
    year = numbering.register_year(datetime.now(UTC))
    assert numbers(dbtx, order) == [(year, 1), (year, 2)]


def test_numbers_are_shown_with_seven_digits_or_more():
    assert numbering.format_number(42) == "0000042"
    assert numbering.format_number(12345678) == "12345678"
    assert numbering.reference(2026, 42) == "2026-0000042"
    assert numbering.reference(2026, 42, "PROT") == "PROT 2026-0000042"
    assert numbering.register_year(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == 2026
    assert numbering.register_year(datetime(2025, 7, 1, 0, 0, tzinfo=UTC) - timedelta(hours=1)) == 2025


def test_every_order_numbers_its_own_register(order, register, protocol_env, dbtx, pm):
    from occ_core.testing.factories import make_tenant, make_user

    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
        make_user(db, "segreteria@roma.it", other, "segreteria")
    register()
    register()
    with protocol_env(other, "segreteria@roma.it") as env:
        assert services.register(env, incoming(), documents()).number == 1
    with dbtx(other) as db:
        assert [r.code for r in db.scalars(select(numbering.ProtocolRegister))] == ["PROT"]
