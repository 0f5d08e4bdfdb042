"""The hash-chained appointment log: canonical content, gap-free numbering under concurrency, and
verification that finds a tampered entry from the screen and from the command line."""
import hashlib
import os
import subprocess
import sys
from datetime import timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from zope.sqlalchemy import mark_changed

from occ_core.gestori import chain
from occ_core.gestori.models import AppointmentLogEntry
from occ_core.testing.factories import login


def fill(dbtx, tenant, count=3):
    with dbtx(tenant) as db:
        for n in range(count):
            chain.append(db, tenant.id, "proposal", {"n": n, "weight": Decimal("1.50"), "names": ["Àlfa", "Beta"]})


def tamper(dbtx, seq, payload='{"n": 99}'):
    """Change an entry behind the application's back, with plain SQL."""
    with dbtx() as db:
        cast = "CAST(:payload AS json)" if db.get_bind().dialect.name == "postgresql" else ":payload"
        db.execute(text(f"UPDATE appointment_log SET payload = {cast} WHERE seq = :seq"),
                   {"payload": payload, "seq": seq})
        mark_changed(db)


def test_first_entry_hash_is_sha256_of_zeros_and_canonical_json(dbtx, order):
    fill(dbtx, order.tenant, 1)
    with dbtx() as db:
        entry = db.scalar(select(AppointmentLogEntry))
    at = entry.at.astimezone(timezone.utc).isoformat()
    content = ('{"at":"%s","dossier_id":null,"kind":"proposal","payload":{"n":0,"names":["Àlfa","Beta"],'
               '"weight":"1.50"},"seq":1,"user_id":null}' % at)
    assert entry.prev_hash == "0" * 64
    assert entry.hash == hashlib.sha256(("0" * 64 + content).encode("utf-8")).hexdigest()
    assert entry.payload["weight"] == "1.50"


def test_floats_never_enter_the_log(dbtx, order):
    with dbtx(order.tenant) as db, pytest.raises(TypeError):
        chain.append(db, order.tenant.id, "proposal", {"weight": 1.5})


def test_verification_finds_the_tampered_entry(dbtx, order):
    fill(dbtx, order.tenant, 4)
    with dbtx() as db:
        assert chain.verify_chain(db, order.tenant.id) == (True, None)
    tamper(dbtx, 3)
    with dbtx() as db:
        assert chain.verify_chain(db, order.tenant.id) == (False, 3)


def test_a_removed_entry_breaks_the_chain_where_it_was(dbtx, order):
    fill(dbtx, order.tenant, 4)
    with dbtx() as db:
        db.execute(text("DELETE FROM appointment_log WHERE seq = 2"))
        mark_changed(db)
    with dbtx() as db:
        assert chain.verify_chain(db, order.tenant.id) == (False, 2)


def test_each_order_has_its_own_chain(dbtx, order, pm):
    from occ_core.testing.factories import make_tenant

    with dbtx() as db:
        other = make_tenant(db, pm, "torino")
    fill(dbtx, order.tenant, 2)
    fill(dbtx, other, 3)
    tamper(dbtx, 3)  # seq 3 exists only in Torino's chain
    with dbtx() as db:
        assert chain.verify_chain(db, order.tenant.id) == (True, None)
        assert chain.verify_chain(db, other.id) == (False, 3)


def test_concurrent_appends_get_consecutive_numbers(dbtx, order, concurrently):
    threads, per_thread = 8, 5

    def work(index):
        for n in range(per_thread):
            with dbtx(order.tenant) as db:
                chain.append(db, order.tenant.id, "proposal", {"thread": index, "n": n})

    assert concurrently(work, range(threads)) == [None] * threads
    with dbtx() as db:
        seqs = db.scalars(select(AppointmentLogEntry.seq).order_by(AppointmentLogEntry.seq)).all()
        assert seqs == list(range(1, threads * per_thread + 1))
        assert chain.verify_chain(db, order.tenant.id) == (True, None)


def test_log_page_verifies_the_chain(testapp, dbtx, order):
    fill(dbtx, order.tenant, 3)
    login(testapp, order.emails["consultazione"])
    page = testapp.get("/milano/gestori/log")
    assert page.html.find(id="verification") is None
    page = page.forms["verify-form"].submit()
    assert page.html.find(id="verification").text.strip() == "Catena integra: 3 voci verificate."
    tamper(dbtx, 2)
    result = testapp.get("/milano/gestori/log", {"verify": "1"}).html.find(id="verification")
    assert "alert-danger" in result["class"]
    assert result.text.strip().startswith("Catena interrotta alla voce n. 2")


def test_log_page_needs_the_permission(testapp, dbtx, order):
    testapp.get("/milano/gestori/log", status=302)
    with dbtx() as db:
        from occ_core.testing.factories import make_user

        make_user(db, "gestore@milano.it", order.tenant, "gestore")
    login(testapp, "gestore@milano.it")
    testapp.get("/milano/gestori/log", status=403)


def occ_command(settings, *args):
    env = {**os.environ, "OCC_DATABASE_URL": settings["sqlalchemy.url"], "OCC_VAR_DIR": settings["occ.var_dir"],
           "OCC_SECRET": settings["occ.secret"], "OCC_CELERY_EAGER": "true", "OCC_BROKER_URL": "memory://"}
    return subprocess.run([sys.executable, "-m", "occ_core.cli", "--config", "", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_command_line_verification(dbtx, order, settings):
    fill(dbtx, order.tenant, 5)
    result = occ_command(settings, "appointments", "verify", "milano")
    assert (result.returncode, result.stdout.strip()) == (0, "Catena integra: 5 voci verificate.")
    tamper(dbtx, 4)
    result = occ_command(settings, "appointments", "verify", "milano")
    assert result.returncode == 1
    assert result.stdout.startswith("Catena interrotta alla voce n. 4")
    result = occ_command(settings, "appointments", "verify", "nessuno")
    assert result.returncode == 1 and "Ordine «nessuno» inesistente" in result.stderr
