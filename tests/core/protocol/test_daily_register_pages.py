"""The page of the daily registers: listing, downloads (audited), the year filter, permissions."""
import csv
import hashlib
import io
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.accounts.roles import add_membership
from occ_core.audit.models import AuditEntry
from occ_core.clock import ROME
from occ_core.db import bind_tenant
from occ_core.documents.storage import storage_of
from occ_core.protocol import daily, numbering, services
from occ_core.protocol.models import DailyRegister
from occ_core.testing.factories import make_tenant

from .conftest import documents, incoming

DAYS = (date(2024, 12, 30), date(2025, 3, 3))


@pytest.fixture
def produced(protocol_env, order, registry):
    """Two days with a registration each, in two years, and their registers (plain PDF)."""
    for day in DAYS:
        moment = datetime.combine(day, time(9), ROME).astimezone(timezone.utc)
        with protocol_env(order) as env:
            services.register(env, incoming(), documents(), clock=lambda: moment)
    with protocol_env(order) as env:
        register = numbering.ensure_default_register(env.dbsession, order.id)
        rows = [daily.produce(env.dbsession, env.tenant, register, day, storage_of(registry)) for day in DAYS]
        return [(row.id, row.pdf_sha256, row.csv_sha256) for row in rows]


def test_the_page_lists_the_registers_newest_first(testapp, as_role, produced):
    as_role("consultazione")
    # Reached from the protocol's list.
    page = testapp.get("/milano/protocol").click(linkid="daily-link")
    rows = page.html.select("#daily-registers tbody tr")
    assert [row["id"] for row in rows] == [f"daily-{produced[1][0]}", f"daily-{produced[0][0]}"]
    assert "lunedì 03/03/2025" in rows[0].text and "MILANO-20250303-001" in rows[0].text
    assert produced[1][1] in rows[0].text and "n. 0000001" in rows[0].text
    assert page.html.select_one("#result-count").text == "2 registri giornalieri"
    assert [row.select("td")[5].text for row in rows] == ["PDF", "PDF"]  # the fixture's registers are plain PDF
    assert "PDF/A-2b" in page.text and "LibreOffice" not in page.text  # the page speaks of formats, not programs
    filtered = testapp.get("/milano/protocol/daily", {"year": "2024"})
    assert [row["id"] for row in filtered.html.select("#daily-registers tbody tr")] == [f"daily-{produced[0][0]}"]


def test_a_year_not_in_the_list_is_explained(testapp, as_role, produced):
    as_role("segreteria")
    for year in ("20x5", "²⁰²⁵"):
        page = testapp.get("/milano/protocol/daily", {"year": year}, status=400)
        assert "Scelga un anno dall'elenco" in page.html.select_one("#filter-error").text
    assert len(page.html.select("#daily-registers tbody tr")) == 2


def test_downloads_are_the_stored_files_and_are_audited(testapp, as_role, produced, dbtx):
    as_role("referente")
    register_id, pdf_digest, csv_digest = produced[1]
    pdf = testapp.get(f"/milano/protocol/daily/{register_id}/pdf")
    assert pdf.content_type == "application/pdf"
    assert hashlib.sha256(pdf.body).hexdigest() == pdf_digest
    assert 'filename="MILANO-20250303-001.pdf"' in pdf.headers["Content-Disposition"]
    exported = testapp.get(f"/milano/protocol/daily/{register_id}/csv")
    assert hashlib.sha256(exported.body).hexdigest() == csv_digest
    rows = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(daily.CSV_HEADER) and rows[1][:3] == ["Registrazione", "2025", "0000001"]
    with dbtx() as db:
        entries = db.execute(select(AuditEntry.action, AuditEntry.details)
                             .where(AuditEntry.action == "protocol.daily_register_downloaded")
                             .order_by(AuditEntry.id)).all()
    assert [(details["file"], details["sha256"]) for _action, details in entries] == [
        ("pdf", pdf_digest), ("csv", csv_digest)]


def test_unknown_registers_and_files_are_not_found(testapp, as_role, produced, dbtx, pm):
    as_role("segreteria")
    testapp.get("/milano/protocol/daily/999999/pdf", status=404)
    testapp.get(f"/milano/protocol/daily/{produced[0][0]}/xml", status=404)
    with dbtx() as db:  # the same user works for Roma too: Milano's registers are not Roma's
        roma = make_tenant(db, pm, "roma")
        bind_tenant(db, roma.id)
        add_membership(db, roma, db.scalar(select(User).where(User.email == "segreteria@milano.it")), "segreteria")
    assert testapp.get("/roma/protocol/daily").html.select_one("#result-count").text == "0 registri giornalieri"
    testapp.get(f"/roma/protocol/daily/{produced[0][0]}/pdf", status=404)


def test_a_lost_file_is_not_found(testapp, as_role, produced, registry):
    storage_of(registry).path_of(produced[0][1]).unlink()
    as_role("segreteria")
    testapp.get(f"/milano/protocol/daily/{produced[0][0]}/pdf", status=404)


def test_permissions(testapp, as_role, produced, dbtx):
    register_id = produced[0][0]
    testapp.reset()
    assert "/login" in testapp.get("/milano/protocol/daily", status=302).location
    assert "/login" in testapp.get(f"/milano/protocol/daily/{register_id}/pdf", status=302).location
    as_role("gestore")
    testapp.get("/milano/protocol/daily", status=403)
    testapp.get(f"/milano/protocol/daily/{register_id}/csv", status=403)
    with dbtx() as db:
        assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "protocol.daily_register_downloaded")) \
            is None
        assert db.scalar(select(DailyRegister.id).where(DailyRegister.id == register_id)) == register_id


def test_an_order_without_registers(testapp, as_role):
    as_role("segreteria")
    page = testapp.get("/milano/protocol/daily")
    assert "Non è ancora stato prodotto nessun registro giornaliero" in page.text
    assert page.html.select_one("#daily-filters") is None
