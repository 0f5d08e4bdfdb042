"""Registry screens: list, search and filters, export, registrant page with history, create and edit."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.demo import make_codice_fiscale
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem
from occ_core.testing.factories import login, make_registrant, make_tenant, registry_snapshot
from shared_registry.models import Registrant

CF_ROSSI = make_codice_fiscale("Rossi", "Mario", date(1980, 5, 17), False, "F205")
CF_BIANCHI = make_codice_fiscale("Bianchi", "Giulia", date(1975, 3, 2), True, "F205")


@pytest.fixture
def order(order, dbtx):
    with dbtx() as db:
        make_registrant(db, order, CF_ROSSI, registration_number="1001", email="mario@rossi.it",
                        credits={"2024": 15, "2025": "20,5"})
        make_registrant(db, order, CF_BIANCHI, last_name="Bianchi", first_name="Giulia", category="notaio",
                        status="sospeso", registration_number="2002")
    return order


def registrant_id(dbtx, code):
    with dbtx() as db:
        return db.scalar(select(Registrant.id).where(Registrant.codice_fiscale == code))


def snapshot(dbtx):
    with dbtx() as db:
        return registry_snapshot(db)


def test_list_search_filters_and_counts(testapp, order):
    login(testapp, "consultazione@milano.it")
    page = testapp.get("/milano/registrants")
    assert "2</strong> iscritti trovati" in page.text
    assert "Rossi Mario" in page.text and "Bianchi Giulia" in page.text
    assert "Attivo: 1" in page.text and "Sospeso: 1" in page.text
    page = testapp.get("/milano/registrants", {"q": CF_ROSSI.lower()})
    assert "1</strong> iscritto trovato" in page.text and "Bianchi" not in page.text.split("<table")[1]
    page = testapp.get("/milano/registrants", {"q": "2002"})
    assert "Bianchi Giulia" in page.text and "Rossi Mario" not in page.text
    page = testapp.get("/milano/registrants", {"category": "notaio"})
    assert "Bianchi Giulia" in page.text and "Rossi Mario" not in page.text
    page = testapp.get("/milano/registrants", {"status": "attivo", "q": "giulia"})
    assert "Nessun iscritto corrisponde" in page.text
    # Unknown filter values and pages are ignored, never an error.
    page = testapp.get("/milano/registrants", {"status": "<script>", "category": "x", "page": "abc"})
    assert "2</strong> iscritti trovati" in page.text


def test_pagination(testapp, dbtx, order):
    with dbtx() as db:
        for index in range(30):
            code = make_codice_fiscale("Zeta", "Anna", date(1970, 1, 1) + timedelta(days=index), True, "F205")
            make_registrant(db, order, code, last_name=f"Zeta{index:02d}", first_name="Anna")
    login(testapp, "segreteria@milano.it")
    first = testapp.get("/milano/registrants")  # Bianchi, Rossi, then Zeta00 to Zeta22
    assert "pagina 1 di 2" in first.text and "Zeta22" in first.text and "Zeta23" not in first.text
    second = testapp.get("/milano/registrants", {"page": "2"})
    assert "pagina 2 di 2" in second.text and "Zeta29" in second.text
    assert 'aria-current="page"' in second.text
    assert "pagina 2 di 2" in testapp.get("/milano/registrants", {"page": "99"}).text


def test_export_of_the_filtered_list_imports_back_unchanged(testapp, dbtx, order):
    login(testapp, "segreteria@milano.it")
    export = testapp.get("/milano/registrants/export.csv", {"status": "sospeso"})
    assert export.content_type == "text/csv"
    assert export.body.startswith("\ufeff".encode()) and b"Codice fiscale;Cognome;Nome" in export.body
    assert CF_BIANCHI.encode() in export.body and CF_ROSSI.encode() not in export.body
    full = testapp.get("/milano/registrants/export.csv").body
    assert b"2024:15; 2025:20,5" in full
    before = snapshot(dbtx)
    form = testapp.get("/milano/registrants/import").forms["import-form"]
    form["file"] = ("iscritti.csv", full)
    preview = form.submit(name="action", value="preview")
    assert "Invariati: 2" in preview.text and "Da modificare: 0" in preview.text and "Nuovi: 0" in preview.text
    assert "confirm-import" not in preview.text
    assert snapshot(dbtx) == before


def test_registrant_page_shows_data_credits_menu_and_history(testapp, dbtx, pm, order):
    class RegistrantLinks:
        @hookimpl
        def occ_registrant_menu(self, request, registrant):
            return [NavItem("Pratiche come gestore", f"/milano/prova/?cf={registrant.codice_fiscale}")]

    plugin = RegistrantLinks()
    pm.register(plugin, name="test-registrant-links")
    try:
        login(testapp, "consultazione@milano.it")
        page = testapp.get(f"/milano/registrants/{registrant_id(dbtx, CF_ROSSI)}")
    finally:
        pm.unregister(plugin)
    assert CF_ROSSI in page.text and "mario@rossi.it" in page.text and "17/05/1980" in page.text
    assert "Avvocato" in page.text and "Maschile" in page.text
    credits = page.html.find(id="credits").get_text(" ", strip=True)
    assert "2025 20,5" in credits and "2024 15" in credits
    assert f"/milano/prova/?cf={CF_ROSSI}" in page.text and "Pratiche come gestore" in page.text
    history = page.html.find(id="history").get_text(" ", strip=True)
    assert "Inserimento" in history and "Rossi" in history
    assert "edit-link" not in page.text  # read-only for consultazione


def test_create_and_edit_with_audit_history(testapp, dbtx, order):
    login(testapp, "segreteria@milano.it")
    form = testapp.get("/milano/registrants/new").forms["registrant-form"]
    code = make_codice_fiscale("Verdi", "Luca", date(1990, 7, 30), False, "A794")
    form["codice_fiscale"] = code.lower()
    form["last_name"], form["first_name"] = "Verdi", "Luca"
    form["category"] = "commercialista"
    form["email"] = "Luca@Verdi.IT"
    form["specialisations"] = "Crisi d'impresa\nRevisione legale"
    form.fields["credit_year"][0].value, form.fields["credit_amount"][0].value = "2025", "12,5"
    page = form.submit().follow()
    assert "Iscritto Verdi Luca inserito" in page.text
    assert "30/07/1990" in page.text and "luca@verdi.it" in page.text and "Revisione legale" in page.text
    new_id = registrant_id(dbtx, code)

    form = testapp.get(f"/milano/registrants/{new_id}/edit").forms["registrant-form"]
    assert "codice_fiscale" not in form.fields  # the code cannot be changed
    form["email"] = "nuova@verdi.it"
    form["status"] = "sospeso"
    form.fields["credit_amount"][0].value = "14"
    page = form.submit().follow()
    assert "Dati aggiornati" in page.text
    history = page.html.find(id="history").get_text(" ", strip=True)
    assert "Segreteria Modifica Stato : Attivo → Sospeso Email : luca@verdi.it → nuova@verdi.it" in history
    assert "Crediti formativi 2025 : 12,5 → 14" in history
    with dbtx() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.object_type == "Registrant",
                                                      AuditEntry.object_id == str(new_id))
                             .order_by(AuditEntry.id)).all()
        assert [entry.action for entry in entries] == ["registry_registrants.created", "registry_registrants.updated"]
        assert all(entry.user_id is not None for entry in entries)

    # Saving again without changes writes nothing.
    before = snapshot(dbtx)
    page = testapp.get(f"/milano/registrants/{new_id}/edit").forms["registrant-form"].submit().follow()
    assert "Nessuna modifica da salvare" in page.text
    assert snapshot(dbtx) == before


def test_posted_codice_fiscale_cannot_change_on_edit(testapp, dbtx, order):
    login(testapp, "segreteria@milano.it")
    rossi = registrant_id(dbtx, CF_ROSSI)
    fields = dict(testapp.get(f"/milano/registrants/{rossi}/edit").forms["registrant-form"].submit_fields())
    fields["codice_fiscale"] = CF_BIANCHI
    testapp.post(f"/milano/registrants/{rossi}/edit", fields, status=302)
    with dbtx() as db:
        assert db.get(Registrant, rossi).codice_fiscale == CF_ROSSI


@pytest.mark.parametrize("field, value, message", [
    ("email", "non-una-email", "«non-una-email» non è un indirizzo di posta valido (ad esempio nome@dominio.it)."),
    ("birth_date", "1980-05-18", "La data di nascita non corrisponde al codice fiscale."),
    ("last_name", "", "Campo obbligatorio."),
    ("postal_code", "201", "Il CAP è composto da 5 cifre."),
    ("credit_amount", "tanti", "non validi"),
])
def test_edit_with_bad_data_is_refused_and_changes_nothing(testapp, dbtx, order, field, value, message):
    login(testapp, "segreteria@milano.it")
    rossi = registrant_id(dbtx, CF_ROSSI)
    before = snapshot(dbtx)
    form = testapp.get(f"/milano/registrants/{rossi}/edit").forms["registrant-form"]
    form["city"] = "Monza"  # a valid change that must not be saved either
    if field == "credit_amount":
        form.fields["credit_amount"][0].value = value
    else:
        form[field] = value
    page = form.submit(status=400)
    assert message in page.text and "Non è stato salvato nulla" in page.text
    assert page.forms["registrant-form"]["city"].value == "Monza"  # the form keeps what was typed
    assert snapshot(dbtx) == before


@pytest.mark.parametrize("code, message", [
    ("RSSMRA80E17F205Y", "non è valido"),
    (CF_ROSSI, "Esiste già un iscritto"),
    ("", "obbligatorio"),
])
def test_create_with_bad_codice_fiscale_is_refused(testapp, dbtx, order, code, message):
    login(testapp, "segreteria@milano.it")
    before = snapshot(dbtx)
    form = testapp.get("/milano/registrants/new").forms["registrant-form"]
    form["codice_fiscale"] = code
    form["last_name"], form["first_name"] = "Nuovo", "Iscritto"
    page = form.submit(status=400)
    assert message in page.html.find(id="err-codice_fiscale").text
    assert snapshot(dbtx) == before


def test_permissions(testapp, dbtx, order):
    rossi = registrant_id(dbtx, CF_ROSSI)
    for url in ("/milano/registrants", f"/milano/registrants/{rossi}", "/milano/registrants/new",
                f"/milano/registrants/{rossi}/edit", "/milano/registrants/import", "/milano/registrants/export.csv"):
        assert "/login" in testapp.get(url, status=302).location
    login(testapp, "consultazione@milano.it")
    testapp.get("/milano/registrants", status=200)
    testapp.get(f"/milano/registrants/{rossi}", status=200)
    testapp.get("/milano/registrants/new", status=403)
    testapp.get(f"/milano/registrants/{rossi}/edit", status=403)
    testapp.get("/milano/registrants/import", status=403)
    testapp.get("/milano/registrants/999999", status=404)
    page = testapp.get("/milano/registrants")
    assert "Nuovo iscritto" not in page.text and "Importa" not in page.text
    testapp.reset()
    login(testapp, "gestore@milano.it")
    testapp.get("/milano/registrants", status=403)


def test_another_orders_registrant_is_not_found(testapp, dbtx, pm, order):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
        other = make_registrant(db, roma, make_codice_fiscale("Neri", "Ugo", date(1960, 1, 1), False, "H501"),
                                last_name="Neri", first_name="Ugo").id
    login(testapp, "segreteria@milano.it")
    testapp.get(f"/milano/registrants/{other}", status=404)
    testapp.get(f"/milano/registrants/{other}/edit", status=404)
    assert "Neri" not in testapp.get("/milano/registrants/export.csv").text
