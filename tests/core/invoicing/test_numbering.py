"""Invoice numbers per Order and year with no gaps under concurrent issues, and the FatturaPA file names."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from occ_core.db import make_engine, make_session_factory
from occ_core.invoicing import numbering, services
from occ_core.invoicing.models import Invoice

from .conftest import PARTITA_IVA


def test_concurrent_issues_get_every_number_once(order, draft, env_of, settings, dbtx):
    """24 issuers on PostgreSQL (6 on SQLite, one writer at a time anyway), each in its own transaction and
    connection, issue at the same moment: numbers 1..N and file progressives 1..N, once each."""
    engine = make_engine({"sqlalchemy.url": settings["sqlalchemy.url"], "sqlalchemy.pool_size": "30"})
    factory = make_session_factory(engine)
    writers = 24 if engine.dialect.name == "postgresql" else 6
    drafts = [draft("advance", amount=f"{100 + n}") for n in range(writers)]
    start = threading.Barrier(writers)

    def writer(invoice_id):
        start.wait(timeout=30)
        with env_of(order, factory=factory) as env:
            invoice = services.issue(env, env.dbsession.get(Invoice, invoice_id))
            return invoice.number, invoice.transmission_number

    try:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            taken = list(pool.map(writer, drafts, timeout=120))
    finally:
        engine.dispose()
    assert sorted(number for number, _ in taken) == list(range(1, writers + 1))
    assert sorted(progressive for _, progressive in taken) == list(range(1, writers + 1))
    with dbtx(order) as db:
        names = db.scalars(select(Invoice.xml_filename)).all()
    assert len(set(names)) == writers


def test_progressive_is_five_base36_characters():
    assert numbering.progressive(1) == "00001"
    assert numbering.progressive(35) == "0000Z"
    assert numbering.progressive(36) == "00010"
    assert numbering.progressive(36 ** 5 - 1) == "ZZZZZ"
    with pytest.raises(ValueError):
        numbering.progressive(36 ** 5)
    assert numbering.xml_filename(PARTITA_IVA, 37) == f"IT{PARTITA_IVA}_00011.xml"


def test_each_year_and_order_has_its_own_numbers(order, pm, dbtx):
    from occ_core.testing.factories import make_tenant

    with dbtx() as db:
        other = make_tenant(db, pm, "roma")
    with dbtx(order) as db:
        assert [numbering.next_number(db, order.id, 2026) for _ in range(3)] == [1, 2, 3]
        assert numbering.next_number(db, order.id, 2027) == 1
    with dbtx(other) as db:
        assert numbering.next_number(db, other.id, 2026) == 1
