"""In a real browser: the secretariat computes the preventivo of a dossier as it types and saves it, invoices
and collects the start fee, issues an advance invoice whose FatturaPA file is valid against the official
schema, records its payment, and finds the gestore's share of the collected fee in his statement."""
from datetime import date
from decimal import Decimal

import pytest
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

SHOTS = "/tmp/acc"


def shot(page, name):
    import os
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def order(dbtx, pm, tenant_env):
    """«bergamo», able to invoice, with dossier 1 of a consumer debtor and its gestore appointed and accepted."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "bergamo")
        secretary = make_user(db, "segreteria@bergamo.example.it", tenant, "segreteria")
        row = db.get(Tenant, tenant.id)
        row.occ_name, row.partita_iva, row.codice_fiscale = "OCC dell'Ordine di Bergamo", "01234560157", "80123450150"
        row.address, row.postal_code, row.city, row.province = "Via Petrarca 10", "24121", "Bergamo", "BG"
    with tenant_env(tenant) as env:
        db = env.dbsession
        registrant = make_registrant(db, tenant, last_name="Locatelli", first_name="Giulia")
        # Enrolled last year: no biennial training is due yet.
        today = date.today()
        gestore = enrol(db, tenant.id, str(registrant.id), {
            "enrolled_on": date(today.year - 1, 1, 10), "partita_iva": "", "degree": "Laurea in economia",
            "course_hours": 200, "course_completed_on": date(today.year - 2, 6, 1),
            "traineeship_completed_on": date(today.year - 2, 12, 1), "circondario": "Tribunale di Bergamo",
            "specialisations": [], "available": True, "notes": ""})
        dossier = registration.open_dossier(env, {
            "procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore",
            "filed_on": date.today().isoformat(), "family": False, "court": "Tribunale di Bergamo", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Bonfanti", "first_name": "Marco",
                       "codice_fiscale": make_codice_fiscale("Bonfanti", "Marco", date(1975, 4, 12), False, "A794")}})
        debtor = dossier.debtors[0]
        debtor.address, debtor.postal_code, debtor.city, debtor.province = "Via Broseta 21", "24128", "Bergamo", "BG"
        registration.update_dossier(dossier, {"attivo": "20000", "passivo_declared": "60000"})
        db.flush()
        gestori.declare_no_conflict(db, env.tenant, dossier, secretary.id)
        gestori.propose(db, env.tenant, dossier, secretary.id, date.today())
        appointment, = gestori.appoint(db, env.tenant, dossier, [gestore.id], secretary.id, date.today())
        gestori.record_acceptance(db, env.tenant, dossier, appointment, secretary.id)
        return dossier.id


def test_preventivo_start_fee_advance_invoice_and_gestore_statement(browser, live_server, order, tmp_path):
    dossier_id = order
    page = browser.new_page(accept_downloads=True)
    log_in(page, live_server, "segreteria@bergamo.example.it")
    page.goto(f"{live_server}/bergamo/dossiers/{dossier_id}")
    shot(page, "01-dossier")
    page.get_by_role("link", name="Preventivo", exact=True).click()
    shot(page, "02-preventivo")
    page.get_by_label("Attivo (euro)").fill("30.000,00")
    page.get_by_label("Passivo (euro)").fill("100.000,00")
    page.get_by_label("Riduzione per la lettura «una sola riduzione» (15-40 %)").fill("25")
    expect(page.locator("#total-medio")).to_have_text("€ 4.136,85")
    shot(page, "03-preventivo-typed")
    page.get_by_role("button", name="Salva il preventivo").click()
    shot(page, "04-saved")
    page.get_by_role("link", name="Preventivo stampabile").first.click()
    shot(page, "05-print")
    page.go_back()
    page.get_by_role("link", name="Contabilità", exact=True).last.click()
    shot(page, "06-accounting")
    page.get_by_role("link", name="Nuova fattura").click()
    shot(page, "07-new-invoice")
    page.get_by_role("button", name="Crea la bozza").click()
    shot(page, "08-draft")
    page.get_by_text("Confermo: la fattura emessa").click()
    page.get_by_role("button", name="Emetti la fattura").click()
    shot(page, "09-issued")
    page.get_by_label("Importo", exact=True).fill("244,00")
    page.get_by_role("button", name="Registra il pagamento").click()
    shot(page, "10-paid")
    page.goto(f"{live_server}/bergamo/dossiers/{dossier_id}/accounting")
    shot(page, "11-accounting")
    page.get_by_role("link", name="Nuova fattura").click()
    page.get_by_text("Fattura di acconto", exact=True).click()
    page.get_by_label("Importo dell'acconto").fill("1.000,00")
    page.get_by_role("button", name="Crea la bozza").click()
    shot(page, "12-advance-draft")
    page.get_by_text("Confermo: la fattura emessa").click()
    page.get_by_role("button", name="Emetti la fattura").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica il file XML").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    print(download.value.suggested_filename, schema_errors(path.read_bytes(), SHARED_DATA / "fatturapa"))
    page.get_by_label("Importo", exact=True).fill("1.220,00")
    page.get_by_role("button", name="Registra il pagamento").click()
    shot(page, "13-advance-paid")
    page.get_by_role("link", name="Compensi gestori").click()
    shot(page, "14-compensation")
    page.get_by_role("link", name="Locatelli Giulia").first.click()
    shot(page, "15-statement")
    page.goto(f"{live_server}/bergamo/dossiers/{dossier_id}/accounting")
    shot(page, "16-accounting")
    page.get_by_role("link", name="Compensi", exact=True).click()
    shot(page, "17-dossier-compensation")
