"""In a real browser: the secretariat downloads the «Convocazione a un incontro» template, adds a sentence to it
and uploads it as the version in use (a version with an unknown placeholder is refused with its place, and
changes nothing), sends the convocation generated from it to the debtor and two creditors, finds it protocolled
as outgoing and sent through the outbox, the Celery worker and the SMTP server, and sees the dossier counted in
the statistics, which follow the filters."""
import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from occ_core.agenda.models import Event
from occ_core.demo import make_codice_fiscale
from occ_core.dossiers import parties, registration
from occ_core.forms.rendering import ODT_MEDIA_TYPE, pack, unpack
from occ_core.testing.factories import make_tenant, make_user
from occ_core.testing.polling import wait_for

from .test_dossier_flow import log_in

YEAR = date.today().year
DEBTOR_EMAIL = "chiara.ferrari@example.it"
BANK_EMAIL = "crediti@bancaprealpi.example.it"
LENDER_PEC = "recupero@pec.insubria.example.it"
TITLE = "Convocazione a un incontro"
ADDED = "Si prega di presentarsi con dieci minuti di anticipo."
UNKNOWN = "{{ debitore.nome_completo }}"  # the name is «nominativo»
# The template's closing paragraph: the new sentence goes just before it.
CLOSING = b'<text:p text:style-name="Standard">Distinti saluti.</text:p>'


@pytest.fixture
def order(dbtx, pm, tenant_env):
    """«varese» and the dossier of a consumer with an email address, two creditors (one with an email address,
    one with a PEC only) and a meeting with the debtor next week. Returns the dossier's id."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "varese")
        make_user(db, "segreteria@varese.example.it", tenant, "segreteria")
    with tenant_env(tenant) as env:
        dossier = registration.open_dossier(env, {
            "procedure": "ristrutturazione_consumatore", "debtor_category": "consumatore",
            "filed_on": date.today().isoformat(), "family": False, "court": "Tribunale di Varese", "subject": "",
            "debtor": {"person_kind": "fisica", "last_name": "Ferrari", "first_name": "Chiara",
                       "codice_fiscale": make_codice_fiscale("Ferrari", "Chiara", date(1979, 2, 14), True, "L682")}})
        parties.update_debtor(dossier.debtors[0], {"email": DEBTOR_EMAIL}, partial=True)
        parties.add_creditor(dossier, {"name": "Banca Prealpi S.p.A.", "email": BANK_EMAIL,
                                       "amount_claimed": "18.400,00"})
        parties.add_creditor(dossier, {"name": "Finanziaria Insubria S.p.A.", "pec": LENDER_PEC,
                                       "amount_claimed": "6.250,00"})
        start = datetime.combine(date.today() + timedelta(days=7), time(10, 30), ZoneInfo("Europe/Rome"))
        env.dbsession.add(Event(tenant_id=tenant.id, kind="incontro_debitore", title="Esame della proposta",
                                starts_at=start, ends_at=start + timedelta(hours=1), dossier_id=dossier.id,
                                place="Sala Verbano, Via Sacco 5", uid=uuid4().hex))
        env.dbsession.flush()
        return dossier.id


def with_paragraph(template: bytes, text: str) -> bytes:
    """The template as a user edits it in LibreOffice: a paragraph ``text`` before the closing one."""
    files = unpack(template)
    assert files["content.xml"].count(CLOSING) == 1
    paragraph = f'<text:p text:style-name="Standard">{text}</text:p>'.encode()
    files["content.xml"] = files["content.xml"].replace(CLOSING, paragraph + CLOSING)
    return pack(files)


def upload(page, content: bytes, note: str):
    page.get_by_label("File del modello (.odt o .docx)").set_input_files(
        {"name": "convocazione.odt", "mimeType": ODT_MEDIA_TYPE, "buffer": content})
    page.get_by_label("Nota (facoltativa)").fill(note)
    page.get_by_role("button", name="Carica e verifica").click()


def document_text(odt: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(odt)) as archive:
        return archive.read("content.xml").decode("utf-8")


def expect_version_in_use(page, number: int):
    expect(page.locator(f"#version-{number}")).to_contain_text("In uso")
    expect(page.locator("#versions .badge", has_text="In uso")).to_have_count(1)


def test_edited_convocation_sent_protocolled_and_counted(browser, live_server, order, smtp_server, celery_worker):
    dossier_url = f"{live_server}/varese/dossiers/{order}"
    page = browser.new_page(accept_downloads=True)
    log_in(page, live_server, "segreteria@varese.example.it")

    # 1. The template, from the dossier's «Modulistica» tab to the Order's templates: the default, downloaded.
    page.goto(dossier_url)
    page.get_by_role("link", name="Modulistica", exact=True).click()
    page.get_by_role("link", name="Modelli dell'Ordine").click()
    expect(page.locator("#template-convocazione_incontro")).to_contain_text("versione predefinita")
    page.locator("#template-convocazione_incontro").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    with page.expect_download() as download:
        page.locator("#version-0").get_by_role("link", name="Scarica").click()
    assert download.value.suggested_filename == "modello-convocazione_incontro-predefinito.odt"
    default = download.value.path().read_bytes()

    # Edited with a sentence more and uploaded: version 1, in use.
    upload(page, with_paragraph(default, ADDED), "Con la richiesta di puntualità")
    expect(page.get_by_text(f"Versione 1 di «{TITLE}» caricata ed è ora in uso.")).to_be_visible()
    expect(page.locator("#version-1")).to_contain_text("Con la richiesta di puntualità")
    expect_version_in_use(page, 1)

    # A version naming a datum that does not exist: refused with its place in the document, nothing changed.
    upload(page, with_paragraph(default, f"Gentile {UNKNOWN}"), "Versione con un errore")
    expect(page.locator("#form-error")).to_contain_text("Il modello non è stato caricato")
    expect(page.locator("#form-error")).to_be_focused()
    # The paragraph before the closing one is the 21st of the document.
    expect(page.locator("#problems li")).to_have_text(
        f"«{UNKNOWN}» in paragrafo 21 del testo («Gentile {UNKNOWN}»): «nome_completo» non è un dato "
        "disponibile: controlli il nome nell'elenco dei dati disponibili (le maiuscole contano)")
    expect(page.locator("#version-2")).to_have_count(0)
    expect_version_in_use(page, 1)
    page.get_by_role("link", name="Torna alla modulistica").click()
    expect(page.locator("#template-convocazione_incontro")).to_contain_text("versione 1")

    # 2. The convocation, composed in the «Comunicazioni» tab with the template, to the debtor and both creditors.
    page.goto(dossier_url)
    page.get_by_role("link", name="Comunicazioni", exact=True).click()
    expect(page.locator("main")).to_contain_text("Nessuna comunicazione è stata inviata per questa pratica.")
    page.get_by_role("link", name="Nuova comunicazione").click()
    page.get_by_label("Modello della modulistica da allegare come documento principale").select_option(label=TITLE)
    page.get_by_role("button", name="Proponi oggetto e testo del modello").click()
    expect(page.get_by_label("Oggetto")).to_have_value(
        "Convocazione all'incontro – pratica n. {{ pratica.riferimento }}")
    for name, address in (("Ferrari Chiara", DEBTOR_EMAIL), ("Banca Prealpi S.p.A.", BANK_EMAIL),
                          ("Finanziaria Insubria S.p.A.", LENDER_PEC)):
        page.get_by_label(name, exact=True).check()
        expect(page.get_by_label(f"Canale per {name}")).to_contain_text(f"Email – {address}")
    page.get_by_role("button", name="Protocolla e invia").click()

    # 3. Protocolled as outgoing, with the document generated from version 1 of the template ...
    expect(page.get_by_text("Comunicazione protocollata e messa in coda per l'invio a 3 destinatari.")).to_be_visible()
    subject = f"Convocazione all'incontro – pratica n. 1/{YEAR}"
    expect(page.locator("#communication-subject")).to_have_text(subject)
    number = f"{YEAR}-0000001"
    expect(page.locator("#communication-protocol")).to_contain_text(number)
    letter = f"convocazione_incontro-1-{YEAR}.odt"
    expect(page.locator("#communication-files")).to_contain_text(letter)

    # ... one message to each address through the real worker and SMTP server, the letter attached ...
    assert wait_for(lambda: len(smtp_server.messages) == 3, timeout=30)
    assert sorted(a for m in smtp_server.messages for a in m.rcpt_tos) == sorted((DEBTOR_EMAIL, BANK_EMAIL,
                                                                                   LENDER_PEC))
    for envelope in smtp_server.messages:
        email = message_from_bytes(envelope.content, policy=policy.default)
        assert email["Subject"] == subject
        assert number in email.get_body(("plain",)).get_content()
        attached, = email.iter_attachments()
        assert attached.get_filename() == letter
        text = document_text(attached.get_content())
        assert ADDED in text and "Ferrari Chiara" in text and "{{" not in text

    # ... and each recipient shown as sent once the worker has recorded it.
    def all_sent() -> bool:
        page.reload()
        return page.locator("[id^=recipient-] h4 .badge", has_text="Inviato").count() == 3

    assert wait_for(all_sent, timeout=30)
    for address in (DEBTOR_EMAIL, BANK_EMAIL, LENDER_PEC):
        expect(page.locator("[id^=recipient-]", has_text=address).locator("h4 .badge")).to_have_text("Inviato")

    # The protocol register: the registration, outgoing, to the three recipients.
    page.get_by_role("link", name="Protocollo").first.click()
    row = page.locator("#registrations tbody tr", has_text=number)
    expect(row).to_contain_text("In uscita")
    expect(row).to_contain_text(subject)
    expect(row).to_contain_text("Banca Prealpi S.p.A.")
    row.get_by_role("link", name=re.compile(number)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("main")).to_contain_text(letter)

    # 4. The statistics: this year's one application, of its procedure; the figures follow the filters.
    page.get_by_role("link", name="Statistiche").first.click()
    expect(page.locator("#period")).to_have_text(f"Istanze presentate dal 01/01/{YEAR} al 31/12/{YEAR}.")
    expect(page.locator("#kpi-received")).to_have_text("1")
    procedure = page.locator("#table-procedure").get_by_role("row", name="Ristrutturazione dei debiti del consumatore")
    expect(procedure).to_contain_text("1")
    page.get_by_label("Procedura", exact=True).select_option(label="Concordato minore")
    page.get_by_role("button", name="Aggiorna").click()
    expect(page.locator("#period")).to_contain_text("procedura «Concordato minore»")
    expect(page.locator("#kpi-received")).to_have_text("0")
    expect(page.locator("#section-procedure")).to_contain_text("Nessun dato nel periodo scelto.")
    page.get_by_label("Procedura", exact=True).select_option(label="Ristrutturazione dei debiti del consumatore")
    page.get_by_label("Istanze presentate dal").fill(f"{YEAR - 1}-01-01")
    page.get_by_label("al", exact=True).fill(f"{YEAR - 1}-12-31")
    page.get_by_role("button", name="Aggiorna").click()
    expect(page.locator("#kpi-received")).to_have_text("0")
    page.get_by_label("al", exact=True).fill(f"{YEAR}-12-31")
    page.get_by_role("button", name="Aggiorna").click()
    expect(page.locator("#kpi-received")).to_have_text("1")
    expect(page.locator("#table-anni")).to_contain_text(str(YEAR - 1))
    expect(page.locator("#table-anni").get_by_role("row", name=str(YEAR))).to_contain_text("1")
