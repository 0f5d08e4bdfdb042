"""Automatic notices: each kind fires once on its event with the Order's own text, protocolled and queued, and
sends nothing when switched off; the Order edits and restores the texts on /settings/notices."""
from datetime import timedelta

import pytest
import transaction
from sqlalchemy import select, text

from occ_core.agenda import services as agenda
from occ_core.agenda.models import Event
from occ_core.clock import today
from occ_core.communications import notices, texts
from occ_core.communications.models import Communication
from occ_core.communications.tasks import reminders
from occ_core.db import transactional_session
from occ_core.deadlines.models import Deadline
from occ_core.documents import samples
from occ_core.documents.checklist import OCC_PAPERS
from occ_core.dossiers import lifecycle
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.procedures import PROCEDURES
from occ_core.forms.context import build, sample_context, sample_parts
from occ_core.protocol import services as protocol
from occ_core.protocol.models import Registration
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token

from .conftest import counts


def configure(testapp, case, kind, enabled=True, subject="Avviso {{ pratica.riferimento }}", body=None,
              recipients=("debitore", "avvocato"), status=302):
    form = [("csrf_token", csrf_token(testapp)), ("kind", kind), ("azione", "salva"), ("oggetto", subject),
            ("testo", body or f"Testo dell'Ordine per {kind}: {{{{ debitore.nominativo }}}}."), ("giorni", "5"),
            *[("destinatari", role) for role in recipients]]
    if enabled:
        form.append(("attivo", "1"))
    return testapp.post(f"/{case.tenant.slug}/settings/notices", form, status=status)


def sent_notices(dbtx, case, kind) -> list[tuple[str, list[str]]]:
    """(text, addresses) of the notices of ``kind`` queued in the outbox."""
    with dbtx(case.tenant) as db:
        rows = db.scalars(select(Communication).where(Communication.notice_kind == kind).order_by(Communication.id))
        found = []
        for row in rows:
            assert row.registration_id is not None and not row.problem
            found.append((row.body, sorted(r.address for r in row.recipients)))
        return found


def meeting(case, days=10, hour="10:00", **changes) -> dict:
    start = (today() + timedelta(days=days)).isoformat()
    return {"kind": "incontro_debitore", "title": "Incontro con il debitore", "start_day": start, "start_time": hour,
            "end_time": "11:00", "end_day": "", "all_day": "", "dossier": case.reference, "room_id": "",
            "place": "Sede dell'OCC, Via Freguglia 1", "gestore_id": "", "online_url": "", "description": "",
            "guests": "", "users": [], "parties": [], **changes}


@pytest.fixture
def admin(as_user):
    return as_user("amministratore")


def test_a_convocation_goes_once_per_time_of_the_meeting_with_the_order_s_text(case, admin, tenant_env, dbtx):
    configure(admin, case, notices.CONVOCATION, body="Convocazione {{ incontro.data }} ore {{ incontro.ora }}.")
    with tenant_env(case.tenant) as env:
        event = agenda.save_event(env, meeting(case))
    start = (today() + timedelta(days=10)).strftime("%d/%m/%Y")
    assert sent_notices(dbtx, case, "convocazione") == [
        (f"Convocazione {start} ore 10:00.", ["anna.verdi@example.it", "avv.rossi@studiorossi.it"])]
    with tenant_env(case.tenant) as env:  # a new description: no new convocation
        agenda.save_event(env, meeting(case, description="Portare i documenti"), env.dbsession.get(Event, event.id))
    assert len(sent_notices(dbtx, case, "convocazione")) == 1
    with tenant_env(case.tenant) as env:  # moved: convened again
        agenda.save_event(env, meeting(case, hour="15:00", end_time="16:00"), env.dbsession.get(Event, event.id))
    assert len(sent_notices(dbtx, case, "convocazione")) == 2
    configure(admin, case, notices.CONVOCATION, enabled=False)
    with tenant_env(case.tenant) as env:
        agenda.save_event(env, meeting(case, days=12))
    assert len(sent_notices(dbtx, case, "convocazione")) == 2


def test_a_state_change_is_notified_once(case, admin, tenant_env, dbtx):
    configure(admin, case, notices.STATE, body="Ora: {{ stato.nome }} (prima: {{ stato.precedente }}).",
              recipients=("debitore",))
    with tenant_env(case.tenant) as env:
        lifecycle.move(env, env.dbsession.get(Dossier, case.dossier_id), "ISTRUTTORIA_SEGRETERIA")
    [(text, addresses)] = sent_notices(dbtx, case, "cambio_stato")
    assert text.startswith("Ora: ") and "(prima: " in text and addresses == ["anna.verdi@example.it"]
    with tenant_env(case.tenant) as env:  # the same transition's task again (a retry): nothing more
        transition_id = env.dbsession.get(Dossier, case.dossier_id).transitions[-1].id
        assert notices.on_transition(env, transition_id) is None
    assert len(sent_notices(dbtx, case, "cambio_stato")) == 1


def test_reminders_of_meetings_and_of_the_debtor_s_deadlines_go_once(case, admin, tenant_env, dbtx):
    configure(admin, case, notices.REMINDER, recipients=("debitore", "avvocato", "gestore"))
    with tenant_env(case.tenant) as env:
        # The debtor takes part in the meeting: the agenda reminds her, the notice reminds the others.
        agenda.save_event(env, meeting(case, days=3, parties=[case.keys["debitore"]]))
        agenda.save_event(env, meeting(case, days=30))  # beyond the five days chosen
        env.dbsession.add(Deadline(tenant_id=case.tenant.id, dossier_id=case.dossier_id, label="Deposito del piano",
                                   who="debitore", trigger_ref="manuale:1", trigger_on=today(),
                                   due_on=today() + timedelta(days=4)))
    for _ in range(2):
        reminders.delay(case.tenant.id)
    sent = sent_notices(dbtx, case, "promemoria")
    assert sorted(addresses for _text, addresses in sent) == [
        ["anna.verdi@example.it", "avv.rossi@studiorossi.it"],  # the deadline: not the gestore (daily digest)
        ["avv.rossi@studiorossi.it", "paolo.neri@studio.it"]]


def register_at_the_front_desk(registry, tenant) -> int:
    """A letter protocolled in a transaction of its own, which waits at most seconds for the register's counter
    (on SQLite, for the database's write lock); its number."""
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        db = transactional_session(registry["db.session_factory"], tm, tenant.id)
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SET LOCAL lock_timeout = '5s'"))
        env = protocol.ProtocolEnv(registry=registry, dbsession=db, tenant=db.get(Tenant, tenant.id))
        letter = {"direction": "entrata", "subject": "Precisazione del credito", "means": "pec",
                  "mittente": {"name": "Banca Lombarda S.p.A.", "address": "legale@pec.bancalombarda.it"}}
        return protocol.register(env, letter, [("lettera.pdf", samples.pdf("Precisazione"))]).number


def test_the_front_desk_registers_between_two_reminders(case, admin, tenant_env, dbtx, registry, monkeypatch):
    """Each reminder is protocolled and committed on its own: once the first is done, a letter registered at the
    front desk takes the next number at once, and the second reminder the one after."""
    configure(admin, case, notices.REMINDER)
    with tenant_env(case.tenant) as env:
        agenda.save_event(env, meeting(case, days=2))
        agenda.save_event(env, meeting(case, days=3))
    calls, at_the_desk, notify = [], [], notices.notify

    def register_before_the_second(*args, **kwargs):
        if len(calls) == 1:
            at_the_desk.append(register_at_the_front_desk(registry, case.tenant))
        calls.append(args)
        return notify(*args, **kwargs)

    monkeypatch.setattr(notices, "notify", register_before_the_second)
    reminders.delay(case.tenant.id)
    assert at_the_desk == [2]
    with dbtx(case.tenant) as db:
        reminded = db.scalars(select(Registration.number).join(Communication, Communication.registration_id ==
                                                               Registration.id).order_by(Registration.number))
        assert list(reminded) == [1, 3]
    reminders.delay(case.tenant.id)  # a second run sends neither again
    assert len(sent_notices(dbtx, case, "promemoria")) == 2


def test_the_documents_request_sends_once_what_the_secretariat_picked(case, admin, as_user, dbtx):
    configure(admin, case, notices.DOCUMENTS, body="Mancano: {{ richiesta.documenti|join(', ') }}.")
    testapp = as_user("segreteria")
    tab = testapp.get(case.base)
    form = tab.forms["documents-request-form"]
    for field in form.fields["documento"][2:]:
        field.checked = False
    page = form.submit().follow()
    assert "Richiesta di documenti protocollata" in page.text
    [(text, addresses)] = sent_notices(dbtx, case, "richiesta_documenti")
    assert text == "Mancano: Istanza all'OCC, Documento d'identità."
    assert addresses == ["anna.verdi@example.it", "avv.rossi@studiorossi.it"]
    again = form.submit(status=400)
    assert "già stata inviata oggi" in again.text
    assert len(sent_notices(dbtx, case, "richiesta_documenti")) == 1


def test_the_documents_request_offers_and_accepts_only_what_the_debtor_supplies(case, admin, as_user, dbtx):
    configure(admin, case, notices.DOCUMENTS)
    testapp = as_user("segreteria")
    offered = [box["value"] for box in testapp.get(case.base).html.select("#documents-request-form "
                                                                           "input[name=documento]")]
    assert "istanza" in offered and not set(offered) & set(OCC_PAPERS)
    before = counts(dbtx, case)
    for papers in (["istanza", "preventivo"], ["relazione_gestore"]):
        page = testapp.post(f"{case.base}/documents-request", [("csrf_token", csrf_token(testapp)),
                                                               *[("documento", code) for code in papers]], status=400)
        assert "tra quelli che il debitore deve ancora fornire" in page.text
    assert counts(dbtx, case) == before


def test_a_request_nobody_can_receive_says_so_in_a_sentence(case, admin, as_user, dbtx):
    configure(admin, case, notices.DOCUMENTS, recipients=("debitore",))
    with dbtx(case.tenant) as db:
        debtor = db.get(Dossier, case.dossier_id).debtors[0]
        debtor.email = debtor.pec = ""
    testapp = as_user("segreteria")
    page = testapp.post(f"{case.base}/documents-request", {"csrf_token": csrf_token(testapp), "documento": "istanza"},
                        status=400)
    assert "Nessuno dei destinatari scelti nelle impostazioni dell'avviso" in page.text


def test_the_order_s_text_is_checked_and_can_be_restored(case, admin, dbtx):
    before = counts(dbtx, case)
    page = configure(admin, case, notices.STATE, body="{{ stato.inesistente }", status=400)
    assert "Cambio di stato della pratica" in page.text and "non è scritto correttamente" in page.text
    page = configure(admin, case, notices.STATE, body="{{ variabile_ignota }}", status=400)
    assert "variabile_ignota" in page.text
    configure(admin, case, notices.STATE, body="Testo mio.")
    assert "Testo mio." in admin.get(f"/{case.tenant.slug}/settings/notices").text
    admin.post(f"/{case.tenant.slug}/settings/notices", {"csrf_token": csrf_token(admin), "kind": notices.STATE,
                                                          "azione": "ripristina"}, status=302)
    with dbtx(case.tenant) as db:
        setting = notices.settings_of(db)[notices.STATE]
    assert setting.body == notices.KINDS[notices.STATE].body and setting.enabled
    assert counts(dbtx, case) == before


def test_the_built_in_texts_render_on_the_sample_dossier():
    sample = sample_context()
    for code in [*texts.TEMPLATE_TEXTS, ""]:
        subject, body = texts.render(*texts.prefilled(code), sample)
        assert subject and sample["pratica"]["riferimento"] in body + subject and sample["ordine"]["occ"] in body
    for code, kind in notices.KINDS.items():
        for extra in notices.samples(code):
            assert sample["debitore"]["nominativo"] in texts.render(kind.subject, kind.body, {**sample, **extra})[1]


def test_every_variable_of_a_notice_s_event_is_documented():
    for code, kind in notices.KINDS.items():
        documented = {name for name, _description in kind.variables}
        for extra in notices.samples(code):
            for part, value in extra.items():
                if part != "incontro" and value:  # the meeting is the modulistica's, documented there
                    assert {f"{part}.{key}" for key in value} <= documented, code


def test_the_tax_offices_text_cites_the_rule_of_the_procedure():
    rules = {"ristrutturazione_consumatore": "art. 68, comma 4", "concordato_minore": "art. 76, comma 4",
             "liquidazione_controllata": None, "esdebitazione_incapiente": None,
             "accordo_composizione": "art. 9, comma 1", "piano_consumatore": "art. 9, comma 1",
             "liquidazione_patrimonio": "art. 9, comma 1"}
    assert set(rules) == set(PROCEDURES)
    for procedure, rule in rules.items():
        parts = sample_parts()
        parts.dossier.procedure = procedure
        subject, body = texts.render(*texts.prefilled("comunicazione_fisco"), build(parts, {}))
        for article in ("art. 68", "art. 76", "art. 9,"):
            assert (article in subject) == (article in body) == bool(rule and rule.startswith(article)), procedure
        assert "agente della riscossione e agli uffici fiscali" in subject or rule
