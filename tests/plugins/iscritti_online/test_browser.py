"""In a real browser: a registrant asks for a change, the secretariat approves it, the registry shows it."""
from playwright.sync_api import expect

from occ_core.testing.factories import PASSWORD

NEW_PEC = "giulia.studio@pec.example.it"


def log_in(page, base_url, email):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()


def test_change_request_from_registrant_to_registry(browser, live_server, make_order):
    order = make_order()

    registrant = browser.new_page()
    log_in(registrant, live_server, order.iscritto)
    registrant.get_by_role("link", name="I miei dati").first.click()
    expect(registrant.get_by_role("heading", name="I miei dati", level=1)).to_be_visible()
    registrant.get_by_label("PEC", exact=True).fill(NEW_PEC)
    registrant.get_by_role("button", name="Salva").click()
    expect(registrant.get_by_role("alert").filter(has_text="inviata alla segreteria")).to_be_visible()
    expect(registrant.locator("#pending-request")).to_be_visible()

    # The secretariat works in its own browser session.
    secretariat = browser.new_context().new_page()
    log_in(secretariat, live_server, order.segreteria)
    secretariat.get_by_role("link", name="Richieste iscritti (1)").click()
    secretariat.locator("#pending-requests").get_by_role("link").first.click()
    change = secretariat.get_by_role("row").filter(has=secretariat.get_by_role("rowheader", name="PEC"))
    expect(change.locator(".occ-diff-old")).to_have_text(order.registrant_pec)
    expect(change.locator(".occ-diff-new")).to_have_text(NEW_PEC)
    secretariat.get_by_role("button", name="Approva e aggiorna l'anagrafica").click()
    expect(secretariat.get_by_role("alert").filter(has_text="Richiesta approvata")).to_be_visible()
    expect(secretariat.get_by_text("Nessuna richiesta in attesa di approvazione.")).to_be_visible()

    secretariat.goto(f"{live_server}/{order.slug}/registrants/{order.registrant_id}")
    expect(secretariat.locator("dt:text-is('PEC') + dd")).to_have_text(NEW_PEC)
