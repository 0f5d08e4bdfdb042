"""The compensation pages as the Order's staff use them: overview, statement, the gestore's invoice and its
payment, the tax profile, the dossier's «Compensi» tab and the CSV export."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.compensation.models import GestoreInvoice, GestoreTaxProfile, SplitOverride
from occ_core.documents import samples
from occ_core.ledger.models import Movement
from occ_core.testing.factories import csrf_token, login

D = Decimal
YEAR = {"dal": "2026-01-01", "al": "2026-12-31"}


@pytest.fixture
def case(books):
    """Alberti's dossier with 3.014,10 of fee collected in 2026 (gestore share 2.411,28 at 80/20)."""
    with books() as b:
        dossier, gestore = b.dossier(), b.gestore("Alberti")
        b.appoint(dossier, gestore)
        invoice = b.invoice(dossier, lines=[("fee", "3014.10"), ("general_expenses", "376.76")],
                            amount_due=D("4136.85"))
        b.movement(dossier, date(2026, 3, 2), "4136.85", invoice=invoice, description="Saldo della fattura")
        return dossier.id, gestore.id


def base(gestore_id):
    return f"/milano/accounting/compensation/gestori/{gestore_id}"


def count(dbtx, model):
    with dbtx() as db:
        return db.scalar(select(func.count(model.id)))


def new_invoice(testapp, gestore_id, status=200, **fields):
    data = {"csrf_token": csrf_token(testapp), "number": "12/2026", "issued_on": "30/06/2026", "fee": "2.411,28",
            "dossier": "", "period_from": "2026-01-01", "period_to": "2026-12-31", "notes": "", **fields}
    upload = data.pop("upload", None)
    return testapp.post(base(gestore_id) + "/invoices/new", data, upload_files=upload or [], status=status)


def test_overview_and_statement_follow_the_gestores_invoice_and_payment(testapp, dbtx, order, case):
    dossier_id, gestore_id = case
    login(testapp, order.emails["amministratore"])
    page = testapp.get("/milano/accounting/compensation", params=YEAR)
    row = page.html.find(id=f"gestore-{gestore_id}").text
    assert "€ 3.014,10" in row and "€ 2.411,28" in row
    assert "spese generali, diritti di avvio" in page.html.find(id="origin-note").text
    assert page.html.find(id="accounting-menu").find("a", string="Compensi gestori")["aria-current"] == "page"

    # The form proposes what is due; the first submission shows the build-up and writes nothing.
    form = testapp.get(base(gestore_id) + "/invoices/new", params={"period_from": "2026-01-01",
                                                                   "period_to": "2026-12-31"}).forms["invoice-form"]
    assert form["fee"].value == "2.411,28"
    preview = new_invoice(testapp, gestore_id)
    assert preview.html.find(id="bu-net").text == "€ 2.577,17"
    assert preview.html.find(id="bu-withholding").text == "− € 482,26"
    assert count(dbtx, GestoreInvoice) == 0
    page = new_invoice(testapp, gestore_id, status=302, action="save",
                       upload=[("file", "fattura.pdf", samples.pdf("Fattura 12"))]).follow()
    assert "Fattura n. 12/2026 registrata" in page.text
    with dbtx() as db:
        invoice = db.scalar(select(GestoreInvoice))
        assert (invoice.total, invoice.withholding_amount, invoice.net_payable) == (
            D("3059.43"), D("482.26"), D("2577.17"))
        assert invoice.receipt_media_type == "application/pdf"
    assert testapp.get(f"/milano/accounting/compensation/invoices/{invoice.id}/file").body.startswith(b"%PDF")
    page = testapp.get(base(gestore_id), params=YEAR)
    assert page.html.find(id="fig-to-invoice").text == "€ 0,00"
    assert page.html.find(id="fig-to-pay").text == "€ 2.577,17"
    # Dossier references open the dossier's «Compensi» tab.
    assert page.html.find(id=f"dossier-{dossier_id}").caption.a["href"].endswith(
        f"/milano/dossiers/{dossier_id}/compensation")

    form = page.forms[f"pay-{invoice.id}"]
    form["on"], form["reference"] = "2026-07-10", "TRN123"
    page = form.submit().follow()
    assert "La ritenuta d'acconto resta da versare" in page.text
    assert page.html.find(id="fig-paid").text == "€ 2.577,17"
    assert page.html.find(id="fig-to-pay").text == "€ 0,00"
    assert page.html.find(id="fig-withheld").text == "€ 482,26"
    assert "16/08/2026" in page.html.find(id="payments").text  # F24 by the 16th of the following month
    with dbtx() as db:
        movement = db.scalar(select(Movement).where(Movement.gestore_invoice_id == invoice.id))
        assert (movement.direction, movement.category, movement.amount, movement.reference) == (
            "uscita", "gestore_fee", D("2577.17"), "TRN123")
    # Paid in full: paying again is refused, nothing written.
    testapp.post(base(gestore_id) + f"/invoices/{invoice.id}/pay",
                 {"csrf_token": csrf_token(testapp), "on": "2026-07-11", "method": "transfer"}, status=400)
    assert count(dbtx, Movement) == 2


def test_invoice_bad_input_and_duplicates_are_refused_with_nothing_written(testapp, dbtx, order, case):
    _dossier_id, gestore_id = case
    login(testapp, order.emails["amministratore"])
    for fields, message in (({"fee": "abc"}, "Compenso: importo non valido"),
                            ({"fee": "0"}, "Compenso: indicare un importo maggiore di zero"),
                            ({"number": ""}, "Numero della fattura: campo obbligatorio"),
                            ({"issued_on": "31/02/2026"}, "la data «31/02/2026» non è valida"),
                            ({"dossier": "999999"}, "Pratica: scelga una delle pratiche del gestore"),
                            ({"period_from": "2026-12-01", "period_to": "2026-01-01"}, "data iniziale è successiva")):
        page = new_invoice(testapp, gestore_id, status=400, action="save", **fields)
        assert message in page.html.find(id="form-error").text
    page = new_invoice(testapp, gestore_id, status=400, action="save",
                       upload=[("file", "pagina.html", b"<html><body>no</body></html>")])
    assert "File della fattura" in page.html.find(id="form-error").text
    assert count(dbtx, GestoreInvoice) == 0
    new_invoice(testapp, gestore_id, status=302, action="save")
    page = new_invoice(testapp, gestore_id, status=400, action="save", fee="10")
    assert "La fattura n. 12/2026 del 30/06/2026 di questo gestore è già registrata" in page.text
    assert count(dbtx, GestoreInvoice) == 1


def test_tax_profile_is_edited_and_used_for_the_build_up(testapp, dbtx, order, case):
    _dossier_id, gestore_id = case
    login(testapp, order.emails["amministratore"])
    page = testapp.get(base(gestore_id) + "/profile")
    form = page.forms["profile-form"]
    assert (form["vat_regime"].value, form["pension_fund"].value, form["vat_rate"].value) == ("ordinario", "TC02", "22")
    assert len(page.html.find(id="pension_fund").find_all("option")) == 23  # none + TC01-TC22
    form["vat_rate"] = "centoventi"
    page = form.submit(status=400)
    assert "Aliquota IVA: importo non valido" in page.html.find(id="form-error").text
    assert count(dbtx, GestoreTaxProfile) == 0
    form = page.forms["profile-form"]
    form["vat_regime"], form["pension_fund"], form["vat_rate"] = "forfettario", "TC22", ""
    form.submit().follow()
    preview = new_invoice(testapp, gestore_id, fee="1000")
    assert preview.html.find(id="bu-stamp").text == "€ 2,00"
    assert preview.html.find(id="bu-net").text == "€ 1.042,00"
    with dbtx() as db:
        assert db.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "compensation.tax_profile_changed")) == 1


def test_dossier_tab_shows_the_split_and_takes_an_override(testapp, dbtx, order, case):
    dossier_id, _gestore_id = case
    tab = f"/milano/dossiers/{dossier_id}/compensation"
    login(testapp, order.emails["amministratore"])
    page = testapp.get(tab)
    assert page.html.find(id="dossier-tabs").find("a", string="Compensi")["aria-current"] == "page"
    assert "80,00 % (regola dell'Ordine)" in page.html.find(id="split-rule").text
    assert "€ 2.411,28" in page.html.find(id="collections").text
    form = page.forms["split-form"]
    form["gestore_percent"], form["reason"] = "120", "Troppo"
    page = form.submit(status=400)
    assert "Quota del gestore: indicare una percentuale da 0 a 100" in page.html.find(id="form-error").text
    form = page.forms["split-form"]
    form["gestore_percent"], form["reason"] = "50", ""
    assert "Motivo: campo obbligatorio" in form.submit(status=400).text
    assert count(dbtx, SplitOverride) == 0
    form["reason"] = "Incarico concluso in anticipo"
    page = form.submit().follow()
    assert "50,00 % stabilita per questa pratica" in page.html.find(id="split-rule").text
    assert "€ 1.507,05" in page.html.find(id="collections").text
    page.forms["split-form"].submit("action", value="remove").follow()
    assert count(dbtx, SplitOverride) == 0


def test_csv_export_opens_in_excel_and_is_audited(testapp, dbtx, order, case):
    _dossier_id, gestore_id = case
    login(testapp, order.emails["segreteria"])
    response = testapp.get("/milano/accounting/compensation/export", params=YEAR)
    assert response.content_type == "text/csv"
    assert response.body.startswith(b"\xef\xbb\xbf")
    lines = response.body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Gestore;Codice fiscale;Pratica;Compensi incassati;Quota del gestore")
    cells = lines[1].split(";")
    assert cells[0] == "Alberti Anna" and cells[3:5] == ["3014,10", "2411,28"]
    assert len(lines) == 2
    with dbtx() as db:
        assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "compensation.exported")) == 1
    testapp.get("/milano/accounting/compensation/export", params={"dal": "ieri"}, status=400)


def test_bad_period_is_a_400_not_an_error(testapp, order, case):
    login(testapp, order.emails["segreteria"])
    page = testapp.get("/milano/accounting/compensation", params={"dal": "2026-12-31", "al": "2026-01-01"},
                       status=400)
    assert "data iniziale è successiva" in page.html.find(id="form-error").text


@pytest.mark.parametrize("role", ["consultazione", "gestore"])
def test_roles_without_the_permission_get_403(testapp, order, case, role):
    dossier_id, gestore_id = case
    login(testapp, order.emails[role])
    for path in ("/milano/accounting/compensation", base(gestore_id), "/milano/accounting/compensation/export",
                 f"/milano/dossiers/{dossier_id}/compensation"):
        testapp.get(path, status=403)


def test_only_the_administrator_changes_anything(testapp, dbtx, order, case):
    dossier_id, gestore_id = case
    login(testapp, order.emails["segreteria"])
    page = testapp.get(f"/milano/dossiers/{dossier_id}/compensation")
    assert "split-form" not in page.forms
    testapp.get(base(gestore_id), params=YEAR)
    token = csrf_token(testapp)
    testapp.post(f"/milano/dossiers/{dossier_id}/compensation",
                 {"csrf_token": token, "gestore_percent": "50", "reason": "x"}, status=403)
    testapp.post(base(gestore_id) + "/profile", {"csrf_token": token, "vat_regime": "forfettario"}, status=403)
    testapp.get(base(gestore_id) + "/invoices/new", status=403)
    assert count(dbtx, SplitOverride) == 0 and count(dbtx, GestoreTaxProfile) == 0


def test_anonymous_is_sent_to_login(testapp, case):
    response = testapp.get("/milano/accounting/compensation", status=302)
    assert "/login" in response.location
