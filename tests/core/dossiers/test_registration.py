"""Registering an application («Nuova pratica») and editing a dossier's data: what is stored, what is
refused (400, the message, nothing written) and who may do it."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum.it import codicefiscale

from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import registration
from occ_core.dossiers.fields import InvalidData, court_case_number
from occ_core.dossiers.models import Debtor, Dossier, DossierCounter, Transition
from occ_core.testing.factories import csrf_token, login

from .conftest import CF_DEBTOR, application, open_dossier

VAT_NUMBER = "12345670124"


def omocodic(code: str) -> str:
    """The code the Agenzia delle Entrate gives the second person with the same one: the last digit
    becomes a letter, and the check character changes."""
    body = code[:14] + "LMNPQRSTUV"[int(code[14])]
    return body + codicefiscale.calc_check_digit(body)


def written(dbtx, order):
    """Everything a refused registration must leave as it was."""
    with dbtx(order) as db:
        return tuple(db.scalar(select(func.count()).select_from(model)) for model in
                     (Dossier, Debtor, Transition, DossierCounter, AuditEntry))


def fill(form, data: dict):
    """Type ``data`` into the form as a user would; values a select does not offer are forced in."""
    flat = {k: v for k, v in data.items() if k != "debtor"} | {f"debtor.{k}": v for k, v in data["debtor"].items()}
    for name, value in flat.items():
        if form[name].tag == "select":
            form[name].force_value(value)
        else:
            form[name] = value
    return form


def test_new_dossier_is_registered_with_its_first_debtor(testapp, dbtx, order, events):
    login(testapp, "segreteria@milano.it")
    form = testapp.get("/milano/dossiers/new").forms["dossier-new-form"]
    fill(form, application(court="Tribunale di Milano", subject="Debiti da mutuo e finanziamenti",
                           debtor={"person_kind": "fisica", "last_name": " Verdi ", "first_name": "Anna",
                                   "codice_fiscale": CF_DEBTOR.lower()}))
    response = form.submit(status=302)
    page = response.follow()
    year = today().year
    assert f"Pratica 1/{year} registrata" in page.text
    assert page.html.find(id="dossier-state").text == "Istanza ricevuta"
    assert "Verdi Anna" in page.html.find(id="debtors").text
    with dbtx(order) as db:
        dossier = db.scalar(select(Dossier))
        assert response.location.endswith(f"/milano/dossiers/{dossier.id}")
        assert (dossier.reference, dossier.procedure, dossier.debtor_category, dossier.filed_on) == (
            f"1/{year}", "ristrutturazione_consumatore", "consumatore", date(2025, 3, 10))
        assert (dossier.state, dossier.court, dossier.closed, dossier.family) == (
            "ISTANZA_RICEVUTA", "Tribunale di Milano", False, False)
        debtor = dossier.debtors[0]
        assert (debtor.person_kind, debtor.last_name, debtor.first_name, debtor.codice_fiscale) == (
            "fisica", "Verdi", "Anna", CF_DEBTOR)
        assert (dossier.debtor_name, dossier.debtor_tax_code) == ("Verdi Anna", CF_DEBTOR)
        assert CF_DEBTOR in dossier.search_text and f"1/{year}" in dossier.search_text
        assert [(t.from_state, t.to_state) for t in dossier.transitions] == [("", "ISTANZA_RICEVUTA")]
        opened = db.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.opened"))
        assert opened.object_id == str(dossier.id) and opened.user_id == dossier.created_by_id is not None
    assert [e.name for e in events] == ["dossier.opened"]


def test_legal_person_and_omocodic_codes_are_accepted(order, tenant_env):
    with tenant_env(order) as env:
        company = open_dossier(env, "liquidazione_controllata", debtor_category="imprenditore_minore", debtor={
            "person_kind": "giuridica", "company_name": "Alfa S.r.l.", "partita_iva": VAT_NUMBER,
            "codice_fiscale": VAT_NUMBER, "last_name": "ignorato"})
        assert (company.debtor_name, company.debtors[0].last_name, company.debtors[0].partita_iva) == (
            "Alfa S.r.l.", "", VAT_NUMBER)
        twin = omocodic(CF_DEBTOR)
        person = open_dossier(env, debtor={"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna",
                                           "codice_fiscale": twin})
        assert person.debtors[0].codice_fiscale == twin != CF_DEBTOR


FUTURE = (today() + timedelta(days=1)).isoformat()
BAD_APPLICATIONS = [
    ({"filed_on": FUTURE}, "filed_on", "Data di presentazione dell'istanza: la data non può essere futura."),
    ({"filed_on": "31/02/2025"}, "filed_on", "la data «31/02/2025» non è valida"),
    ({"filed_on": ""}, "filed_on", "Data di presentazione dell'istanza: campo obbligatorio."),
    ({"procedure": "inventata"}, "procedure", "Procedura: scegliere una delle voci proposte."),
    ({"debtor": {"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna",
                 "codice_fiscale": "VRDNNA70D52F205X"}}, "debtor.codice_fiscale", "non è valido"),
    ({"debtor": {"person_kind": "fisica", "last_name": "Verdi", "first_name": "Anna",
                 "codice_fiscale": VAT_NUMBER}}, "debtor.codice_fiscale", "servono i 16 caratteri"),
    ({"debtor": {"person_kind": "fisica", "last_name": "", "first_name": "Anna"}},
     "debtor.last_name", "Cognome: campo obbligatorio."),
    ({"procedure": "liquidazione_controllata", "debtor_category": "altro",
      "debtor": {"person_kind": "giuridica", "company_name": ""}},
     "debtor.company_name", "Ragione sociale o denominazione: campo obbligatorio."),
    ({"procedure": "liquidazione_controllata", "debtor_category": "altro",
      "debtor": {"person_kind": "giuridica", "company_name": "Alfa S.r.l.", "partita_iva": "12345670125"}},
     "debtor.partita_iva", "Partita IVA: «12345670125» non è valida"),
    ({"procedure": "concordato_minore", "debtor_category": "consumatore"},
     "debtor_category", "la procedura «Concordato minore» è riservata a: Professionista"),
    ({"procedure": "esdebitazione_incapiente", "debtor_category": "altro",
      "debtor": {"person_kind": "giuridica", "company_name": "Alfa S.r.l."}},
     "debtor.person_kind", "è riservata alle persone fisiche"),
    ({"debtor": {"person_kind": "giuridica", "company_name": "Alfa S.r.l."}},
     "debtor.person_kind", "Un consumatore è sempre una persona fisica"),
    ({"procedure": "liquidazione_controllata", "debtor_category": "altro", "family": True,
      "debtor": {"person_kind": "giuridica", "company_name": "Alfa S.r.l."}},
     "debtor.person_kind", "Una procedura familiare riguarda persone fisiche"),
    ({"court": "T" * 121}, "court", "Tribunale competente: al massimo 120 caratteri."),
]


@pytest.mark.parametrize("changes, field, message", BAD_APPLICATIONS)
def test_bad_applications_are_refused_and_nothing_is_written(testapp, dbtx, order, changes, field, message):
    login(testapp, "segreteria@milano.it")
    form = testapp.get("/milano/dossiers/new").forms["dossier-new-form"]
    before = written(dbtx, order)
    page = fill(form, application(**changes)).submit(status=400)
    error = page.html.find(id="f-" + field.replace(".", "-") + "-error")
    assert error is not None and message in error.text
    assert "Non è stato salvato nulla" in page.html.find(id="form-error").text
    assert written(dbtx, order) == before


def test_the_service_refuses_bad_values_of_any_type(order, tenant_env, dbtx):
    """The JSON API hands the service typed values: none of them may break it."""
    before = written(dbtx, order)
    for data in ({**application(), "filed_on": 20250310, "family": "forse", "subject": ["x"]},
                 {**application(), "debtor": "Verdi", "number": 7},
                 {}):
        with pytest.raises(InvalidData) as refused:
            with tenant_env(order) as env:
                registration.open_dossier(env, data)
        assert refused.value.errors
    assert set(refused.value.errors) == {"procedure", "debtor_category", "filed_on", "debtor"}
    assert written(dbtx, order) == before


def test_a_file_instead_of_a_field_is_refused_not_an_error(testapp, dbtx, order):
    login(testapp, "segreteria@milano.it")
    before = written(dbtx, order)
    page = testapp.post("/milano/dossiers/new", {"csrf_token": csrf_token(testapp), "procedure": "concordato_minore"},
                        upload_files=[("filed_on", "istanza.pdf", b"%PDF-1.4")], status=400)
    assert "campo obbligatorio" in page.text
    assert written(dbtx, order) == before


@pytest.mark.parametrize("url", ["/milano/dossiers/new", "/milano/dossiers/1/edit"])
def test_roles_without_the_permission_are_refused(testapp, dbtx, order, tenant_env, url):
    with tenant_env(order) as env:
        open_dossier(env)
    assert testapp.get(url, status=302).location.startswith("http://127.0.0.1:6543/login")
    for role in ("consultazione", "gestore"):
        testapp.reset()
        login(testapp, f"{role}@milano.it")
        testapp.get(url, status=403)
        before = written(dbtx, order)
        testapp.post(url, {**application(), "csrf_token": csrf_token(testapp)}, status=403)
        assert written(dbtx, order) == before


def edit_form(testapp, dossier_id):
    return testapp.get(f"/milano/dossiers/{dossier_id}/edit").forms["dossier-edit-form"]


def test_edit_updates_figures_and_the_summary_shows_them(testapp, dbtx, order, tenant_env):
    with tenant_env(order) as env:
        dossier_id = open_dossier(env).id
    login(testapp, "segreteria@milano.it")
    form = edit_form(testapp, dossier_id)
    assert form["filed_on"].value == "2025-03-10" and form["procedure"].value == "ristrutturazione_consumatore"
    form["attivo"] = "12.500,00"
    form["passivo_declared"] = "40.000"
    form["satisfaction_percent"] = "35,5"
    form["incarico_accepted_on"] = "20/03/2025"
    form["court"] = "Tribunale di Monza"
    form["court_case_number"] = "R.G. n. 1234/2025"  # the page prints "R.G." itself
    form["procedure"] = "piano_consumatore"
    page = form.submit(status=302).follow()
    assert "Dati della pratica aggiornati" in page.text
    figures = page.html.find(id="figures").text
    assert "€ 12.500,00" in figures and "€ 40.000,00" in figures and "35,50 %" in figures
    assert page.html.find(id="reduction").text == "64,50 %"
    assert page.html.find(id="passivo-difference").text == "€ 40.000,00"
    assert "Tribunale di Monza, R.G. 1234/2025" in " ".join(page.text.split())
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        assert (dossier.attivo, dossier.passivo_declared, dossier.satisfaction_percent) == (
            Decimal("12500.00"), Decimal("40000.00"), Decimal("35.50"))
        assert (dossier.incarico_accepted_on, dossier.court_case_number, dossier.procedure) == (
            date(2025, 3, 20), "1234/2025", "piano_consumatore")
        assert (dossier.number, dossier.year) == (1, today().year)
        changed = db.scalar(select(AuditEntry).where(AuditEntry.action == "dossiers.updated")
                            .order_by(AuditEntry.id.desc()).limit(1))
        assert changed.details["changes"]["attivo"] == [None, "12500.00"]
    assert "Nessuna modifica" in edit_form(testapp, dossier_id).submit().follow().text


BAD_EDITS = [
    ("satisfaction_percent", "120", "indicare un numero tra 0 e 100"),
    ("satisfaction_percent", "abc", "indicare un numero tra 0 e 100"),
    ("attivo", "-5", "l'importo deve essere positivo o zero"),
    ("attivo", "dodici", "importo non valido"),
    ("incarico_accepted_on", "01/01/2020", "non può precedere la presentazione dell'istanza"),
    ("debtor_category", "professionista", "è riservata a: Consumatore"),
    ("outcome", "CHIUSO", "Esito: scegliere uno degli esiti possibili della procedura."),
    ("outcome", "INVENTATO", "Esito: scegliere una delle voci proposte."),
]


@pytest.mark.parametrize("field, value, message", BAD_EDITS)
def test_bad_edits_are_refused_and_nothing_changes(testapp, dbtx, order, tenant_env, field, value, message):
    with tenant_env(order) as env:
        dossier_id = open_dossier(env).id
    login(testapp, "segreteria@milano.it")
    form = edit_form(testapp, dossier_id)
    with dbtx(order) as db:
        before = db.get(Dossier, dossier_id).updated_at
    if form[field].tag == "select":
        form[field].force_value(value)
    else:
        form[field] = value
    form["court"] = "Tribunale di Como"
    page = form.submit(status=400)
    assert message in page.html.find(id=f"f-{field}-error").text
    assert page.html.find(id="f-court")["value"] == "Tribunale di Como"  # what was typed is shown again
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        assert (dossier.court, dossier.updated_at) == ("", before)


def test_procedure_is_fixed_after_the_filing_and_the_register_data_never_change(order, tenant_env, dbtx):
    with tenant_env(order) as env:
        dossier = open_dossier(env)
        dossier.state, dossier.family = "DEPOSITATO", True
        dossier.debtors.append(Debtor(tenant_id=order.id, position=1, last_name="Verdi", first_name="Luca"))
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier.id)
        with pytest.raises(InvalidData) as refused:
            registration.update_dossier(dossier, {
                "procedure": "liquidazione_controllata", "number": 9, "year": 2001, "registered_at": "2001-01-01",
                "state": "CHIUSO", "colore": "rosso", "family": False, "outcome": "OMOLOGATO"})
    assert refused.value.errors == {
        "procedure": "Procedura: non si può più cambiare dopo il deposito in tribunale o la chiusura della pratica.",
        "number": "Il numero di registro non si può modificare.",
        "year": "L'anno del registro non si può modificare.",
        "registered_at": "La data di registrazione non si può modificare.",
        "state": "Lo stato cambia solo con un passaggio di stato (POST …/transition).",
        "colore": "«colore»: campo sconosciuto.",
    }
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier.id)
        with pytest.raises(InvalidData) as refused:
            registration.update_dossier(dossier, {"family": False, "outcome": "OMOLOGATO"})
        assert set(refused.value.errors) == {"family", "outcome"}
        assert registration.update_dossier(dossier, {"procedure": "ristrutturazione_consumatore",
                                                          "outcome": "NON_OMOLOGATO"}) == {
            "outcome": ["", "NON_OMOLOGATO"]}


def test_edit_page_of_a_filed_dossier_has_no_procedure_field(testapp, order, tenant_env):
    with tenant_env(order) as env:
        dossier = open_dossier(env)
        dossier.state = "DEPOSITATO"
    login(testapp, "segreteria@milano.it")
    page = testapp.get(f"/milano/dossiers/{dossier.id}/edit")
    assert [a.text for a in page.html.select("#dossier-tabs a.active")] == ["Riepilogo"]  # the summary's form
    assert "procedure" not in page.forms["dossier-edit-form"].fields
    assert "non si può più cambiare" in page.html.find(id="procedure-locked").text
    form = page.forms["dossier-edit-form"]
    form["subject"] = "Nota"
    assert "Dati della pratica aggiornati" in form.submit(status=302).follow().text
    outcomes = [value for value, _selected, _text in page.forms["dossier-edit-form"]["outcome"].options]
    assert outcomes == ["", "ARCHIVIATA", "INAMMISSIBILE", "NON_OMOLOGATO", "REVOCATO", "CHIUSO_ESEGUITO"]


def test_the_new_form_offers_the_procedures_by_law(testapp, order):
    login(testapp, "amministratore@milano.it")
    page = testapp.get("/milano/dossiers/new")
    groups = [group["label"] for group in page.html.find(id="f-procedure").find_all("optgroup")]
    assert groups == ["Codice della crisi (D.Lgs. 14/2019)", "Legge 3/2012"]
    assert page.forms["dossier-new-form"]["filed_on"].value == today().isoformat()
    assert make_codice_fiscale  # the debtor's code in these tests is a real, valid one


@pytest.mark.parametrize("typed, kept", [
    ("1234/2025", "1234/2025"), ("R.G. 1234/2025", "1234/2025"), ("rg n. 77/2026", "77/2026"),
    ("R.G. n° 5/2024", "5/2024"), ("RG123/2025", "123/2025"), ("RGE 12/2025", "RGE 12/2025"),
    ("Reg. 3/2025", "Reg. 3/2025"), ("rgn 4/2025", "rgn 4/2025"),
])
def test_the_roll_number_is_kept_without_its_prefix(typed, kept):
    assert court_case_number(typed, "Numero di ruolo in tribunale (R.G.)") == kept
