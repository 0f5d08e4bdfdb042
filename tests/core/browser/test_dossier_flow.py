"""In a real browser: the secretariat registers an application, adds the debtor's creditors and documents,
the referente gets a proposal and appoints the gestore, and the dossier moves through its first states."""
from datetime import date

import pytest
from playwright.sync_api import expect

from occ_core.db import bind_tenant
from occ_core.demo import make_codice_fiscale
from occ_core.documents import samples
from occ_core.gestori.roster import enrol
from occ_core.testing.factories import PASSWORD, make_registrant, make_tenant, make_user

DEBTOR_CF = make_codice_fiscale("Brambilla", "Luigi", date(1971, 3, 9), False, "F205")


@pytest.fixture
def order(dbtx, pm):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "lecco")
        make_user(db, "segreteria@lecco.example.it", tenant, "segreteria")
        make_user(db, "referente@lecco.example.it", tenant, "referente")
        bind_tenant(db, tenant.id)
        registrant = make_registrant(db, tenant, last_name="Sironi", first_name="Paola")
        today = date.today()
        enrol(db, tenant.id, str(registrant.id), {
            "enrolled_on": date(today.year - 1, 1, 10), "partita_iva": "", "degree": "Laurea in giurisprudenza",
            "course_hours": 200, "course_completed_on": date(today.year - 2, 6, 1),
            "traineeship_completed_on": date(today.year - 2, 12, 1), "circondario": "Tribunale di Lecco",
            "specialisations": [], "available": True, "notes": ""})
    return "lecco"


def log_in(page, base_url, email):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()


def move_to(page, label):
    page.get_by_role("button", name=f"Passa a «{label}»").click()
    expect(page.locator("#dossier-state")).to_have_text(label)


def test_application_to_appointed_gestore(browser, live_server, order, tmp_path):
    page = browser.new_page()
    log_in(page, live_server, "segreteria@lecco.example.it")
    page.get_by_role("link", name="Pratiche").first.click()
    page.get_by_role("link", name="Nuova pratica").click()
    page.get_by_label("Procedura", exact=True).select_option("ristrutturazione_consumatore")
    page.get_by_label("Categoria del debitore").select_option("consumatore")
    page.get_by_label("Data di presentazione dell'istanza").fill(date.today().isoformat())
    page.get_by_label("Tribunale competente").fill("Tribunale di Lecco")
    page.get_by_label("Cognome").fill("Brambilla")
    page.get_by_label("Nome", exact=True).fill("Luigi")
    page.get_by_label("Codice fiscale").fill(DEBTOR_CF)
    page.get_by_role("button", name="Registra la pratica").click()
    expect(page.locator("#dossier-state")).to_have_text("Istanza ricevuta")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"1/{date.today().year}")

    page.get_by_role("link", name="Creditori").click()
    for name, amount in (("Findomestic Banca S.p.A.", "12.500,00"), ("Agenzia delle Entrate-Riscossione", "3.200,50")):
        page.get_by_role("link", name="Aggiungi un creditore").click()
        page.get_by_label("Denominazione").fill(name)
        page.get_by_label("Importo del credito").fill(amount)
        page.get_by_role("button", name="Salva").click()
        expect(page.get_by_role("cell", name=name)).to_be_visible()
    expect(page.locator("body")).to_contain_text("15.700,50")

    page.get_by_role("link", name="Documenti").click()
    istanza = tmp_path / "istanza.pdf"
    istanza.write_bytes(samples.pdf("Istanza di nomina del gestore"))
    page.get_by_label("File", exact=True).set_input_files(str(istanza))
    page.get_by_label("Categoria").select_option("istanza")
    page.get_by_label("Titolo").fill("Istanza del debitore")
    page.get_by_role("button", name="Carica nel fascicolo").click()
    expect(page.get_by_text("Istanza del debitore").first).to_be_visible()

    page.get_by_role("link", name="Riepilogo").click()
    move_to(page, "Istruttoria della segreteria")
    move_to(page, "Preventivo emesso")
    expect(page.locator("#option-INCARICO_CONFERITO .missing")).to_be_visible()
    page.get_by_role("link", name="Modifica").first.click()
    page.get_by_label("Data di conferimento dell'incarico all'OCC").fill(date.today().isoformat())
    page.get_by_role("button", name="Salva").click()
    move_to(page, "Incarico conferito")
    dossier_url = page.url

    referente = browser.new_context().new_page()
    log_in(referente, live_server, "referente@lecco.example.it")
    referente.goto(dossier_url.rstrip("/") + "/gestore")
    referente.get_by_role("button", name="Dichiaro l'assenza di conflitti di interesse dell'OCC").click()
    referente.get_by_role("button", name="Calcola la proposta").click()
    expect(referente.locator("body")).to_contain_text("Sironi Paola")
    referente.get_by_role("button", name="Nomina").click()
    referente.get_by_role("button", name="Registra l'accettazione").click()
    referente.get_by_role("button", name="Registra la dichiarazione di indipendenza").click()
    expect(referente.locator("#dossier-header")).to_contain_text("Sironi Paola")

    page.goto(dossier_url)
    move_to(page, "Gestore nominato")
    move_to(page, "Istruttoria del gestore")
    page.get_by_role("link", name="Storico").click()
    expect(page.locator("body")).to_contain_text("Istruttoria del gestore")
