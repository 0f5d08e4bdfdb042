"""The dossier's summary tab (figures, the ledger's totals, next steps), its history tab and its
printable summary; every read is audited."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.dossiers import summary as summary_figures
from occ_core.dossiers.models import Creditor, Dossier, OtherParty
from occ_core.ledger.models import Movement
from occ_core.ledger.services import record_movement
from occ_core.testing.factories import csrf_token, login, make_tenant

from .conftest import make_ready, open_dossier


@pytest.fixture
def dossier_id(order, tenant_env):
    with tenant_env(order) as env:
        return open_dossier(env, court="Tribunale di Milano").id


def summary(testapp, dossier_id, **kw):
    return testapp.get(f"/milano/dossiers/{dossier_id}", **kw)


def count(dbtx, order, model):
    with dbtx(order) as db:
        return db.scalar(select(func.count()).select_from(model))


def test_summary_shows_the_register_data_and_the_tabs(testapp, order, dossier_id):
    login(testapp, "consultazione@milano.it")
    page = summary(testapp, dossier_id)
    register = page.html.find(id="register-data").text
    assert "Ristrutturazione dei debiti del consumatore" in register and "Tribunale di Milano" in register
    assert "10/03/2025" in register and "Non ancora nominato" in register
    tabs = [a.text for a in page.html.find(id="dossier-tabs").find_all("a")]
    assert tabs[0] == "Riepilogo" and tabs[-1] == "Storico"
    assert page.html.find(id="dossier-tabs").find("a", attrs={"aria-current": "page"}).text == "Riepilogo"
    assert [a.text for a in page.html.select("#dossier-tabs a.active")] == ["Riepilogo"]
    # Consultation sees the next steps and what they lack, but no buttons and no forms.
    assert page.html.find(id="option-ARCHIVIATA") is not None
    assert not page.html.find(id="transitions").find_all("form")
    assert page.html.find(id="movement-form") is None and page.html.find(id="edit-link") is None


def test_unknown_and_foreign_dossiers_are_not_found(testapp, dbtx, pm, order, tenant_env, dossier_id):
    with dbtx() as db:
        roma = make_tenant(db, pm, "roma")
    with tenant_env(roma) as env:
        foreign = open_dossier(env).id
    login(testapp, "segreteria@milano.it")
    for url in (f"/milano/dossiers/{foreign}", f"/milano/dossiers/{foreign}/history",
                f"/milano/dossiers/{foreign}/print", f"/milano/dossiers/{foreign}/edit", "/milano/dossiers/999",
                "/roma/dossiers/%d" % foreign):
        testapp.get(url, status=404)
    testapp.post(f"/milano/dossiers/{foreign}/transition", {"csrf_token": csrf_token(testapp),
                                                            "to_state": "ARCHIVIATA", "reason": "x"}, status=404)
    with dbtx(roma) as db:
        assert db.get(Dossier, foreign).state == "ISTANZA_RICEVUTA"


def test_moving_the_dossier_from_the_summary(testapp, dbtx, order, dossier_id):
    login(testapp, "referente@milano.it")
    page = summary(testapp, dossier_id)
    option = page.html.find(id="option-ISTRUTTORIA_SEGRETERIA")
    assert option.find("button").get("disabled") is None and option.find("ul", class_="missing") is None
    form = next(f for f in page.forms.values()
                if "to_state" in f.fields and f["to_state"].value == "ISTRUTTORIA_SEGRETERIA")
    form["reason"] = "Documentazione completa"
    page = form.submit(status=302).follow()
    assert "è passata allo stato «Istruttoria della segreteria»" in page.text
    assert page.html.find(id="dossier-state").text == "Istruttoria della segreteria"
    assert page.html.find(id="option-PREVENTIVO_EMESSO").find("button").get("disabled") is None
    history = testapp.get(f"/milano/dossiers/{dossier_id}/history")
    rows = [[cell.text.strip() for cell in row.find_all("td")]
            for row in history.html.find(id="history").tbody.find_all("tr")]
    # The dossier of this test was registered by a background job, which has no user.
    assert [row[1:] for row in rows] == [
        ["—", "Istanza ricevuta", "Sistema", "Registrazione dell'istanza"],
        ["Istanza ricevuta", "Istruttoria della segreteria", "Utente referente", "Documentazione completa"]]


def test_a_refused_move_shows_what_is_missing_and_changes_nothing(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    with dbtx(order) as db:
        db.get(Dossier, dossier_id).state = "PREVENTIVO_EMESSO"
    page = summary(testapp, dossier_id)
    option = page.html.find(id="option-INCARICO_CONFERITO")
    assert option.find("button")["disabled"] == "disabled"
    assert [li.text for li in option.find("ul", class_="missing").find_all("li")] == [
        "la data di conferimento dell'incarico all'OCC da parte del debitore (Modifica dati)"]
    token = csrf_token(testapp)
    page = testapp.post(f"/milano/dossiers/{dossier_id}/transition", {
        "csrf_token": token, "to_state": "INCARICO_CONFERITO", "from_state": "PREVENTIVO_EMESSO"}, status=400)
    refused = page.html.find(id="transition-refused")
    assert "Per passare a «Incarico conferito» manca" in refused.text
    assert [li.text for li in refused.find_all("li")] == [
        "la data di conferimento dell'incarico all'OCC da parte del debitore (Modifica dati)"]
    page = testapp.post(f"/milano/dossiers/{dossier_id}/transition", {
        "csrf_token": token, "to_state": "ARCHIVIATA", "reason": "   "}, status=400)
    assert [li.text for li in page.html.find(id="transition-refused").find_all("li")] == ["il motivo del passaggio"]
    for junk in ({"to_state": "DEPOSITATO"}, {"to_state": "<script>"}, {"name": "x"},
                 {"to_state": "ARCHIVIATA", "reason": "Rinuncia", "from_state": "ISTANZA_RICEVUTA"}):
        testapp.post(f"/milano/dossiers/{dossier_id}/transition", {"csrf_token": token, **junk}, status=400)
    with dbtx(order) as db:
        dossier = db.get(Dossier, dossier_id)
        assert (dossier.state, len(dossier.transitions), dossier.closed) == ("PREVENTIVO_EMESSO", 1, False)
    page = testapp.post(f"/milano/dossiers/{dossier_id}/transition", {
        "csrf_token": token, "to_state": "ARCHIVIATA", "reason": "Rinuncia del debitore",
        "from_state": "PREVENTIVO_EMESSO"}, status=302).follow()
    outcome = page.html.find(id="outcome").text
    assert "Archiviata" in outcome and "pratica chiusa" in outcome and "Rinuncia del debitore" in outcome
    assert "non ha altri passaggi" in page.html.find(id="transitions").text


def test_transition_needs_the_permission(testapp, dbtx, order, dossier_id):
    assert testapp.post(f"/milano/dossiers/{dossier_id}/transition", {"to_state": "ARCHIVIATA"},
                        status=302).location.startswith("http://127.0.0.1:6543/login")
    login(testapp, "consultazione@milano.it")
    testapp.post(f"/milano/dossiers/{dossier_id}/transition", {
        "csrf_token": csrf_token(testapp), "to_state": "ARCHIVIATA", "reason": "x"}, status=403)
    with dbtx(order) as db:
        assert db.get(Dossier, dossier_id).state == "ISTANZA_RICEVUTA"


def test_summary_shows_the_ledger_totals_and_accounting_rows_stay(testapp, dbtx, order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        for direction, category, amount, description in (("entrata", "advance", "1.500,00", "Acconto del debitore"),
                                                         ("uscita", "postage", "250,5", "Spese di notifica")):
            record_movement(env, dossier=dossier, on=date(2025, 4, 1), direction=direction, category=category,
                            amount=amount, description=description)
        record_movement(env, dossier=dossier, on=date(2025, 5, 1), direction="entrata", category="balance",
                        description="Fattura 12/2025", amount=Decimal("100"), source="contabilita", source_ref="F12")
    login(testapp, "segreteria@milano.it")
    page = summary(testapp, dossier_id)
    totals = [row.find("td").text for row in page.html.find(id="movement-totals").find_all("tr")]
    assert totals == ["€ 1.600,00", "€ 250,50", "€ 1.349,50"]
    assert page.html.find(id="accounting-link")["href"].endswith(f"/milano/dossiers/{dossier_id}/accounting")
    assert page.html.find(id="movement-form") is None  # movements are entered in the Contabilità tab only
    # The old quick form's routes are gone.
    token = csrf_token(testapp)
    testapp.post(f"/milano/dossiers/{dossier_id}/movements", {"csrf_token": token, "on": "2025-04-01",
                                                               "direction": "entrata", "amount": "10",
                                                               "description": "Acconto"}, status=404)
    with dbtx(order) as db:
        accounting = db.scalar(select(Movement.id).where(Movement.source == "contabilita"))
        manual = db.scalar(select(Movement.id).where(Movement.description == "Spese di notifica"))
    page = testapp.post(f"/milano/accounting/movements/{accounting}/delete", {"csrf_token": token}, status=400)
    assert "registrato automaticamente" in page.html.find(id="problem").text
    testapp.post(f"/milano/accounting/movements/{manual}/delete", {"csrf_token": token}, status=302)
    assert count(dbtx, order, Movement) == 2
    assert [row.find("td").text for row in summary(testapp, dossier_id).html.find(id="movement-totals")
            .find_all("tr")] == ["€ 1.600,00", "€ 0,00", "€ 1.600,00"]


def test_print_shows_parties_and_creditors(testapp, dbtx, order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        make_ready(env.dbsession, dossier)
        dossier.creditors.append(Creditor(tenant_id=order.id, name="Banca Lombarda S.p.A.", rank="privilegiato",
                                          amount_claimed=Decimal("30000"), secured=True, pec="banca@pec.it"))
        dossier.creditors.append(Creditor(tenant_id=order.id, name="Agenzia delle Entrate",
                                          amount_claimed=Decimal("4500.5")))
        dossier.parties.append(OtherParty(tenant_id=order.id, role="avvocato", name="Avv. Carla Bassi"))
        summary_figures.refresh(dossier)
    login(testapp, "consultazione@milano.it")
    page = testapp.get(f"/milano/dossiers/{dossier_id}/print")
    assert page.html.find("header") is None  # a clean page: no menu, no header
    creditors = page.html.find(id="print-creditors").text
    assert "Banca Lombarda S.p.A." in creditors and "€ 30.000,00" in creditors and "€ 34.500,50" in creditors
    assert "Avv. Carla Bassi" in page.html.find(id="print-parties").text
    assert "Verdi Anna" in page.html.find(id="print-debtors").text
    assert "Neri Paolo" in page.html.find(id="print-register").text
    assert "window.print()" in page.text


def test_every_read_is_audited(testapp, dbtx, order, dossier_id):
    login(testapp, "consultazione@milano.it")
    for suffix in ("", "/history", "/print"):
        testapp.get(f"/milano/dossiers/{dossier_id}{suffix}")
    with dbtx(order) as db:
        reads = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.viewed")
                           .order_by(AuditEntry.id)).all()
    assert [(r.object_id, r.details["page"]) for r in reads] == [
        (str(dossier_id), "riepilogo"), (str(dossier_id), "storico"), (str(dossier_id), "stampa")]
    assert len({r.user_id for r in reads}) == 1 and reads[0].user_id is not None and reads[0].ip == "127.0.0.1"
