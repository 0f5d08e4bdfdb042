"""In a real browser: the secretariat protocols a court's PEC with its attachments into a dossier, records the
decree it carries (the deadline to inform the creditors appears), schedules a meeting with the debtor in a room,
and the reminder reaches the debtor through the outbox, the Celery worker and the SMTP server."""
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from playwright.sync_api import expect

from occ_core.agenda import reminders
from occ_core.agenda.models import Room
from occ_core.background import celery_app
from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import registration
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import make_tenant, make_user
from occ_core.testing.polling import wait_for
from occ_core.testing.shared_data import busta, original_with_attachments

from .test_dossier_flow import log_in

EVERY_DAY = {str(day): [["08:00", "20:00"]] for day in range(1, 8)}
DEBTOR_EMAIL = "mario.rossi@example.it"


@pytest.fixture
def order(dbtx, pm, tenant_env):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "como")
        make_user(db, "segreteria@como.example.it", tenant, "segreteria")
        # Reminders two days ahead: tomorrow's meeting is due for one at once.
        reminders.save_offsets(db.get(Tenant, tenant.id), [2 * 24 * 60])
    with tenant_env(tenant) as env:
        env.dbsession.add(Room(tenant_id=tenant.id, name="Sala Volta", location="Via Roma 1, Como", capacity=6,
                               opening_hours=EVERY_DAY))
        dossier = registration.open_dossier(env, {
            "procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore", "filed_on": "2025-02-03",
            "family": False, "court": "Tribunale di Como", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Rossi", "first_name": "Mario",
                       "codice_fiscale": make_codice_fiscale("Rossi", "Mario", date(1968, 5, 2), False, "C933")}})
        dossier.debtors[0].email = DEBTOR_EMAIL
        # Filed in court: the judge's decree is what arrives next.
        dossier.state = "DEPOSITATO"
        env.dbsession.flush()
        return tenant.id, dossier.id, dossier.reference


def test_pec_protocolled_decree_recorded_meeting_reminded(browser, live_server, order, tmp_path, dbtx,
                                                         smtp_server, celery_worker):
    tenant_id, dossier_id, reference = order
    pec = tmp_path / "decreto.eml"
    pec.write_bytes(busta(original_with_attachments(), identificativo="opec.20250401.7@pec.tribunale.it"))
    page = browser.new_page()
    log_in(page, live_server, "segreteria@como.example.it")

    # The PEC, protocolled into the dossier: the message and its two attachments, each with its impronta.
    page.get_by_role("link", name="Protocollo").first.click()
    page.get_by_role("link", name="Protocolla una PEC").click()
    page.get_by_label("Messaggio PEC (.eml)").set_input_files(str(pec))
    page.get_by_label("Pratica in cui archiviarla (numero/anno, facoltativa)").fill(reference)
    page.get_by_role("button", name="Protocolla la PEC").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("0000001")
    expect(page.get_by_text("postacert.eml").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("Allegato")
    page.goto(f"{live_server}/como/dossiers/{dossier_id}")
    page.get_by_role("link", name="Protocollo", exact=True).last.click()
    expect(page.locator("main")).to_contain_text("0000001")

    # The decree of 1 April 2025: thirty days to inform the creditors, ending on 1 May (a holiday), so 2 May.
    page.goto(f"{live_server}/como/dossiers/{dossier_id}")
    page.locator("#effective-on-DECRETO_AMMISSIBILITA").fill("2025-04-01")
    page.get_by_role("button", name="Passa a «Decreto di ammissibilità»").click()
    expect(page.locator("#dossier-state")).to_have_text("Decreto di ammissibilità")
    page.get_by_role("link", name="Scadenze").last.click()
    expect(page.locator("main")).to_contain_text("02/05/2025")

    # A meeting with the debtor tomorrow in the room.
    tomorrow = date.today() + timedelta(days=1)
    page.get_by_role("link", name="Agenda").last.click()
    page.get_by_role("link", name="Nuovo appuntamento").first.click()
    page.get_by_label("Titolo").fill("Esame del piano con il debitore")
    page.get_by_label("Data", exact=True).fill(tomorrow.isoformat())
    page.get_by_label("Ora di inizio").fill("10:00")
    page.get_by_label("Ora di fine").fill("11:00")
    page.get_by_label("Sala dell'OCC", exact=True).select_option("Sala Volta")
    page.get_by_label("Rossi Mario", exact=False).check()
    page.get_by_role("button", name="Salva l'appuntamento").click()
    expect(page.locator("main")).to_contain_text("Esame del piano con il debitore")
    expect(page.locator("main")).to_contain_text("Sala Volta")

    # The reminder goes out through the real worker and SMTP server.
    celery_app.tasks["agenda.send_reminders"].delay(tenant_id)
    assert wait_for(lambda: any(DEBTOR_EMAIL in m.rcpt_tos for m in smtp_server.messages), timeout=30)
    message = next(message_from_bytes(m.content, policy=policy.default) for m in smtp_server.messages
                   if DEBTOR_EMAIL in m.rcpt_tos)
    assert message["Subject"] == f"Promemoria: Esame del piano con il debitore - {tomorrow:%d/%m/%Y} 10:00"
    assert "Sala Volta" in message.get_body(("plain",)).get_content()

