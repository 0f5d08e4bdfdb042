"""The invoices' pages: list and exports, a draft made and issued from the browser, bad input, the frozen
issued invoice, the courtesy copy, the settings, and who may do what."""
import base64
import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.clock import ROME
from occ_core.dossiers.models import Dossier
from occ_core.invoicing import services
from occ_core.invoicing.models import Invoice
from occ_core.invoicing.preferences import preferences_of
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login

from .conftest import schema_errors

BASE = "/milano/accounting/invoices"


def today():
    return datetime.now(ROME).date()


def post(testapp, path, status=302, **fields):
    return testapp.post(path, {"csrf_token": csrf_token(testapp), **fields}, status=status)


def test_a_draft_made_edited_and_issued_from_the_pages(testapp, order, dbtx):
    login(testapp, "segreteria@milano.it")
    created = post(testapp, f"{BASE}/new", dossier=str(order.dossier_id), kind="advance", amount="1.000,00")
    page = created.follow()
    assert "Bozza" in page.text and "header-form" in page.text
    invoice_path = created.location.replace("http://localhost", "")
    post(testapp, invoice_path, action="add_line", category="expense", description="Marca da bollo",
         unit_price="16,00", vat_rate="0")
    refused = post(testapp, invoice_path, status=400, action="issue")
    assert "confermi" in refused.text
    post(testapp, invoice_path, action="issue", confirm="1")
    with dbtx(order) as db:
        invoice = db.scalar(select(Invoice))
        assert (invoice.status, invoice.number, invoice.total) == ("issued", 1, Decimal("1236.00"))
        assert [l.vat_nature for l in invoice.lines] == ["", "N1"]
    page = testapp.get(invoice_path)
    assert "header-form" not in page.text and "add-line-form" not in page.text and "issue-form" not in page.text
    xml = testapp.get(f"{invoice_path}/xml")
    assert xml.content_type == "application/xml" and schema_errors(xml.body) == []
    assert invoice.xml_filename in xml.headers["Content-Disposition"]
    copy = testapp.get(f"{invoice_path}/copy")
    assert "Copia di cortesia" in copy.text and "area riservata" in copy.text and "Agenzia delle Entrate" in copy.text


def test_posting_changes_to_an_issued_invoice_gives_400(testapp, order, draft, issue, load):
    invoice = load(issue(draft("advance")))
    login(testapp, "segreteria@milano.it")
    path = f"{BASE}/{invoice.id}"
    for fields in ({"action": "header", "customer_last_name": "Verdi"},
                   {"action": "add_line", "description": "x", "unit_price": "1"},
                   {"action": "remove_line", "line_id": str(invoice.lines[0].id)},
                   {"action": "delete"}, {"action": "issue", "confirm": "1"}):
        answer = post(testapp, path, status=400, **fields)
        assert "nota di credito" in answer.text
    assert load(invoice.id).xml == invoice.xml
    assert load(invoice.id).customer_last_name == "Rossi"


def test_new_invoice_opened_from_a_dossier_leads_back_to_it(testapp, order):
    login(testapp, "segreteria@milano.it")
    tab = f"/milano/dossiers/{order.dossier_id}/accounting"
    page = testapp.get(tab).click(linkid="invoice-new")
    assert page.html.select_one("#back-to-dossier")["href"].endswith(tab)
    assert testapp.get(f"{BASE}/new").html.select_one("#back-to-dossier") is None


def test_bad_input_is_refused_with_a_message(testapp, order, draft, load):
    invoice_id = draft("advance")
    login(testapp, "segreteria@milano.it")
    path = f"{BASE}/{invoice_id}"
    assert "importo non valido" in post(testapp, path, status=400, action="add_line", description="x",
                                        unit_price="mille").text
    assert "00445" in post(testapp, path, status=400, action="add_line", description="x", unit_price="5",
                           vat_rate="0", vat_nature="N2").text
    assert "non è valida" in post(testapp, path, status=400, action="header", due_on="31/02/2026").text
    assert "importo dell'acconto" in post(testapp, f"{BASE}/new", status=400, dossier=str(order.dossier_id),
                                           kind="advance", amount="").text
    assert "pratica" in post(testapp, f"{BASE}/new", status=400, dossier="999999", kind="invoice").text
    post(testapp, path, status=400, action="nonsense")
    assert "pratica" in post(testapp, f"{BASE}/new", status=400, dossier="99999999999", kind="invoice").text
    assert "pratica" in post(testapp, f"{BASE}/new", status=400, dossier="\u00b2", kind="invoice").text
    for odd in ("abc", "99999999999", "%C2%B2"):
        testapp.get(f"{BASE}/{odd}", status=404)
        testapp.get(f"{BASE}/{odd}/xml", status=404)
    testapp.get(f"{BASE}/new?dossier=99999999999")
    testapp.get(f"{BASE}?year=%C2%B2%C2%B2%C2%B2%C2%B2")
    testapp.get(f"{BASE}/export?from=ieri", status=400)
    assert len(load(invoice_id).lines) == 1


def test_issue_refused_by_sdi_rules_changes_nothing(testapp, order, dbtx, draft, snapshot):
    invoice_id = draft("advance", customer_tax_code="XXXXXX00X00X000X")
    login(testapp, "segreteria@milano.it")
    before = snapshot()
    answer = post(testapp, f"{BASE}/{invoice_id}", status=400, action="issue", confirm="1")
    assert "codice fiscale" in answer.text
    assert snapshot() == before


def test_payment_recorded_from_the_page(testapp, order, draft, issue):
    invoice_id = issue(draft("advance", amount="100"))
    login(testapp, "segreteria@milano.it")
    assert testapp.get(f"{BASE}/{invoice_id}").html.select_one("#payment-closed") is None
    post(testapp, f"{BASE}/{invoice_id}", action="payment", amount="122,00", reference="CRO 1")
    page = testapp.get(f"{BASE}/{invoice_id}")
    assert "Incassata" in page.text and "CRO 1" in page.text
    # Paid in full: no form for one more payment, the status instead.
    assert "payment-form" not in page.forms and "«Incassata»" in page.html.select_one("#payment-closed").text
    movements = testapp.get(f"/milano/dossiers/{order.dossier_id}/accounting").html.select_one("#movements-table")
    assert movements.find("a", href=lambda h: h and h.endswith(f"{BASE}/{invoice_id}")).text.startswith(
        "Fattura di acconto n. 1/")
    assert "importo non valido" in post(testapp, f"{BASE}/{invoice_id}", status=400, action="payment",
                                        amount="x").text


def test_list_filters_csv_and_zip(testapp, order, draft, issue, load, dbtx):
    first = load(issue(draft("advance", amount="1234.50")))
    second = load(issue(draft("advance", amount="10")))
    draft("advance")
    login(testapp, "consultazione@milano.it")
    page = testapp.get(BASE)
    assert page.text.count("Bozza") >= 1 and "1.506,09" in page.text
    assert "Nuova fattura" not in page.text
    issued_only = testapp.get(f"{BASE}?status=issued&customer=rossi")
    assert "bozza</a>" not in issued_only.text
    csv = testapp.get(f"{BASE}?status=issued&format=csv")
    assert csv.body.startswith("\ufeff".encode()) and b";" in csv.body
    assert "1506,09" in csv.body.decode("utf-8")
    archive = zipfile.ZipFile(io.BytesIO(testapp.get(f"{BASE}/export?from=2000-01-01&to=2999-12-31").body))
    assert sorted(archive.namelist()) == sorted([first.xml_filename, second.xml_filename])
    assert archive.read(first.xml_filename) == first.xml
    with dbtx() as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "invoice.exported")).details["count"] == 2


def test_credit_note_from_the_page(testapp, order, draft, issue, dbtx):
    invoice_id = issue(draft("advance"))
    login(testapp, "segreteria@milano.it")
    created = post(testapp, f"{BASE}/new", kind="credit_note", corrects=str(invoice_id))
    post(testapp, created.location.replace("http://localhost", ""), action="issue", confirm="1")
    with dbtx(order) as db:
        note = db.scalar(select(Invoice).where(Invoice.kind == "credit_note"))
        assert (note.status, note.corrects_id) == ("issued", invoice_id)
        assert b"<TipoDocumento>TD04</TipoDocumento>" in note.xml


def test_copy_sent_by_email(testapp, order, draft, issue, dbtx):
    from occ_core.dispatch.models import OutboxMessage

    invoice_id = issue(draft("advance"))
    login(testapp, "segreteria@milano.it")
    post(testapp, f"{BASE}/{invoice_id}", action="send_copy")
    with dbtx() as db:
        message = db.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "invoice_copy"))
        assert "area riservata" in message.body_text


@pytest.mark.parametrize("role, view, issue_status", [("consultazione", 200, 403), ("referente", 200, 403),
                                                      ("gestore", 403, 403), ("amministratore", 200, 302)])
def test_permissions(testapp, order, draft, role, view, issue_status):
    invoice_id = draft("advance")
    login(testapp, f"{role}@milano.it")
    testapp.get(BASE, status=view)
    testapp.get(f"{BASE}/{invoice_id}", status=view)
    post(testapp, f"{BASE}/{invoice_id}", status=issue_status, action="issue", confirm="1")


def test_anonymous_is_sent_to_login(testapp, order):
    for path in (BASE, f"{BASE}/new", "/milano/settings/invoicing"):
        assert "/login" in testapp.get(path, status=302).location


def test_settings_page(testapp, order, dbtx):
    login(testapp, "segreteria@milano.it")
    testapp.get("/milano/settings/invoicing", status=403)
    testapp.reset()
    login(testapp, "amministratore@milano.it")
    page = testapp.get("/milano/settings/invoicing")
    assert "01234560157" in page.text and "Impostazioni dell'Ordine" in page.text and "RF03" not in page.text
    fields = {"regime": "RF19", "iban": "IT60 X054 2811 1010 0000 0123 456", "payment_days": "60", "vat_rate": "0",
              "vat_nature": "N2.2", "expense_nature": "N1", "stamp_recharge": "1", "pension_fund": "",
              "pension_fund_rate": "0", "withholding": "", "withholding_rate": "0", "withholding_reason": "A"}
    assert "IBAN" in post(testapp, "/milano/settings/invoicing", status=400, **{**fields, "iban": "IT00X123"}).text
    assert "Regime" in post(testapp, "/milano/settings/invoicing", status=400, **{**fields, "regime": "RF03"}).text
    assert "Natura" in post(testapp, "/milano/settings/invoicing", status=400,
                            **{**fields, "expense_nature": "N2"}).text
    assert "giorni" in post(testapp, "/milano/settings/invoicing", status=400,
                            **{**fields, "payment_days": "\u00b2\u00b2"}).text
    with dbtx() as db:
        assert preferences_of(db.get(Tenant, order.id)).regime == "RF01"
    post(testapp, "/milano/settings/invoicing", **fields)
    with dbtx() as db:
        prefs = preferences_of(db.get(Tenant, order.id))
    assert (prefs.regime, prefs.iban, prefs.payment_days, prefs.vat_nature, prefs.stamp_recharge) == (
        "RF19", "IT60X0542811101000000123456", 60, "N2.2", True)


def test_settings_warn_about_a_missing_partita_iva(testapp, order, dbtx):
    with dbtx() as db:
        db.get(Tenant, order.id).partita_iva = ""
    login(testapp, "amministratore@milano.it")
    assert "Manca la partita IVA" in testapp.get("/milano/settings/invoicing").text


def test_the_copy_shows_what_was_issued_not_todays_preferences(testapp, order, draft, issue, configure, dbtx):
    plain = issue(draft("advance", amount="1000"))
    configure(pension_fund="TC22", pension_fund_rate=Decimal("4"))
    with_fund = issue(draft("advance", amount="1000"))
    login(testapp, "consultazione@milano.it")
    copy = testapp.get(f"{BASE}/{plain}/copy")
    assert "1.220,00" in copy.text and "1.268,80" not in copy.text and copy.html.select_one("#pension-fund") is None
    configure()
    with dbtx() as db:
        row = db.get(Tenant, order.id)
        row.occ_name, row.address = "OCC con un altro nome", "Corso Nuovo 9"
    copy = testapp.get(f"{BASE}/{with_fund}/copy")
    assert "1.268,80" in copy.text
    assert copy.html.select_one("#pension-fund").text == "Contributo INPS (gestione separata) (4,00%)€ 40,00"
    issuer = " ".join(copy.html.select_one("section").text.split())
    assert "OCC dell'Ordine di Milano" in issuer and "Via Freguglia 1" in issuer and "20122 Milano MI" in issuer
    assert "altro nome" not in copy.text and "Corso Nuovo" not in copy.text


def sent_copy(testapp, dbtx, invoice_id):
    from occ_core.dispatch.models import OutboxMessage

    login(testapp, "segreteria@milano.it")
    post(testapp, f"{BASE}/{invoice_id}", action="send_copy")
    with dbtx() as db:
        return db.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "invoice_copy"))


def test_the_copy_is_attached_to_the_email(testapp, order, draft, issue, dbtx):
    invoice_id = issue(draft("advance"))
    message = sent_copy(testapp, dbtx, invoice_id)
    assert "in allegato" in message.body_text and "€ 1.220,00" in message.body_text
    [attached] = message.attachments  # the tests run without LibreOffice: the HTML goes alone
    assert (attached["filename"], attached["content_type"]) == (f"copia-di-cortesia-1-{today().year}.html",
                                                                "text/html")
    html = base64.b64decode(attached["data"]).decode("utf-8")
    assert "Copia di cortesia" in html and "1.220,00" in html and "Torna alla fattura" not in html


def test_the_copy_is_attached_as_pdf_where_libreoffice_converts_it(testapp, order, draft, issue, dbtx, registry):
    from occ_core.protocol.daily import SOFFICE_SETTING

    invoice_id = issue(draft("advance"))
    saved = registry.settings[SOFFICE_SETTING]
    registry.settings[SOFFICE_SETTING] = "soffice"
    try:
        message = sent_copy(testapp, dbtx, invoice_id)
    finally:
        registry.settings[SOFFICE_SETTING] = saved
    files = {item["filename"]: base64.b64decode(item["data"]) for item in message.attachments}
    name = f"copia-di-cortesia-1-{today().year}"
    assert sorted(files) == [f"{name}.html", f"{name}.pdf"]
    assert files[f"{name}.pdf"].startswith(b"%PDF-")


def test_the_list_shows_credited_invoices_and_reads_payments_once(testapp, order, env_of, draft, issue, registry):
    from sqlalchemy import event

    credited = issue(draft("advance", amount="100"))
    issue(draft("credit_note", amount=None, corrects=credited))
    login(testapp, "consultazione@milano.it")
    assert "Stornata" in testapp.get(f"{BASE}?payment=credited").html.select_one("#invoices tbody").text
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = registry["db.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        testapp.get(BASE)
        few = len(statements)
        for amount in ("10", "20", "30"):
            with env_of(order) as env:
                invoice = services.issue(env, services.create_draft(
                    env, env.dbsession.get(Dossier, order.dossier_id), "advance", amount=Decimal(amount)))
                services.record_payment(env, invoice, on=today(), amount=Decimal("1"))
        statements.clear()
        testapp.get(BASE)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few
