"""The accounting pages: the dossier's tab, the movements list and its CSV, the landing page, the exports;
permissions and refused input."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.documents import samples
from occ_core.dossiers.models import Dossier
from occ_core.ledger import services
from occ_core.ledger.models import Movement
from occ_core.testing.factories import csrf_token, login

from .conftest import D, make_invoice


def tab(dossier_id) -> str:
    return f"/milano/dossiers/{dossier_id}/accounting"


def movements(dbtx, order) -> list[Movement]:
    with dbtx(order) as db:
        return db.scalars(select(Movement).order_by(Movement.id)).all()


def test_anonymous_is_sent_to_login_and_consultation_only_reads(testapp, dbtx, order, dossier_id):
    for url in (tab(dossier_id), "/milano/accounting", "/milano/accounting/movements", "/milano/accounting/exports"):
        assert testapp.get(url, status=302).location.startswith("http://127.0.0.1:6543/login")
    login(testapp, "consultazione@milano.it")
    page = testapp.get(tab(dossier_id))
    assert page.html.find(id="movement-form") is None and page.html.find(id="dossier-balance") is not None
    assert "Contabilità" in [a.text for a in page.html.find(id="dossier-tabs").find_all("a")]
    token = csrf_token(testapp)
    testapp.post(tab(dossier_id), {"csrf_token": token, "on": "2025-04-01", "category": "advance", "amount": "10",
                                   "description": "Acconto", "method": "transfer"}, status=403)
    testapp.post("/milano/accounting/movements", {"csrf_token": token}, status=403)
    testapp.get("/milano/accounting/exports", status=403)
    testapp.get("/milano/accounting/exports/prima-nota.csv", status=403)
    assert testapp.get("/milano/accounting/movements").html.find(id="movement-form") is None
    assert movements(dbtx, order) == []


def test_adding_a_movement_with_its_receipt_on_the_dossier_tab(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    form = testapp.get(tab(dossier_id)).forms["movement-form"]
    assert form["on"].value == today().isoformat()  # as the invoice's payment form
    assert testapp.get("/milano/accounting/movements").forms["movement-form"]["on"].value == today().isoformat()
    form["on"], form["category"], form["amount"] = "2025-04-01", "start_fee", "1.500,00"
    form["description"], form["method"], form["reference"] = "Diritti di avvio", "pagopa", "IUV 0123"
    form["receipt"] = ("ricevuta.pdf", samples.pdf())
    page = form.submit(status=302).follow()
    assert "Movimento registrato." in page.text
    assert [td.text for td in page.html.find(id="dossier-balance").find_all("td")] == [
        "€ 1.500,00", "€ 0,00", "€ 1.500,00"]
    row = page.html.find(id="movements-table").tbody.find("tr")
    assert "Diritti di avvio / contributo iniziale" in row.text and "pagoPA" in row.text and "IUV 0123" in row.text
    assert "Da riconciliare" in row.text
    receipt = testapp.get(next(a["href"] for a in row.find_all("a") if a["href"].endswith("/receipt")))
    assert receipt.body == samples.pdf() and receipt.content_type == "application/pdf"
    (movement,) = movements(dbtx, order)
    assert (movement.direction, movement.amount, movement.dossier_id) == ("entrata", D("1500.00"), dossier_id)
    # Reconciled from the table's button, then no longer deletable there.
    form = next(f for f in page.forms.values() if f.action.endswith(f"/{movement.id}/reconcile"))
    page = form.submit(status=302).follow()
    assert "Riconciliato" in page.html.find(id="movements-table").text
    assert not [f for f in page.forms.values() if f.action.endswith("/delete")]


def test_bad_input_shows_the_messages_and_writes_nothing(testapp, dbtx, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    form = testapp.get(tab(dossier_id)).forms["movement-form"]
    form["on"], form["category"], form["amount"], form["description"] = "2025-04-01", "advance", "0", ""
    form["receipt"] = ("programma.exe", samples.executable())
    page = form.submit(status=400)
    errors = page.html.find(id="form-error").text
    assert "l'importo deve essere maggiore di zero" in errors and "Descrizione: campo obbligatorio" in errors
    token = csrf_token(testapp)
    for junk in ({"category": "<script>", "amount": "10", "description": "x", "on": "2025-01-01"},
                 {"category": "advance", "amount": "10", "description": "x", "on": "2025-01-01", "method": "oro"},
                 {"category": "advance", "amount": "10", "description": "x", "on": "3000-01-01"},
                 {"category": "advance", "amount": "1e5", "description": "x", "on": "2025-01-01"},
                 {"category": "advance", "amount": "10", "description": "x", "on": "2025-01-01",
                  "receipt": ("a.exe", samples.executable())},
                 {}):
        receipt = junk.pop("receipt", None)
        testapp.post(tab(dossier_id), {"csrf_token": token, "method": "transfer", **junk},
                     upload_files=[("receipt", *receipt)] if receipt else None, status=400)
    testapp.post("/milano/dossiers/999/accounting", {"csrf_token": token}, status=404)
    assert movements(dbtx, order) == []


def test_the_list_filters_totals_csv_and_general_movements(testapp, dbtx, order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        reference = dossier.reference
        for on, direction, category, amount, method in (
                (date(2025, 2, 1), "entrata", "start_fee", "200", "pos"),
                (date(2025, 3, 1), "entrata", "advance", "1234.50", "transfer"),
                (date(2025, 3, 5), "uscita", "court_fee", "98", "cash")):
            services.record_movement(env, dossier=dossier, on=on, direction=direction, category=category,
                                     amount=amount, description=f"Movimento {category}", method=method)
    login(testapp, "segreteria@milano.it")
    form = testapp.get("/milano/accounting/movements").forms["movement-form"]
    form["on"], form["category"], form["amount"] = "2025-03-10", "other_expense", "45,10"
    form["description"] = "Cancelleria"
    page = form.submit(status=302).follow()
    assert "Generale" in page.html.find(id="movements-table").text
    page = testapp.get("/milano/accounting/movements", {"from": "2025-03-01", "to": "2025-03-31"})
    assert [dd.text for dd in page.html.find(id="filtered-totals").find_all("dd")] == [
        "€ 1.234,50", "€ 143,10", "€ 1.091,40"]
    page = testapp.get("/milano/accounting/movements", {"dossier": reference, "direction": "entrata"})
    assert len(page.html.find(id="movements-table").tbody.find_all("tr")) == 2
    page = testapp.get("/milano/accounting/movements", {"dossier": "-"})
    assert len(page.html.find(id="movements-table").tbody.find_all("tr")) == 1
    for junk in ({"from": "31/31/2025"}, {"dossier": "999/2025"}, {"category": "x"},
                 {"from": "2025-05-01", "to": "2025-01-01"}):
        assert testapp.get("/milano/accounting/movements", junk, status=400).html.find(id="filter-errors")
    csv = testapp.get(page.html.find(id="csv-link")["href"].replace("dossier=-", "method=transfer"))
    assert csv.body.startswith(b"\xef\xbb\xbf") and csv.content_type == "text/csv"
    lines = csv.body.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:7] == ["Data", "Pratica", "Tipo", "Categoria", "Descrizione", "Entrata", "Uscita"]
    assert len(lines) == 3 and lines[1].split(";")[:7] == ["10/03/2025", "", "Uscita", "Altra uscita",
                                                          "Cancelleria", "", "45,10"]
    assert lines[2].split(";")[:7] == ["01/03/2025", reference, "Entrata", "Acconto sul compenso",
                                       "Movimento advance", "1234,50", ""]
    with dbtx(order) as db:
        assert db.scalar(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == "ledger.export.movements")) == 1


def test_editing_and_deleting_a_movement(testapp, dbtx, order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        movement_id = services.record_movement(
            env, dossier=env.dbsession.get(Dossier, dossier_id), on=date(2025, 4, 1), direction="entrata",
            category="advance", amount="100", description="Acconto").id
    login(testapp, "segreteria@milano.it")
    page = testapp.get(tab(dossier_id))
    page = page.click(href=f"/{movement_id}/edit")
    form = page.forms["movement-form"]
    assert form["amount"].value == "100,00"
    form["amount"] = "abc"
    assert "importo non valido" in form.submit(status=400).html.find(id="form-error").text
    form["amount"] = "150"
    page = form.submit(status=302)
    assert page.location.endswith(tab(dossier_id))
    assert movements(dbtx, order)[0].amount == D("150.00")
    token = csrf_token(testapp)
    testapp.post(f"/milano/accounting/movements/{movement_id}/delete",
                 {"csrf_token": token, "came_from": "https://evil.example/"}, status=302)
    assert movements(dbtx, order) == []
    testapp.post(f"/milano/accounting/movements/{movement_id}/delete", {"csrf_token": token}, status=404)


def test_invoices_of_the_dossier_and_the_landing_page(testapp, dbtx, order, tenant_env, dossier_id):
    year = today().year
    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        invoice = make_invoice(env.dbsession, dossier, number=4, on=date(year, 1, 15),
                               lines=(("fee", "1000.00", "22", ""),))
        make_invoice(env.dbsession, dossier, status="draft", lines=(("fee", "10.00", "22", ""),))
        services.record_movement(env, dossier=dossier, on=date(year, 1, 20), direction="entrata",
                                 category="advance", amount="500", description="Parte della fattura", invoice=invoice)
    login(testapp, "consultazione@milano.it")
    rows = [[td.text.strip() for td in tr.find_all("td")]
            for tr in testapp.get(tab(dossier_id)).html.find(id="invoices-table").tbody.find_all("tr")]
    assert rows[0][0] == "bozza" and rows[1][:2] == [f"4/{year}", "Fattura"]
    assert rows[1][3:] == ["€ 1.220,00", "€ 500,00"]
    page = testapp.get("/milano/accounting")
    nav = [a.text.strip() for a in page.html.find_all("a", class_="nav-link")]
    assert "Contabilità" in nav
    menu = [a.text for a in page.html.find(id="accounting-menu").find_all("a")]
    assert menu[:2] == ["Riepilogo", "Movimenti"] and "Esportazioni" not in menu  # consultation: no exports
    assert page.html.find(id="figure-income").text == "€ 500,00"
    assert page.html.find(id="figure-pending").text == "1"
    assert "€ 720,00" in page.html.find(id="figure-unpaid").text
    assert f"4/{year}" in page.html.find(id="unpaid-invoices").text


def test_exports(testapp, dbtx, order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        services.record_movement(env, on=date(2025, 6, 1), direction="uscita", category="stamp", amount="16",
                                 description="Marca", method="cash")
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/accounting/exports", {"from": "2025-01-01", "to": "2025-12-31"})
    assert "Esportazioni" in [a.text for a in page.html.find(id="accounting-menu").find_all("a")]
    primanota = testapp.get(page.html.find(id="download-primanota")["href"])
    assert primanota.body.decode("utf-8-sig").splitlines()[1:] == [
        "01/06/2025;Cassa;Marca;;16,00;", "01/06/2025;Imposta di bollo;Marca;16,00;;"]
    assert "Marca" in testapp.get(page.html.find(id="download-movements")["href"]).body.decode("utf-8-sig")
    assert testapp.get("/milano/accounting/exports", {"from": "ieri"}, status=400).html.find(id="period-errors")
    testapp.get("/milano/accounting/exports/prima-nota.csv", {"from": "2025-12-31", "to": "2025-01-01"}, status=400)
    with dbtx(order) as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("ledger.export.%"))
                             .order_by(AuditEntry.id)).all()
    assert actions == ["ledger.export.primanota", "ledger.export.movements"]


def test_a_reconciled_movement_has_no_edit_page_until_unreconciled(testapp, dbtx, order, tenant_env, dossier_id):
    with tenant_env(order) as env:
        movement = services.record_movement(
            env, dossier=env.dbsession.get(Dossier, dossier_id), on=date(2025, 4, 1), direction="entrata",
            category="advance", amount="100", description="Acconto")
        services.reconcile(env, movement, date(2025, 4, 2))
        movement_id = movement.id
    login(testapp, "segreteria@milano.it")
    edit = f"/milano/accounting/movements/{movement_id}/edit"
    assert not testapp.get(tab(dossier_id)).html.find("a", href=lambda href: href and "/edit" in href)
    page = testapp.get(edit, status=400)
    assert "per modificarlo annulli prima la riconciliazione" in page.text
    token = csrf_token(testapp)
    page = testapp.post(edit, {"csrf_token": token, "on": "2025-04-01", "category": "advance", "amount": "999",
                               "description": "Acconto", "method": "transfer"}, status=400)
    assert "per modificarlo annulli prima la riconciliazione" in page.text
    assert movements(dbtx, order)[0].amount == D("100.00")
    testapp.post(f"/milano/accounting/movements/{movement_id}/unreconcile", {"csrf_token": token}, status=302)
    assert testapp.get(edit).forms["movement-form"]["amount"].value == "100,00"


def test_the_tab_explains_what_the_debtor_still_owes(testapp, order, tenant_env, dossier_id):
    from occ_core.fees import inputs, services as fees

    with tenant_env(order) as env:
        dossier = env.dbsession.get(Dossier, dossier_id)
        fees.save_estimate(env, dossier, inputs.read({"attivo": "30000", "passivo": "100000", "reading": "single",
                                                      "reduction_percent": "25", "expenses": [
                                                          {"description": "Marca", "amount": "27"}]}, env.tenant))
        for category, amount in (("start_fee", "244"), ("expense_refund", "27"), ("advance", "1000")):
            services.record_movement(env, dossier=dossier, on=date(2025, 4, 1), direction="entrata",
                                     category=category, amount=amount, description=category)
    login(testapp, "consultazione@milano.it")
    page = testapp.get(tab(dossier_id))
    assert "spese documentate € 27,00, IVA € 745,99" in page.html.find(id="estimate-parts").text
    assert page.html.find(id="estimate-paid").text == "€ 1.271,00"
    assert page.html.find(id="estimate-owed").text == "€ 2.892,85"  # 3.390,86 + 27 + 745,99 - 1.271
    assert "meno quanto il debitore ha versato" in page.html.find(id="owed-note").text


def test_ids_too_long_for_any_row_are_not_found(testapp, order, dossier_id):
    login(testapp, "segreteria@milano.it")
    huge = "9" * 30
    token = csrf_token(testapp)
    testapp.get(f"/milano/dossiers/{huge}/accounting", status=404)
    for action in ("edit", "receipt"):
        testapp.get(f"/milano/accounting/movements/{huge}/{action}", status=404)
    for action in ("delete", "reconcile", "unreconcile"):
        testapp.post(f"/milano/accounting/movements/{huge}/{action}", {"csrf_token": token}, status=404)
