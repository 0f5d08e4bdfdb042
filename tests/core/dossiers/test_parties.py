"""Debtors (natural and legal persons, household and income, family procedures) and other parties: the
services' rules and the parties tab with its forms."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.dossiers import parties
from occ_core.dossiers.models import Debtor, Dossier, OtherParty
from occ_core.dossiers.party_fields import InvalidData
from occ_core.testing.factories import csrf_token, login

from .party_helpers import (
    CF_BIANCHI,
    CF_ROSSI,
    CF_ROSSI_ANNA,
    VAT_BANCA,
    VAT_STUDIO,
    add_dossier,
    omocodic,
    person,
)


@pytest.fixture
def dossier_id(dbtx, order):
    with dbtx(order) as db:
        return add_dossier(db, order, 1).id


def url(dossier_id, path=""):
    return f"/milano/dossiers/{dossier_id}/parties{path}"


def debtors_of(dbtx, tenant, dossier_id):
    with dbtx(tenant) as db:
        return [(d.display_name, d.codice_fiscale) for d in db.get(Dossier, dossier_id).debtors]


def refused(dbtx, tenant, dossier_id, data, **kwargs) -> dict:
    """The messages of a refused new debtor; the dossier must keep its debtors."""
    before = debtors_of(dbtx, tenant, dossier_id)
    with dbtx(tenant) as db, pytest.raises(InvalidData) as caught:
        parties.add_debtor(db.get(Dossier, dossier_id), data, **kwargs)
    assert debtors_of(dbtx, tenant, dossier_id) == before
    return caught.value.errors


def test_natural_person_gets_birth_date_from_the_codice_fiscale(dbtx, order, dossier_id):
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        debtor = parties.add_debtor(dossier, person(
            "Rossi", "Mario", CF_ROSSI.lower(), household_members="3", dependants="2",
            monthly_income="1.850,00", monthly_family_expenses="1.200,50", isee="9.876,5", province="mi",
            postal_code="20121"))
        assert debtor.birth_date == date(1980, 5, 17)
        assert debtor.codice_fiscale == CF_ROSSI
        assert (debtor.monthly_income, debtor.monthly_family_expenses, debtor.isee) == (
            Decimal("1850.00"), Decimal("1200.50"), Decimal("9876.50"))
        assert debtor.province == "MI"
        # The list's denormalised figures follow the debtors.
        assert dossier.debtor_name == "Rossi Mario" and dossier.debtor_tax_code == CF_ROSSI
        assert CF_ROSSI in dossier.search_text


def test_omocodic_codice_fiscale_is_accepted(dbtx, order, dossier_id):
    code = omocodic(CF_ROSSI)
    with dbtx(order) as db:
        debtor = parties.add_debtor(db.get(Dossier, dossier_id), person("Rossi", "Mario", code))
        assert debtor.codice_fiscale == code and debtor.birth_date == date(1980, 5, 17)


@pytest.mark.parametrize("data, field, message", [
    (person("Rossi", "Mario", "RSSMRA80E17F205A"), "codice_fiscale", "non è valido"),
    (person("Rossi", "Mario", VAT_BANCA), "codice_fiscale", "16 caratteri"),
    (person("Rossi", "", CF_ROSSI), "first_name", "campo obbligatorio"),
    (person("Rossi", "Mario", ""), "codice_fiscale", "campo obbligatorio"),
    (person("Rossi", "Mario", CF_ROSSI, birth_date="18/05/1980"), "birth_date", "non corrisponde"),
    (person("Rossi", "Mario", CF_ROSSI, birth_date="31/02/1980"), "birth_date", "non è valida"),
    (person("Rossi", "Mario", CF_ROSSI, household_members="2", dependants="3"), "dependants", "più dei componenti"),
    (person("Rossi", "Mario", CF_ROSSI, household_members="tre"), "household_members", "numero intero"),
    (person("Rossi", "Mario", CF_ROSSI, monthly_income="-5"), "monthly_income", "positivo o zero"),
    (person("Rossi", "Mario", CF_ROSSI, monthly_income="mille"), "monthly_income", "importo non valido"),
    (person("Rossi", "Mario", CF_ROSSI, email="mario@"), "email", "non è valido"),
    (person("Rossi", "Mario", CF_ROSSI, postal_code="2012"), "postal_code", "CAP"),
    (person("Rossi", "Mario", CF_ROSSI, person_kind="ente"), "person_kind", "non ammesso"),
])
def test_bad_debtor_data_is_refused_in_italian(dbtx, order, dossier_id, data, field, message):
    errors = refused(dbtx, order, dossier_id, data)
    assert message in errors[field]


def test_legal_person_needs_valid_vat_and_suits_the_procedure(dbtx, order):
    with dbtx(order) as db:
        minor = add_dossier(db, order, 1, procedure="concordato_minore").id
        consumer = add_dossier(db, order, 2).id
    company = {"person_kind": "giuridica", "company_name": "Alfa S.r.l.", "partita_iva": "00743110158"}
    assert "non è valida" in refused(dbtx, order, minor, company)["partita_iva"]
    assert "partita IVA o il codice fiscale" in refused(
        dbtx, order, minor, {**company, "partita_iva": ""})["partita_iva"]
    assert "persona fisica" in refused(dbtx, order, consumer, {**company, "partita_iva": VAT_STUDIO})["person_kind"]
    with dbtx(order) as db:
        debtor = parties.add_debtor(db.get(Dossier, minor), {**company, "partita_iva": VAT_STUDIO,
                                                             "last_name": "ignored", "birth_date": "01/01/1970"})
        assert (debtor.display_name, debtor.last_name, debtor.birth_date) == ("Alfa S.r.l.", "", None)


def test_second_debtor_needs_a_family_procedure(dbtx, order, dossier_id):
    with dbtx(order) as db:
        parties.add_debtor(db.get(Dossier, dossier_id), person("Rossi", "Mario", CF_ROSSI))
    errors = refused(dbtx, order, dossier_id, person("Rossi", "Anna", CF_ROSSI_ANNA))
    assert "art. 66" in errors["family"]
    assert "già tra i debitori" in refused(dbtx, order, dossier_id, person("Rossi", "Mario", CF_ROSSI),
                                           family=True)["codice_fiscale"]
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        parties.add_debtor(dossier, person("Rossi", "Anna", CF_ROSSI_ANNA), family=True)
        assert dossier.family is True
        assert [d.position for d in dossier.debtors] == [0, 1]
        assert CF_ROSSI_ANNA in dossier.search_text and dossier.debtor_name == "Rossi Mario"
    # A third member needs no confirmation any more; a company never joins a family procedure.
    company = {"person_kind": "giuridica", "company_name": "Alfa S.r.l.", "partita_iva": VAT_STUDIO}
    with dbtx(order) as db:
        db.get(Dossier, dossier_id).debtor_category = "professionista"
    assert "solo persone fisiche" in refused(dbtx, order, dossier_id, company)["person_kind"]
    with dbtx(order) as db:
        parties.add_debtor(db.get(Dossier, dossier_id), person("Bianchi", "Giulia", CF_BIANCHI))
    assert len(debtors_of(dbtx, order, dossier_id)) == 3


def test_edit_and_delete_of_a_debtor_refresh_the_dossier(dbtx, order, dossier_id):
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        debtor = parties.add_debtor(dossier, person("Rossi", "Mario", CF_ROSSI))
        parties.update_debtor(debtor, {"last_name": "Rossini", "isee": "1000"}, partial=True)
        assert (debtor.first_name, debtor.isee, dossier.debtor_name) == ("Mario", Decimal("1000.00"), "Rossini Mario")
        with pytest.raises(InvalidData):
            parties.update_debtor(debtor, {"codice_fiscale": "x"}, partial=True)
        assert debtor.codice_fiscale == CF_ROSSI
        parties.delete_debtor(debtor)
        assert dossier.debtor_name == "" and dossier.search_text == "1/2025"
    with dbtx(order) as db:
        assert db.scalar(select(func.count(Debtor.id))) == 0


def test_other_parties(dbtx, order, dossier_id):
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        with pytest.raises(InvalidData) as caught:
            parties.add_party(dossier, {"role": "notaio", "name": ""})
        assert set(caught.value.errors) == {"role", "name"}
        lawyer = parties.add_party(dossier, {"role": "avvocato", "name": "Avv. Luca Verdi", "partita_iva": VAT_STUDIO,
                                             "pec": "VERDI@PEC.IT"})
        assert lawyer.pec == "verdi@pec.it" and VAT_STUDIO in dossier.search_text
        parties.update_party(lawyer, {"role": "advisor", "name": "Dott. Verdi"})
        assert lawyer.partita_iva == "" and "Dott. Verdi" in dossier.search_text
        parties.delete_party(lawyer)
    with dbtx(order) as db:
        assert db.scalar(select(func.count(OtherParty.id))) == 0


# --- screens ------------------------------------------------------------------------------------

def test_parties_tab_shows_household_and_income(testapp, dbtx, order, dossier_id):
    with dbtx(order) as db:
        parties.add_debtor(db.get(Dossier, dossier_id), person(
            "Rossi", "Mario", CF_ROSSI, household_members="4", dependants="2", monthly_income="2000",
            monthly_family_expenses="1500,25"))
    login(testapp, "consultazione@milano.it")
    page = testapp.get(url(dossier_id))
    debtor = page.html.select_one(".debtor")
    assert "Rossi Mario" in debtor.text and CF_ROSSI in debtor.text and "17/05/1980" in debtor.text
    household = {row.th.text.strip(): row.td.text.strip() for row in debtor.select("table.household tr")}
    assert household["Componenti del nucleo"] == "4" and household["Familiari a carico"] == "2"
    assert household["Reddito mensile"] == "€ 2.000,00"
    assert household["Spese mensili della famiglia"] == "€ 1.500,25"
    assert household["Reddito disponibile al mese"] == "€ 499,75"
    # A reader sees no editing buttons; every read of the file is audited.
    assert page.html.select_one("#add-debtor") is None
    tabs = [a.text.strip() for a in page.html.select("#dossier-tabs a")]
    assert "Parti" in tabs and "Creditori" in tabs
    with dbtx(order) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.viewed")).one()
        assert entry.object_id == str(dossier_id) and entry.details == {"page": "parti"}


def test_debtor_form_saves_and_refuses(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    page = testapp.get(url(dossier_id, "/debtors/new"))
    # The form belongs to the parties' tab: marked, but not as the page itself.
    [current] = page.html.select("#dossier-tabs a.active")
    assert current.text.strip() == "Parti" and current["aria-current"] == "true"
    form = page.forms["party-form"]
    assert "family" not in form.fields
    form["last_name"], form["first_name"], form["codice_fiscale"] = "Rossi", "Mario", "RSSMRA80E17F205Y"
    form["monthly_income"] = "1.234,56"
    page = form.submit(status=400)
    assert ("Codice fiscale: Il codice fiscale «RSSMRA80E17F205Y» non è valido: l'ultimo carattere, di controllo,"
            in page.html.select_one("#form-error").text)
    assert page.html.select_one("#f-codice_fiscale")["aria-invalid"] == "true"
    assert page.html.select_one("#f-monthly_income")["value"] == "1.234,56"
    assert debtors_of(dbtx, order, dossier_id) == []
    form = page.forms["party-form"]
    form["codice_fiscale"] = CF_ROSSI
    page = form.submit().follow()
    assert "Dati salvati." in page.text and "€ 1.234,56" in page.text
    assert debtors_of(dbtx, order, dossier_id) == [("Rossi Mario", CF_ROSSI)]

    # The second debtor: the form asks to mark the dossier as a family procedure.
    form = testapp.get(url(dossier_id, "/debtors/new")).forms["party-form"]
    form["last_name"], form["first_name"], form["codice_fiscale"] = "Rossi", "Anna", CF_ROSSI_ANNA
    page = form.submit(status=400)
    assert "art. 66" in page.html.select_one("#err-family").text
    form = page.forms["party-form"]
    form["family"] = True
    page = form.submit().follow()
    assert page.html.select_one("#family-badge") is not None
    assert len(debtors_of(dbtx, order, dossier_id)) == 2


def test_debtor_edit_and_delete_with_confirmation(testapp, dbtx, order, dossier_id):
    with dbtx(order) as db:
        debtor_id = parties.add_debtor(db.get(Dossier, dossier_id), person("Rossi", "Mario", CF_ROSSI)).id
    login(testapp, "segreteria@milano.it")
    form = testapp.get(url(dossier_id, f"/debtors/{debtor_id}/edit")).forms["party-form"]
    assert form["codice_fiscale"].value == CF_ROSSI and form["birth_date"].value == "1980-05-17"
    form["occupation"] = "Impiegato"
    form.submit().follow()
    confirm = testapp.get(url(dossier_id, f"/debtors/{debtor_id}/delete"))
    assert "Eliminare il debitore Rossi Mario" in confirm.text
    assert debtors_of(dbtx, order, dossier_id) == [("Rossi Mario", CF_ROSSI)]
    confirm.forms["delete-form"].submit().follow()
    assert debtors_of(dbtx, order, dossier_id) == []
    with dbtx(order) as db:
        assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "dossier_debtors.deleted")) == 1


def test_other_party_forms(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    form = testapp.get(url(dossier_id, "/others/new")).forms["party-form"]
    form["role"], form["name"], form["codice_fiscale"] = "advisor", "Dott.ssa Giulia Bianchi", "BNCGLI75C42H501"
    page = form.submit(status=400)
    assert "non è un codice fiscale valido" in page.html.select_one("#err-codice_fiscale").text
    form = page.forms["party-form"]
    form["codice_fiscale"] = CF_BIANCHI
    page = form.submit().follow()
    row = page.html.select_one("#other-parties tbody tr")
    assert "Advisor o consulente del debitore" in row.text and CF_BIANCHI in row.text
    with dbtx(order) as db:
        party_id = db.scalar(select(OtherParty.id))
    testapp.get(url(dossier_id, f"/others/{party_id}/delete")).forms["delete-form"].submit().follow()
    with dbtx(order) as db:
        assert db.scalar(select(func.count(OtherParty.id))) == 0


def test_permissions(testapp, dbtx, order, dossier_id):
    assert "/login" in testapp.get(url(dossier_id), status=302).location
    login(testapp, "consultazione@milano.it")
    token = csrf_token(testapp)
    testapp.get(url(dossier_id, "/debtors/new"), status=403)
    testapp.post(url(dossier_id, "/debtors/new"), {"csrf_token": token, "last_name": "Rossi", "first_name": "Mario",
                                                   "codice_fiscale": CF_ROSSI}, status=403)
    testapp.post(url(dossier_id, "/others/new"), {"csrf_token": token, "role": "altro", "name": "X"}, status=403)
    assert debtors_of(dbtx, order, dossier_id) == []
    # The gestore role does not read the register's dossiers; unknown rows are "not found".
    testapp.reset()
    login(testapp, "gestore@milano.it")
    testapp.get(url(dossier_id), status=403)
    testapp.reset()
    login(testapp, "segreteria@milano.it")
    testapp.get(url(dossier_id, "/debtors/99/edit"), status=404)
    testapp.get(url(9999), status=404)


def test_posts_need_the_csrf_token(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    testapp.post(url(dossier_id, "/debtors/new"), {"last_name": "Rossi", "first_name": "Mario",
                                                   "codice_fiscale": CF_ROSSI}, status=400)
    assert debtors_of(dbtx, order, dossier_id) == []
