"""The register's progressive number: per Order and year, no gaps, no duplicates, also under concurrent
registrations, rolled-back ones and across the year change (Italian calendar)."""
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from occ_core.dossiers import numbering
from occ_core.dossiers.models import Dossier, DossierCounter
from occ_core.testing.factories import make_tenant

from .conftest import open_dossier

THREADS = 16


class Abandoned(Exception):
    """Raised inside a registration's transaction to roll it back after the number was taken."""


def registered(dbtx, tenant=None):
    with dbtx(tenant) as db:
        query = select(Dossier.year, Dossier.number).order_by(Dossier.year, Dossier.number)
        return [tuple(row) for row in db.execute(query)]


def test_numbers_follow_each_other_per_order(dbtx, pm, order, tenant_env):
    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
    now = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
    for _ in range(3):
        with tenant_env(order) as env:
            open_dossier(env, now=now)
    with tenant_env(other) as env:
        assert open_dossier(env, now=now).reference == "1/2025"
    assert registered(dbtx, order) == [(2025, 1), (2025, 2), (2025, 3)]
    assert registered(dbtx, other) == [(2025, 1)]


def test_year_change_follows_the_italian_calendar(dbtx, order, tenant_env):
    evening = datetime(2025, 12, 31, 22, 59, tzinfo=timezone.utc)  # 23:59 of 31/12 in Rome
    past_midnight = datetime(2025, 12, 31, 23, 1, tzinfo=timezone.utc)  # 00:01 of 01/01/2026 in Rome
    later = datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)
    references = []
    for moment in (evening, evening, past_midnight, later):
        with tenant_env(order) as env:
            references.append(open_dossier(env, now=moment).reference)
    assert references == ["1/2025", "2/2025", "1/2026", "2/2026"]
    with dbtx(order) as db:
        counters = {c.year: c.last_number for c in db.scalars(select(DossierCounter))}
    assert counters == {2025: 2, 2026: 2}


def test_a_rolled_back_registration_gives_its_number_back(dbtx, order, tenant_env):
    now = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
    with tenant_env(order) as env:
        open_dossier(env, now=now)
    with pytest.raises(Abandoned):
        with tenant_env(order) as env:
            assert open_dossier(env, now=now).number == 2
            raise Abandoned()
    with tenant_env(order) as env:
        assert open_dossier(env, now=now).number == 2
    assert registered(dbtx, order) == [(2025, 1), (2025, 2)]


def test_concurrent_registrations_get_every_number_once(dbtx, order, tenant_env):
    """16 clients register at the same moment, each in its own transaction; every fourth gives up after
    taking its number. The numbers kept are exactly 1..12. (The connection pool holds 15 connections:
    the sixteenth client waits for one, as it would in production.)"""
    now = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
    start = threading.Barrier(THREADS)
    failures, taken = [], []

    def client(index):
        try:
            start.wait(timeout=30)
            with tenant_env(order) as env:
                dossier = open_dossier(env, now=now)
                taken.append(dossier.number)
                if index % 4 == 0:
                    raise Abandoned()
        except Abandoned:
            pass
        except Exception as error:  # reported below: an assertion in a thread would be lost
            failures.append(repr(error))

    threads = [threading.Thread(target=client, args=(index,)) for index in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    kept = THREADS - THREADS // 4
    assert registered(dbtx, order) == [(2025, number) for number in range(1, kept + 1)]
    assert len(taken) == THREADS
    with dbtx(order) as db:
        assert db.scalar(select(DossierCounter.last_number)) == kept
        assert db.scalar(select(func.count(DossierCounter.id))) == 1


def test_register_year_is_the_year_in_rome():
    assert numbering.register_year(datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc)) == 2026
    assert numbering.register_year(datetime(2025, 12, 31, 22, 30, tzinfo=timezone.utc)) == 2025
    # In summer Rome is two hours ahead of UTC.
    assert numbering.register_year(datetime(2025, 7, 1, 0, 0, tzinfo=timezone.utc)) == 2025
