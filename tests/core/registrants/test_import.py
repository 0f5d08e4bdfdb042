"""CSV import screen: preview writes nothing, confirm writes, re-import changes nothing, bad files and tokens."""
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.demo import make_codice_fiscale
from occ_core.testing.factories import login, make_registrant, make_tenant, make_user, registry_snapshot
from shared_registry.models import Registrant

CF_ROSSI = make_codice_fiscale("Rossi", "Mario", date(1980, 5, 17), False, "F205")
CF_BIANCHI = make_codice_fiscale("Bianchi", "Giulia", date(1975, 3, 2), True, "F205")
CF_VERDI = make_codice_fiscale("Verdi", "Luca", date(1990, 7, 30), False, "A794")

ALBO_EXPORT = (
    "Codice fiscale;Cognome;Nome;Categoria professionale;Email;Crediti formativi\r\n"
    f"{CF_ROSSI};Rossi;Mario;Avvocato;nuova@rossi.it;2025:20\r\n"
    f"{CF_BIANCHI};Bianchi;Giulia;Notaio;giulia@bianchi.it;\r\n"
    f"{CF_VERDI};Verdi;Luca;Ingegnere;luca@verdi.it;\r\n"
).encode("cp1252")


@pytest.fixture
def order(order, dbtx):
    with dbtx() as db:
        make_registrant(db, order, CF_ROSSI, email="vecchia@rossi.it")
    return order


def state(dbtx):
    with dbtx() as db:
        return registry_snapshot(db)


def stored_registrants(dbtx) -> list[tuple[str, str]]:
    with dbtx() as db:
        return sorted(db.execute(select(Registrant.codice_fiscale, Registrant.email)).tuples())


def upload(testapp, content, filename="albo.csv", status=200):
    form = testapp.get("/milano/registrants/import").forms["import-form"]
    form["file"] = (filename, content)
    return form.submit(name="action", value="preview", status=status)


def stored_files(settings) -> list[Path]:
    return sorted((Path(settings["occ.var_dir"]) / "imports").glob("*.csv"))


@pytest.fixture(autouse=True)
def no_stored_files(settings):
    """The var folder lives as long as the test session: start each test without waiting uploads."""
    for path in stored_files(settings):
        path.unlink()


def test_preview_then_confirm_then_reimport(testapp, dbtx, order, settings):
    login(testapp, "segreteria@milano.it")
    before = state(dbtx)
    preview = upload(testapp, ALBO_EXPORT)
    assert "Nessun dato è stato ancora modificato" in preview.text
    assert "Nuovi: 1" in preview.text and "Da modificare: 1" in preview.text and "Con errori: 1" in preview.text
    table = preview.html.find(id="preview").get_text(" ", strip=True)
    assert "vecchia@rossi.it → nuova@rossi.it" in table and "Crediti formativi 2025 : — → 20" in table
    assert "Valore «Ingegnere» non ammesso" in table
    assert state(dbtx) == before  # the preview wrote nothing
    files = stored_files(settings)
    assert len(files) == 1 and files[0].name.startswith(f"{order.id}-")

    page = preview.forms["confirm-form"].submit(name="action", value="confirm").follow()
    assert "Importazione completata: 1 nuovi, 1 modificati, 0 invariati, 1 righe con errori" in page.text
    assert stored_registrants(dbtx) == sorted([(CF_ROSSI, "nuova@rossi.it"), (CF_BIANCHI, "giulia@bianchi.it")])
    assert stored_files(settings) == []  # removed once the import is saved
    with dbtx() as db:
        assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "registry.imported")) == 1

    after = state(dbtx)
    again = upload(testapp, ALBO_EXPORT)
    assert "Invariati: 2" in again.text and "Nuovi: 0" in again.text and "Da modificare: 0" in again.text
    assert "confirm-import" not in again.text and "non contiene modifiche" in again.text
    assert state(dbtx) == after and stored_files(settings) == []


def test_cancel_discards_the_file(testapp, dbtx, order, settings):
    login(testapp, "segreteria@milano.it")
    before = state(dbtx)
    preview = upload(testapp, ALBO_EXPORT)
    page = preview.forms["cancel-form"].submit(name="action", value="cancel").follow()
    assert "Importazione annullata" in page.text
    assert stored_files(settings) == [] and state(dbtx) == before


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 31 + "G", "0" * 32, "", "A" * 32])
def test_confirm_accepts_only_a_stored_token_of_this_order(testapp, dbtx, order, token):
    login(testapp, "segreteria@milano.it")
    before = state(dbtx)
    page = testapp.get("/milano/registrants/import")
    form = {"csrf_token": page.html.find("input", {"name": "csrf_token"})["value"], "action": "confirm", "token": token}
    page = testapp.post("/milano/registrants/import", form, status=400)
    assert "non è più disponibile" in page.text
    assert state(dbtx) == before


def test_another_orders_token_is_refused(testapp, dbtx, pm, order, settings):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
        make_user(db, "segreteria@roma.it", roma, "segreteria")
    login(testapp, "segreteria@milano.it")
    token = upload(testapp, ALBO_EXPORT).forms["confirm-form"]["token"].value
    testapp.reset()
    login(testapp, "segreteria@roma.it")
    page = testapp.get("/roma/registrants/import")
    csrf = page.html.find("input", {"name": "csrf_token"})["value"]
    before = state(dbtx)
    page = testapp.post("/roma/registrants/import", {"csrf_token": csrf, "action": "confirm", "token": token}, status=400)
    assert "non è più disponibile" in page.text
    assert state(dbtx) == before and len(stored_files(settings)) == 1


@pytest.mark.parametrize("content, filename, message", [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "albo.pdf", "Il file è un PDF"),
    (b"PK\x03\x04\x14\x00\x08\x08\x08\x00", "albo.xlsx", "foglio di calcolo"),
    (b"", "vuoto.csv", "Il file è vuoto."),
    (b"Codice fiscale;Cognome;Squadra del cuore\r\nX;Y;Z\r\n", "albo.csv", "Colonna «Squadra del cuore» non riconosciuta"),
    ("Codice fiscale;Cognome\r\nX;Y\r\n".encode("utf-16-le"), "albo.csv", "non è un CSV di testo"),
    (b"Cognome;Nome\r\nRossi;Mario\r\n", "albo.csv", "Manca la colonna «Codice fiscale»"),
])
def test_bad_files_are_refused_with_clear_messages(testapp, dbtx, order, settings, content, filename, message):
    login(testapp, "segreteria@milano.it")
    before = state(dbtx)
    page = upload(testapp, content, filename, status=400)
    assert message in page.html.find(id="form-error").text
    assert state(dbtx) == before and stored_files(settings) == []


def test_no_file_and_size_limit(testapp, dbtx, order, registry):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/registrants/import")
    csrf = page.html.find("input", {"name": "csrf_token"})["value"]
    page = testapp.post("/milano/registrants/import", {"csrf_token": csrf, "action": "preview"}, status=400)
    assert "Selezioni il file CSV" in page.text
    saved = registry.settings["occ.upload_max_bytes"]
    registry.settings["occ.upload_max_bytes"] = "2048"
    try:
        page = upload(testapp, ALBO_EXPORT + b"\r\n" * 2048, status=400)
    finally:
        registry.settings["occ.upload_max_bytes"] = saved
    assert "supera la dimensione massima consentita (2 kB)" in page.text


def test_import_permissions(testapp, dbtx, order):
    assert "/login" in testapp.get("/milano/registrants/import", status=302).location
    login(testapp, "consultazione@milano.it")
    testapp.get("/milano/registrants/import", status=403)
    csrf = testapp.get("/milano/registrants").html.find("input", {"name": "csrf_token"})["value"]
    testapp.post("/milano/registrants/import", {"csrf_token": csrf, "action": "confirm", "token": "0" * 32}, status=403)


def test_export_guards_formula_cells_and_imports_back_unchanged(testapp, dbtx, order):
    with dbtx() as db:
        make_registrant(db, order, CF_BIANCHI, last_name="Bianchi", first_name="Giulia",
                        mobile="+39 333 1234567", address="=HYPERLINK(\"http://x\")")
    login(testapp, "segreteria@milano.it")
    exported = testapp.get("/milano/registrants/export.csv").body
    text = exported.decode("utf-8-sig")
    assert ";'+39 333 1234567;" in text and "'=HYPERLINK" in text
    before = state(dbtx)
    preview = upload(testapp, exported)
    assert "confirm-import" not in preview.text and "non contiene modifiche" in preview.text
    assert state(dbtx) == before
