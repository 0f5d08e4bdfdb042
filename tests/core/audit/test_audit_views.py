"""Audit log pages: the Order's own rows only, the operator's every row; filters, pages, CSV."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.audit.services import record
from occ_core.testing.factories import login, make_tenant, make_user


@pytest.fixture
def orders(dbtx, pm):
    """Entries of milano, of roma and of the platform, by named users."""
    with dbtx() as db:
        milano = make_tenant(db, pm, "milano")
        roma = make_tenant(db, pm, "roma")
        admin = make_user(db, "admin@milano.it", milano, "amministratore", full_name="Anna Amministratrice")
        make_user(db, "segreteria@milano.it", milano, "segreteria")
        referente = make_user(db, "referente@milano.it", milano, "referente", full_name="Rita Referente")
        roma_admin = make_user(db, "admin@roma.it", roma, "amministratore", full_name="Romolo Romano")
        make_user(db, "operatore@piattaforma.it", operator=True, full_name="Otto Operatore")
        record(db, "pratica.aperta", tenant_id=milano.id, user_id=admin.id, object_type="Pratica", object_id=7,
               details={"numero": "1/2024"})
        record(db, "documento.protocollato", tenant_id=milano.id, user_id=referente.id)
        record(db, "segreto.di.roma", tenant_id=roma.id, user_id=roma_admin.id)
        record(db, "tenant.created", tenant_id=None, user_id=None, details={"slug": "roma"})
        return {"milano": milano.id, "roma": roma.id}


def actions_on(page):
    table = page.html.find("table", id="audit-entries")
    return [row.find_all("td")[-4].find("code").text for row in table.find("tbody").find_all("tr")] if table else []


def test_the_order_sees_only_its_own_entries_newest_first(testapp, orders):
    login(testapp, "admin@milano.it")
    page = testapp.get("/milano/audit")
    # Logins are platform entries: they are not the Order's.
    assert actions_on(page) == ["documento.protocollato", "pratica.aperta"]
    assert "segreto.di.roma" not in page.text and "tenant.created" not in page.text
    assert "Romolo Romano" not in page.text
    assert "Anna Amministratrice" in page.text and "Rita Referente" in page.text
    assert "2 attività trovate" in page.text


def test_filters_by_action_user_and_dates(testapp, orders, dbtx):
    login(testapp, "admin@milano.it")
    assert actions_on(testapp.get("/milano/audit", {"action": "PRATICA"})) == ["pratica.aperta"]
    assert actions_on(testapp.get("/milano/audit", {"user": "rita"})) == ["documento.protocollato"]
    assert actions_on(testapp.get("/milano/audit", {"user": "referente@milano"})) == ["documento.protocollato"]
    assert actions_on(testapp.get("/milano/audit", {"action": "%"})) == []  # wildcards are plain text

    with dbtx() as db:
        old = db.scalar(select(User).where(User.email == "admin@milano.it"))
        entry = record(db, "vecchia.azione", tenant_id=orders["milano"], user_id=old.id)
        entry.at = datetime(2023, 3, 1, 23, 30, tzinfo=timezone.utc)  # 2 March in Rome
    assert actions_on(testapp.get("/milano/audit", {"from": "2023-03-02", "to": "2023-03-02"})) == ["vecchia.azione"]
    assert actions_on(testapp.get("/milano/audit", {"from": "02/03/2023", "to": "02/03/2023"})) == ["vecchia.azione"]
    assert actions_on(testapp.get("/milano/audit", {"to": "2023-03-01"})) == []
    today = datetime.now(timezone.utc).date()
    recent = actions_on(testapp.get("/milano/audit", {"from": (today - timedelta(days=1)).isoformat()}))
    assert "vecchia.azione" not in recent and "pratica.aperta" in recent


@pytest.mark.parametrize("params, message", [
    ({"from": "31/02/2024"}, "Dal: la data «31/02/2024» non è valida"),
    ({"to": "domani"}, "Al: la data «domani» non è valida"),
    # At the ends of the calendar the conversion from Rome to UTC used to overflow (a 500).
    ({"to": "31/12/9999"}, "Al: la data «31/12/9999» non è valida"),
    ({"from": "0001-01-01"}, "Dal: la data «0001-01-01» non è valida"),
    ({"from": "2024-05-02", "to": "2024-05-01"}, "La data iniziale è successiva a quella finale."),
])
def test_bad_dates_are_explained(testapp, orders, params, message):
    login(testapp, "admin@milano.it")
    page = testapp.get("/milano/audit", params, status=400)
    assert message in page.html.find(id="form-error").text
    assert page.html.find("table", id="audit-entries") is None


def test_pages_of_fifty(testapp, orders, dbtx):
    with dbtx() as db:
        for number in range(120):
            record(db, f"massiva.{number:03d}", tenant_id=orders["milano"])
    login(testapp, "admin@milano.it")
    first = testapp.get("/milano/audit", {"action": "massiva"})
    assert len(actions_on(first)) == 50 and actions_on(first)[0] == "massiva.119"
    assert "Pagina 1 di 3" in first.text
    third = first.click("Successiva").click("Successiva")
    assert actions_on(third) == [f"massiva.{n:03d}" for n in range(19, -1, -1)]
    assert "action=massiva" in third.request.url
    for page in ("abc", "-4", "999"):
        assert len(actions_on(testapp.get("/milano/audit", {"action": "massiva", "page": page}))) in (50, 20)


def test_csv_export_of_the_filtered_entries(testapp, orders):
    login(testapp, "admin@milano.it")
    page = testapp.get("/milano/audit", {"action": "pratica"})
    response = page.click("Esporta in CSV")
    assert response.content_type == "text/csv"
    assert response.body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Data e ora", "Utente", "Email"]
    assert len(rows) == 2
    assert rows[1][1:5] == ["Anna Amministratrice", "admin@milano.it", "pratica.aperta", ""]
    assert '"numero": "1/2024"' in rows[1][7]
    everything = testapp.get("/milano/audit", {"format": "csv"}).body.decode("utf-8-sig")
    assert "segreto.di.roma" not in everything and "tenant.created" not in everything


def test_the_operator_sees_every_entry_with_its_order(testapp, orders):
    login(testapp, "operatore@piattaforma.it")
    page = testapp.get("/admin/audit")
    actions = actions_on(page)
    assert {"pratica.aperta", "segreto.di.roma", "tenant.created", "login"} <= set(actions)
    rows = {row.find_all("td")[-4].find("code").text: row.find_all("td")[1].text
            for row in page.html.find("table", id="audit-entries").find("tbody").find_all("tr")}
    assert rows["segreto.di.roma"] == "Ordine roma" and rows["tenant.created"] == "Piattaforma"
    assert "Otto Operatore" in page.text
    exported = testapp.get("/admin/audit", {"format": "csv", "user": "romolo"}).body.decode("utf-8-sig")
    assert "segreto.di.roma" in exported and "Ordine roma" in exported and "pratica.aperta" not in exported


def test_permissions(testapp, orders):
    assert testapp.get("/milano/audit", status=302).location.split("?")[0].endswith("/login")
    assert testapp.get("/admin/audit", status=302).location.split("?")[0].endswith("/login")
    login(testapp, "segreteria@milano.it")
    testapp.get("/milano/audit", status=403)
    testapp.get("/admin/audit", status=403)
    testapp.reset()
    login(testapp, "referente@milano.it")
    testapp.get("/milano/audit", status=200)
    assert testapp.get("/roma/audit", expect_errors=True).status_int in (403, 404)
