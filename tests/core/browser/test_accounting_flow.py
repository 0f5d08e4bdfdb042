"""In a real browser: the secretariat computes the preventivo of a dossier as it types and saves it, invoices
and collects the start fee, issues an advance invoice whose FatturaPA file is valid against the official
schema, records its payment, and finds the gestore's share of the collected fee in his statement."""
import re
from datetime import date

import pytest
from lxml import etree
from playwright.sync_api import expect

from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import registration
from occ_core.gestori import services as gestori
from occ_core.gestori.roster import enrol
from occ_core.invoicing.fatturapa import schema_errors
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_registrant, make_tenant, make_user
from occ_core.testing.shared_data import SHARED_DATA

from .test_dossier_flow import log_in

PARTITA_IVA = "01234560157"
DEBTOR_CF = make_codice_fiscale("Bonfanti", "Marco", date(1975, 4, 12), False, "A794")
YEAR = date.today().year


@pytest.fixture
def order(dbtx, pm, tenant_env):
    """«bergamo», able to invoice (partita IVA and address), with the dossier of a consumer who declared attivo
    and passivo, and its gestore appointed and accepted. Returns the dossier's id."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "bergamo")
        secretary = make_user(db, "segreteria@bergamo.example.it", tenant, "segreteria")
        row = db.get(Tenant, tenant.id)
        row.occ_name, row.partita_iva, row.codice_fiscale = "OCC dell'Ordine di Bergamo", PARTITA_IVA, "80123450150"
        row.address, row.postal_code, row.city, row.province = "Via Petrarca 10", "24121", "Bergamo", "BG"
    with tenant_env(tenant) as env:
        db, today = env.dbsession, date.today()
        registrant = make_registrant(db, tenant, last_name="Locatelli", first_name="Giulia")
        # Enrolled last year: no biennial training is due yet, so nothing bars the appointment.
        gestore = enrol(db, tenant.id, str(registrant.id), {
            "enrolled_on": date(today.year - 1, 1, 10), "partita_iva": "", "degree": "Laurea in economia",
            "course_hours": 200, "course_completed_on": date(today.year - 2, 6, 1),
            "traineeship_completed_on": date(today.year - 2, 12, 1), "circondario": "Tribunale di Bergamo",
            "specialisations": [], "available": True, "notes": ""})
        dossier = registration.open_dossier(env, {
            "procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore",
            "filed_on": today.isoformat(), "family": False, "court": "Tribunale di Bergamo", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Bonfanti", "first_name": "Marco",
                       "codice_fiscale": DEBTOR_CF}})
        debtor = dossier.debtors[0]
        debtor.address, debtor.postal_code, debtor.city, debtor.province = "Via Broseta 21", "24128", "Bergamo", "BG"
        registration.update_dossier(dossier, {"attivo": "20000", "passivo_declared": "60000"})
        gestori.declare_no_conflict(db, env.tenant, dossier, secretary.id)
        gestori.propose(db, env.tenant, dossier, secretary.id, today)
        appointment, = gestori.appoint(db, env.tenant, dossier, [gestore.id], secretary.id, today)
        gestori.record_acceptance(db, env.tenant, dossier, appointment, secretary.id)
        return dossier.id


def issue_draft(page):
    page.get_by_text("Confermo: la fattura emessa").click()
    page.get_by_role("button", name="Emetti la fattura").click()


def record_payment(page, amount):
    page.get_by_label("Importo", exact=True).fill(amount)
    page.get_by_label("Riferimento (CRO, IUV…)").fill("CRO 0306909")
    page.get_by_role("button", name="Registra il pagamento").click()
    expect(page.locator("#payment-status")).to_have_text("Incassata")


def expect_figures(page, paid, owed):
    """The «Contabilità» tab's preventivo, what the debtor paid towards it and what he still owes."""
    expect(page.get_by_role("row", name="Preventivo (versione 1)")).to_contain_text("€ 4.136,85")
    expect(page.locator("#estimate-paid")).to_have_text(paid)
    expect(page.locator("#estimate-owed")).to_have_text(owed)


def test_preventivo_start_fee_advance_invoice_and_gestore_statement(browser, live_server, order, tmp_path):
    dossier_url = f"{live_server}/bergamo/dossiers/{order}"
    page = browser.new_page(accept_downloads=True)
    log_in(page, live_server, "segreteria@bergamo.example.it")

    # 1. The preventivo: the dossier's declared figures are estimated at once, then recalculated as the
    # secretariat types the current ones (fees.md U2, S5, S6: medio 3.014,10, SG 376,76, total 4.136,85).
    page.goto(dossier_url)
    page.get_by_role("link", name="Preventivo", exact=True).click()
    expect(page.locator("#total-medio")).to_have_text("€ 3.340,68")
    with page.expect_request(lambda sent: "/fees/calculator/result" in sent.url) as asked:
        page.get_by_label("Attivo (euro)").fill("trentamila")
    # The form's CSRF token never travels in a URL (server logs, Referer).
    assert "csrf_token" not in asked.value.url
    expect(page.locator("#result-error")).to_contain_text("Attivo: importo non valido")
    page.get_by_label("Attivo (euro)").fill("30.000,00")
    page.get_by_label("Passivo (euro)").fill("100.000,00")
    expect(page.locator("#total-medio")).to_have_text("€ 4.688,44")
    page.get_by_label("Riduzione per la lettura «una sola riduzione» (15-40 %)").fill("25")
    expect(page.locator("#total-medio")).to_have_text("€ 4.136,85")
    values = page.locator("#fee-values")
    expect(values.get_by_role("row", name="Compenso ridotto")).to_contain_text("€ 3.014,10")
    expect(values.get_by_role("row", name="Spese generali (12,5 %)")).to_contain_text("€ 376,76")
    page.get_by_role("button", name="Salva il preventivo").click()
    expect(page.get_by_text("Preventivo versione 1 salvato.")).to_be_visible()
    expect(page.locator("#estimate-1")).to_contain_text("€ 4.136,85")
    page.locator("#print-1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Preventivo dei compensi – pratica 1/{YEAR}, versione 1")
    expect(page.locator("#debtors")).to_contain_text(f"Bonfanti Marco – C.F. {DEBTOR_CF}")
    expect(page.locator("#proposed")).to_contain_text("€ 3.390,86")
    page.get_by_role("link", name="Torna alla pratica").click()

    # 2. The start fee: invoiced from the dossier's «Contabilità» tab (the Order's 200,00 + IVA) and collected.
    page.get_by_role("link", name="Contabilità", exact=True).last.click()
    expect_figures(page, "€ 0,00", "€ 4.136,85")
    expect(page.locator("#invoices")).to_contain_text("Nessuna fattura per la pratica.")
    page.get_by_role("link", name="Nuova fattura").click()
    expect(page.get_by_label("Pratica")).to_have_value(str(order))
    page.get_by_role("button", name="Crea la bozza").click()
    expect(page.locator("#lines")).to_contain_text(f"Spese di avvio della procedura, pratica 1/{YEAR}")
    issue_draft(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Fattura n. 1/{YEAR}")
    record_payment(page, "244,00")
    page.locator("#dossier-link").click()
    expect(page.locator("#dossier-balance")).to_contain_text("€ 244,00")
    expect(page.locator("#movements-table")).to_contain_text("Diritti di avvio / contributo iniziale")
    expect_figures(page, "€ 244,00", "€ 3.892,85")

    # 3. An advance of 1.000,00 + IVA, issued; its FatturaPA file as the page offers it.
    page.get_by_role("link", name="Nuova fattura").click()
    page.get_by_text("Fattura di acconto", exact=True).click()
    page.get_by_label("Importo dell'acconto richiesto").fill("1.000,00")
    page.get_by_role("button", name="Crea la bozza").click()
    expect(page.locator("#totals")).to_contain_text("€ 1.220,00")
    issue_draft(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Fattura di acconto n. 2/{YEAR}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica il file XML").click()
    assert re.fullmatch(rf"IT{PARTITA_IVA}_\w{{5}}\.xml", download.value.suggested_filename)
    xml = tmp_path / "fattura.xml"
    download.value.save_as(xml)
    assert schema_errors(xml.read_bytes(), SHARED_DATA / "fatturapa") == []
    document = etree.fromstring(xml.read_bytes())
    assert [document.findtext(f".//{name}") for name in (
        "TipoDocumento", "Numero", "ImportoTotaleDocumento", "CodiceDestinatario")] == [
        "TD02", f"2/{YEAR}", "1220.00", "0000000"]
    assert document.findtext(".//CessionarioCommittente//CodiceFiscale") == DEBTOR_CF

    # 4. Its payment: the invoice is collected, the debtor owes the rest of the preventivo.
    record_payment(page, "1.220,00")
    expect(page.locator("#payments")).to_contain_text("CRO 0306909")
    page.locator("#dossier-link").click()
    expect_figures(page, "€ 1.464,00", "€ 2.672,85")

    # 5. The gestore's share: 80 % (the Order's rule) of the fee collected, the start fee staying with the OCC.
    page.get_by_role("link", name="Contabilità", exact=True).first.click()
    page.locator("#accounting-menu").get_by_role("link", name="Compensi gestori").click()
    row = page.get_by_role("row", name="Locatelli Giulia")
    expect(row).to_contain_text("€ 1.000,00")
    expect(row).to_contain_text("€ 800,00")
    row.get_by_role("link", name="Locatelli Giulia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prospetto dei compensi di Locatelli Giulia")
    expect(page.locator("#fig-collected")).to_have_text("€ 1.000,00")
    expect(page.locator("#fig-share")).to_have_text("€ 800,00")
    expect(page.locator("#fig-to-invoice")).to_have_text("€ 800,00")
    advance = page.get_by_role("row", name=f"Fattura di acconto n. 2/{YEAR}")
    expect(advance).to_contain_text("80,00 %")
    expect(advance).to_contain_text("€ 800,00")
