"""Creditors: validation (CF/P.IVA, amount, exclusion from the vote with its reason), the tab's totals,
the forms, and the CSV export and import (preview first, nothing written before the confirmation)."""
import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.dossiers import parties
from occ_core.dossiers.models import Creditor, Dossier
from occ_core.dossiers.party_fields import InvalidData
from occ_core.testing.factories import csrf_token, login

from .party_helpers import CF_VERDI, VAT_BANCA, VAT_FORNITORE, add_dossier, creditor

BANCA = creditor("Banca Alfa S.p.A.", "10.000,00", kind="banca", partita_iva=VAT_BANCA, rank="ipotecario",
                 secured="1", class_name="Classe 1", pec="banca@pec.alfa.it")
ERARIO = creditor("Agenzia delle Entrate", "2.500,50", kind="erario", rank="privilegiato_generale",
                  class_name="Classe 2")
FRATELLO = creditor("Luca Verdi", "1.000", kind="privato", codice_fiscale=CF_VERDI, excluded_from_vote="1",
                    exclusion_ground="parente", exclusion_details="fratello del debitore", class_name="Classe 2")


@pytest.fixture
def dossier_id(dbtx, order):
    with dbtx(order) as db:
        return add_dossier(db, order, 1, passivo_declared=Decimal("15000.00")).id


def url(dossier_id, path=""):
    return f"/milano/dossiers/{dossier_id}/creditors{path}"


def creditors_of(dbtx, tenant, dossier_id):
    with dbtx(tenant) as db:
        return [(c.name, c.amount_claimed) for c in db.get(Dossier, dossier_id).creditors]


def add(dbtx, tenant, dossier_id, *rows):
    with dbtx(tenant) as db:
        dossier = db.get(Dossier, dossier_id)
        return [parties.add_creditor(dossier, row).id for row in rows]


def test_creditor_is_stored_and_the_dossier_totals_follow(dbtx, order, dossier_id):
    add(dbtx, order, dossier_id, BANCA, ERARIO, FRATELLO)
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        banca, erario, fratello = dossier.creditors
        assert (banca.kind, banca.rank, banca.secured, banca.amount_claimed) == (
            "banca", "ipotecario", True, Decimal("10000.00"))
        assert fratello.exclusion_reason == "Parente o affine del debitore entro il quarto grado: fratello del debitore"
        assert erario.exclusion_reason == "" and not erario.excluded_from_vote
        assert dossier.passivo_from_creditors == Decimal("13500.50") and dossier.creditor_count == 3
        assert VAT_BANCA in dossier.search_text and CF_VERDI in dossier.search_text
        totals = parties.creditor_totals(dossier)
        assert [(s.key, s.count, s.amount) for s in totals.by_rank] == [
            ("privilegiato_generale", 1, Decimal("2500.50")), ("ipotecario", 1, Decimal("10000.00")),
            ("chirografario", 1, Decimal("1000.00"))]
        assert [(s.key, s.amount) for s in totals.by_class] == [
            ("Classe 1", Decimal("10000.00")), ("Classe 2", Decimal("3500.50"))]
        assert (totals.excluded_count, totals.admitted_to_vote, totals.secured, totals.difference) == (
            1, Decimal("12500.50"), Decimal("10000.00"), Decimal("-1499.50"))


@pytest.mark.parametrize("data, field, message", [
    (creditor("", "100"), "name", "campo obbligatorio"),
    (creditor("X", ""), "amount_claimed", "campo obbligatorio"),
    (creditor("X", "12,345"), "amount_claimed", "due decimali"),
    (creditor("X", "-1"), "amount_claimed", "positivo o zero"),
    (creditor("X", "1", partita_iva="00743110158"), "partita_iva", "non è valida"),
    (creditor("X", "1", codice_fiscale="RSSMRA80E17F205A"), "codice_fiscale", "non è valido"),
    (creditor("X", "1", pec="pec-senza-chiocciola"), "pec", "non è valido"),
    (creditor("X", "1", rank="quinto"), "rank", "non ammesso"),
    (creditor("X", "1", kind="zio"), "kind", "non ammesso"),
    (creditor("X", "1", excluded_from_vote="1"), "exclusion_ground", "art. 79"),
    (creditor("X", "1", excluded_from_vote="1", exclusion_ground="altro"), "exclusion_details", "descriva"),
    (creditor("X", "1", excluded_from_vote="forse"), "excluded_from_vote", "sì o no"),
])
def test_bad_creditor_data_is_refused(dbtx, order, dossier_id, data, field, message):
    with dbtx(order) as db, pytest.raises(InvalidData) as caught:
        parties.add_creditor(db.get(Dossier, dossier_id), data)
    assert message in caught.value.errors[field]
    assert creditors_of(dbtx, order, dossier_id) == []


def test_edit_keeps_the_exclusion_reason_and_delete_refreshes(dbtx, order, dossier_id):
    (fratello_id,) = add(dbtx, order, dossier_id, FRATELLO)
    with dbtx(order) as db:
        fratello = db.get(Creditor, fratello_id)
        dossier = fratello.dossier
        values = parties.creditor_form_values(fratello)
        assert (values["exclusion_ground"], values["exclusion_details"], values["amount_claimed"]) == (
            "parente", "fratello del debitore", "1000,00")
        parties.update_creditor(fratello, {**values, "amount_claimed": "1.500,00"})
        assert fratello.exclusion_reason.endswith(": fratello del debitore")
        parties.update_creditor(fratello, {"excluded_from_vote": False}, partial=True)
        assert fratello.exclusion_reason == "" and dossier.passivo_from_creditors == Decimal("1500.00")
        parties.delete_creditor(fratello)
        assert dossier.creditor_count == 0
    assert creditors_of(dbtx, order, dossier_id) == []


# --- screens ------------------------------------------------------------------------------------

def test_creditors_tab_shows_totals(testapp, dbtx, order, dossier_id):
    add(dbtx, order, dossier_id, BANCA, ERARIO, FRATELLO)
    login(testapp, "consultazione@milano.it")
    page = testapp.get(url(dossier_id))
    html = page.html
    assert html.select_one("#total-passivo").text == "€ 13.500,50"
    assert html.select_one("#declared-passivo").text == "€ 15.000,00"
    assert html.select_one("#passivo-difference").text == "€ -1.499,50"
    assert html.select_one("#excluded-count").text == "1"
    by_rank = {row.th.text: row.select("td")[-1].text for row in html.select("#totals-by-rank tbody tr")}
    assert by_rank == {"Privilegiato generale": "€ 2.500,50", "Ipotecario": "€ 10.000,00",
                       "Chirografario": "€ 1.000,00"}
    by_class = {row.th.text: row.select("td")[-1].text for row in html.select("#totals-by-class tbody tr")}
    assert by_class == {"Classe 1": "€ 10.000,00", "Classe 2": "€ 3.500,50"}
    assert html.select_one("#secured-total").text == "€ 10.000,00"
    rows = html.select("#creditors tbody tr")
    assert len(rows) == 3 and "escluso" in rows[2].text and "fratello del debitore" in rows[2].text
    assert html.select_one("#add-creditor") is None


def test_creditor_form_saves_and_refuses(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    form = testapp.get(url(dossier_id, "/new")).forms["party-form"]
    form["name"], form["amount_claimed"], form["partita_iva"] = "Banca Alfa", "5.000,00", "123"
    form["excluded_from_vote"] = True
    page = form.submit(status=400)
    errors = page.html.select_one("#form-error").text
    assert "Partita IVA" in errors and "Motivo dell'esclusione" in errors
    assert creditors_of(dbtx, order, dossier_id) == []
    form = page.forms["party-form"]
    form["partita_iva"], form["exclusion_ground"] = VAT_BANCA, "conflitto"
    page = form.submit().follow()
    assert "Dati salvati." in page.text
    assert creditors_of(dbtx, order, dossier_id) == [("Banca Alfa", Decimal("5000.00"))]
    with dbtx(order) as db:
        creditor_id = db.scalar(select(Creditor.id))
    form = testapp.get(url(dossier_id, f"/{creditor_id}/edit")).forms["party-form"]
    assert form["exclusion_ground"].value == "conflitto" and form["amount_claimed"].value == "5000,00"
    form["amount_claimed"] = "4.000"
    form.submit().follow()
    assert creditors_of(dbtx, order, dossier_id) == [("Banca Alfa", Decimal("4000.00"))]
    testapp.get(url(dossier_id, f"/{creditor_id}/delete")).forms["delete-form"].submit().follow()
    assert creditors_of(dbtx, order, dossier_id) == []


def test_permissions(testapp, dbtx, order, dossier_id):
    (creditor_id,) = add(dbtx, order, dossier_id, BANCA)
    assert "/login" in testapp.get(url(dossier_id), status=302).location
    login(testapp, "consultazione@milano.it")
    token = csrf_token(testapp)
    testapp.post(url(dossier_id, "/new"), {"csrf_token": token, "name": "X", "amount_claimed": "1"}, status=403)
    testapp.post(url(dossier_id, f"/{creditor_id}/delete"), {"csrf_token": token}, status=403)
    testapp.post(url(dossier_id, "/import"), {"csrf_token": token, "action": "cancel"}, status=403)
    testapp.get(url(dossier_id, "/export.csv"), status=200)
    assert creditors_of(dbtx, order, dossier_id) == [("Banca Alfa S.p.A.", Decimal("10000.00"))]


def read_csv(response) -> list[list[str]]:
    assert response.body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))


def test_export_is_excel_friendly_and_audited(testapp, dbtx, order, dossier_id):
    add(dbtx, order, dossier_id, BANCA, FRATELLO)
    login(testapp, "segreteria@milano.it")
    rows = read_csv(testapp.get(url(dossier_id, "/export.csv")))
    assert rows[0][:3] == ["Denominazione o nominativo", "Tipo di creditore", "Codice fiscale"]
    assert rows[1][0] == "Banca Alfa S.p.A." and rows[1][1] == "Banca" and "10000,00" in rows[1]
    assert rows[0][-3:] == ["Escluso dal voto", "Motivo dell'esclusione dal voto", "Note"]
    assert rows[2][-3:] == ["Sì", "Parente o affine del debitore entro il quarto grado: fratello del debitore", ""]
    with dbtx(order) as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.creditors_exported")).one()
        assert entry.details == {"rows": 2}


def upload(testapp, dossier_id, content: bytes, status=200):
    form = testapp.get(url(dossier_id, "/import")).forms["import-form"]
    form["file"] = ("creditori.csv", content)
    return form.submit("action", value="preview", status=status)


def test_import_previews_then_adds_only_on_confirmation(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    content = ("Nome;Importo;Grado;P.IVA;Garantito;Escluso dal voto;Motivo\n"
               f"Banca Beta;1.234,56;Ipotecario;{VAT_BANCA};sì;;\n"
               "Fornitore;abc;chirografario;;no;;\n"
               f"Cugino;500;;{VAT_FORNITORE};no;sì;parente: cugino di secondo grado\n"
               "Ignoto;100;;;no;sì;\n").encode("cp1252")
    page = upload(testapp, dossier_id, content)
    assert page.html.select_one("#valid-count").text == "2" and page.html.select_one("#error-count").text == "2"
    rows = page.html.select("#preview tbody tr")
    assert "importo non valido" in rows[1].text and "art. 79" in rows[3].text
    assert creditors_of(dbtx, order, dossier_id) == []
    page = page.forms["confirm-form"].submit("action", value="confirm").follow()
    assert "Importati 2 creditori; 2 righe con errori non importate." in page.text
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        beta, cugino = dossier.creditors
        assert (beta.rank, beta.secured, beta.amount_claimed) == ("ipotecario", True, Decimal("1234.56"))
        assert cugino.exclusion_reason == "Parente o affine del debitore entro il quarto grado: cugino di secondo grado"
        assert dossier.creditor_count == 2
        assert db.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "dossier.creditors_imported")) == 1


def test_exported_list_imports_again(testapp, dbtx, order):
    with dbtx(order) as db:
        source = add_dossier(db, order, 1)
        parties.add_creditor(source, BANCA)
        parties.add_creditor(source, FRATELLO)
        target_id = add_dossier(db, order, 2).id
        source_id = source.id
    login(testapp, "segreteria@milano.it")
    exported = testapp.get(url(source_id, "/export.csv")).body
    upload(testapp, target_id, exported).forms["confirm-form"].submit("action", value="confirm")
    with dbtx(order) as db:
        def fingerprint(dossier_id):
            return [tuple(getattr(c, column.key) for column in Creditor.__table__.columns
                          if column.key not in ("id", "dossier_id"))
                    for c in db.get(Dossier, dossier_id).creditors]
        assert fingerprint(target_id) == fingerprint(source_id)


@pytest.mark.parametrize("content, message", [
    (b"", "Selezioni il file"),
    (b"Nome;Colore\nX;rosso\n", "Colonna «Colore» non riconosciuta"),
    (b"Importo\n100\n", "Manca la colonna"),
    (b"Nome;Importo\n", "solo l'intestazione"),
    (b"%PDF-1.4 ...", "PDF"),
])
def test_bad_import_files_are_refused(testapp, dbtx, order, dossier_id, content, message):
    login(testapp, "segreteria@milano.it")
    if content:
        page = upload(testapp, dossier_id, content, status=400)
    else:
        form = testapp.get(url(dossier_id, "/import")).forms["import-form"]
        page = form.submit("action", value="preview", status=400)
    assert message in page.html.select_one("#form-error").text
    assert creditors_of(dbtx, order, dossier_id) == []


def test_import_cancel_and_stale_token(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    page = upload(testapp, dossier_id, b"Nome;Importo\nBanca;100\n")
    page.forms["cancel-form"].submit("action", value="cancel").follow()
    page = page.forms["confirm-form"].submit("action", value="confirm", status=400)
    assert "non è più disponibile" in page.text
    token = csrf_token(testapp)
    testapp.post(url(dossier_id, "/import"), {"csrf_token": token, "action": "confirm", "token": "../../etc"},
                 status=400)
    assert creditors_of(dbtx, order, dossier_id) == []
