"""Automatic notices (avvisi): a convocation when a meeting of a dossier is fixed, reminders before meetings
and deadlines, a notice when the dossier changes state, the request of missing documents.

Each notice is a communication of the dossier: protocolled as outgoing and sent through the outbox. The Order
edits each kind's subject and text (Jinja, with the modulistica's variables and the event's own), chooses its
recipients and turns it on or off; without its own version the built-in one applies, switched off.

The key of the event (``Communication.notice_key``, unique per Order) makes a notice idempotent: a retried
task, a second run of the reminders or a concurrent worker finds the key taken and sends nothing. A notice
that cannot be sent (nobody with an address, a text that no longer renders) is recorded with the reason, so
that the dossier's log shows it and the event is not tried again and again."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import select

from occ_core.clock import ROME, today as rome_today
from occ_core.communications import parties, services, texts
from occ_core.communications.models import Communication, NoticeSetting
from occ_core.db import utcnow
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.web import ui

log = logging.getLogger(__name__)

CONVOCATION, REMINDER, STATE, DOCUMENTS = "convocazione", "promemoria", "cambio_stato", "richiesta_documenti"
RECIPIENT_ROLES = {"debitore": "Debitori", "gestore": "Gestori nominati",
                   "avvocato": "Avvocati e consulenti del debitore"}
# Which other parties count as the debtor's lawyers and advisors.
LAWYER_ROLES = ("avvocato", "advisor")
# Agenda events that are meetings with the parties (a hearing is the court's, an internal activity nobody's).
MEETING_KINDS = ("incontro_debitore", "incontro_creditori")
MAX_DAYS_BEFORE = 60
NOBODY = ("Nessuno dei destinatari scelti nelle impostazioni dell'avviso ha un indirizzo per i canali di invio "
          "attivi.")
# Whether to leave a recipient (candidate, lower-case address) out of a notice.
Skip = Callable[[parties.Candidate, str], bool]


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: str
    when: str  # what triggers it, for the settings page
    subject: str
    body: str
    recipients: tuple[str, ...]
    variables: tuple[tuple[str, str], ...]  # the event's own variables, documented on the settings page


MEETING_VARIABLES = (
    ("incontro.titolo", "Titolo dell'incontro"), ("incontro.data_estesa", "Giorno, per esteso"),
    ("incontro.data", "Giorno"), ("incontro.ora", "Ora di inizio"), ("incontro.fine", "Ora di fine"),
    ("incontro.luogo", "Sala o luogo"), ("incontro.collegamento", "Collegamento per la riunione online"),
    ("incontro.descrizione", "Descrizione dell'incontro"))
MEETING_SENTENCE = ("«{{ incontro.titolo }}», che si terrà {{ incontro.data_estesa }} alle ore {{ incontro.ora }}"
                    "{% if incontro.luogo %} presso {{ incontro.luogo }}{% endif %}.")
KINDS = {kind.code: kind for kind in (
    NoticeKind(
        CONVOCATION, "Convocazione a un incontro",
        "quando in agenda si fissa (o si sposta) un incontro con il debitore o con i creditori della pratica",
        "Convocazione: {{ incontro.titolo }} – pratica n. {{ pratica.riferimento }}",
        "Gentile {{ debitore.nominativo }},\n\nin relazione alla pratica n. {{ pratica.riferimento }} la convochiamo "
        "all'incontro " + MEETING_SENTENCE +
        "{% if incontro.collegamento %}\nCollegamento per partecipare a distanza: {{ incontro.collegamento }}"
        "{% endif %}"
        "\n\nIn caso di impedimento la preghiamo di avvisarci al più presto." + texts.SIGNATURE,
        ("debitore", "avvocato"), MEETING_VARIABLES),
    NoticeKind(
        REMINDER, "Promemoria di un incontro o di una scadenza",
        "alcuni giorni prima di un incontro della pratica o di una scadenza a cura del debitore (chi partecipa "
        "all'incontro riceve già il promemoria dell'agenda, i gestori il riepilogo delle scadenze)",
        "Promemoria: {% if scadenza %}{{ scadenza.descrizione }}{% else %}{{ incontro.titolo }}{% endif %} – "
        "pratica n. {{ pratica.riferimento }}",
        "Gentile {{ debitore.nominativo }},\n\n{% if scadenza %}le ricordiamo che entro il {{ scadenza.scadenza }} "
        "è previsto il seguente adempimento della pratica n. {{ pratica.riferimento }}: {{ scadenza.descrizione }}."
        "{% else %}le ricordiamo l'incontro relativo alla pratica n. {{ pratica.riferimento }} " + MEETING_SENTENCE +
        "{% endif %}" + texts.SIGNATURE,
        ("debitore", "avvocato"),
        MEETING_VARIABLES + (("scadenza.descrizione", "Adempimento in scadenza (vuoto per un incontro)"),
                             ("scadenza.scadenza", "Data di scadenza"),
                             ("scadenza.a_carico_di", "Chi deve provvedere"))),
    NoticeKind(
        STATE, "Cambio di stato della pratica", "quando la pratica passa a un nuovo stato",
        "Pratica n. {{ pratica.riferimento }}: {{ stato.nome }}",
        "Gentile {{ debitore.nominativo }},\n\nla informiamo che la pratica n. {{ pratica.riferimento }} è passata "
        "dallo stato «{{ stato.precedente }}» allo stato «{{ stato.nome }}» in data {{ stato.data }}."
        "{% if stato.motivo %}\n\nMotivazione: {{ stato.motivo }}{% endif %}" + texts.SIGNATURE,
        ("debitore", "avvocato"),
        (("stato.nome", "Nuovo stato"), ("stato.precedente", "Stato precedente"), ("stato.data", "Data del passaggio"),
         ("stato.motivo", "Motivo indicato"))),
    NoticeKind(
        DOCUMENTS, "Richiesta di documenti",
        "quando la segreteria chiede al debitore i documenti mancanti (scheda Comunicazioni della pratica)",
        "Richiesta di integrazione documentale – pratica n. {{ pratica.riferimento }}",
        "Gentile {{ debitore.nominativo }},\n\nper proseguire l'esame della pratica n. {{ pratica.riferimento }} le "
        "chiediamo di trasmetterci i seguenti documenti:\n{% for documento in richiesta.documenti %}- {{ documento }}\n"
        "{% endfor %}{% if richiesta.nota %}\n{{ richiesta.nota }}\n{% endif %}" + texts.SIGNATURE,
        ("debitore", "avvocato"),
        (("richiesta.documenti", "Documenti richiesti: {% for d in richiesta.documenti %}{{ d }}{% endfor %}"),
         ("richiesta.nota", "Nota aggiunta dalla segreteria"))),
)}


@dataclass(frozen=True)
class Setting:
    """A kind's version in force for the Order: its own row, or the built-in one."""

    kind: NoticeKind
    enabled: bool
    subject: str
    body: str
    recipients: tuple[str, ...]
    days_before: int
    customised: bool


def settings_of(db) -> dict[str, Setting]:
    rows = {row.kind: row for row in db.scalars(select(NoticeSetting))}
    found = {}
    for code, kind in KINDS.items():
        row = rows.get(code)
        found[code] = (Setting(kind, row.enabled, row.subject, row.body, tuple(row.recipients), row.days_before, True)
                       if row is not None else Setting(kind, False, kind.subject, kind.body, kind.recipients, 3, False))
    return found


def samples(code: str) -> list[dict]:
    """The event's own variables of ``code`` as examples, to check an edited text before saving it (a reminder
    in both its forms, of a meeting and of a deadline). The modulistica's sample provides ``incontro``."""
    return {
        CONVOCATION: [{}],
        REMINDER: [{"scadenza": None}, {"incontro": None, "scadenza": {
            "descrizione": "Deposito della documentazione integrativa", "scadenza": "30/06/2026",
            "a_carico_di": "Debitore"}}],
        STATE: [{"stato": {"nome": "Incarico conferito", "precedente": "Istruttoria della segreteria",
                           "data": "10/06/2026", "motivo": ""}}],
        DOCUMENTS: [{"richiesta": {"documenti": ["Dichiarazioni dei redditi degli ultimi 3 anni"], "nota": ""}}],
    }[code]


def save_setting(db, tenant_id: int, code: str, *, enabled: bool, subject: str, body: str, recipients: list[str],
                 days_before: str) -> NoticeSetting:
    """Store the Order's version of ``code`` after checking that it renders on sample data."""
    from occ_core.forms.context import sample_context

    kind = KINDS[code]
    unknown = [role for role in recipients if role not in RECIPIENT_ROLES]
    if unknown or (enabled and not recipients):
        raise UserError(f"{kind.label}: scelga almeno un destinatario tra quelli proposti.", field=f"{code}-recipients")
    days = (days_before or "3").strip()
    if not (days.isascii() and days.isdecimal() and 1 <= int(days) <= MAX_DAYS_BEFORE):
        raise UserError(f"{kind.label}: i giorni di anticipo devono essere un numero da 1 a {MAX_DAYS_BEFORE}.",
                        field=f"{code}-days")
    try:
        for extra in samples(code):
            texts.render(subject, body, {**sample_context(), **extra})
    except UserError as error:
        raise UserError(f"{kind.label} – {error.message}", field=f"{code}-{error.field or 'testo'}")
    row = db.scalar(select(NoticeSetting).where(NoticeSetting.kind == code))
    if row is None:
        row = NoticeSetting(tenant_id=tenant_id, kind=code)
        db.add(row)
    row.enabled, row.subject, row.body = enabled, subject.strip(), body.strip()
    row.recipients, row.days_before = [role for role in RECIPIENT_ROLES if role in recipients], int(days)
    db.flush()
    return row


def restore_builtin(db, code: str) -> bool:
    """Forget the Order's text of ``code`` (keeping whether it is on and to whom it goes); False if none."""
    row = db.scalar(select(NoticeSetting).where(NoticeSetting.kind == code))
    kind = KINDS[code]
    if row is None or (row.subject, row.body) == (kind.subject, kind.body):
        return False
    row.subject, row.body = kind.subject, kind.body
    db.flush()
    return True


def enabled(db, code: str) -> bool:
    return bool(db.scalar(select(NoticeSetting.enabled).where(NoticeSetting.kind == code)))


# --- sending ------------------------------------------------------------------------------------------

def _recipients(env, dossier: Dossier, setting: Setting, skip: Skip | None) -> tuple[list[tuple[str, str]], bool]:
    """(candidate key, channel) of the parties the notice goes to, each on its proposed channel, and whether
    ``skip`` left somebody out."""
    specs = parties.active_channels(env)
    chosen, skipped = [], False
    for candidate in parties.candidates(env.dbsession, dossier):
        role = "avvocato" if candidate.party_role in LAWYER_ROLES else candidate.kind
        channel = parties.default_channel(candidate, specs) if role in setting.recipients else ""
        if not channel:
            continue
        if skip and skip(candidate, parties.address_for(candidate, specs[channel]).lower()):
            skipped = True
        else:
            chosen.append((candidate.key, channel))
    return chosen, skipped


def notify(env, dossier: Dossier, code: str, key: str, extra: dict, skip: Skip | None = None, *,
           raise_problems: bool = False) -> Communication | None:
    """Send the notice ``code`` of ``dossier`` for the event ``key`` once; None when it is switched off or was
    sent before. ``skip`` leaves out recipients whom another message already tells. A problem is recorded on
    the notice, or raised (``raise_problems``, for a user's request)."""
    setting = settings_of(env.dbsession)[code]
    if not setting.enabled:
        return None
    recipients, skipped = _recipients(env, dossier, setting, skip)
    if skipped and not recipients:
        return None  # everybody hears of it from another message
    communication = services.claim_notice(env, dossier, code, f"{code}:{key}")
    if communication is None:
        return None
    draft = services.Draft(subject=setting.subject, body=setting.body, recipients=recipients)
    db = env.dbsession
    try:
        with db.begin_nested():
            return services.send(env, dossier, draft, extra=extra, communication=communication)
    except UserError as error:
        problem = error.message if draft.recipients else NOBODY
        if raise_problems:
            raise UserError(problem, field=error.field)
        communication.subject, communication.problem = setting.kind.label, f"Avviso non inviato. {problem}"
        db.flush()
        log.info("notice %s of dossier %s not sent: %s", code, dossier.id, communication.problem)
        return communication


def meeting_values(db, event) -> dict:
    """The ``incontro`` variable of a notice about an agenda event, as the modulistica shapes it."""
    from occ_core.agenda.models import Room
    from occ_core.agenda.services import where
    from occ_core.forms.context import meeting_data

    room = db.get(Room, event.room_id) if event.room_id else None
    return meeting_data(event, where(event, room) or ("in collegamento" if event.online_url else ""))


def _event_key(event) -> str:
    # A meeting moved to another time is a new convocation; a change of its description is not.
    return f"event:{event.id}:{event.starts_at.astimezone(ROME):%Y%m%d%H%M}"


def on_meeting(env, event_id: int) -> Communication | None:
    """The convocation of the meeting ``event_id`` (fixed or moved), if it is still ahead and not cancelled."""
    from occ_core.agenda.models import Event

    event = env.dbsession.get(Event, event_id)
    if event is None or event.cancelled_at is not None or event.dossier_id is None or \
            event.kind not in MEETING_KINDS or event.starts_at <= utcnow():
        return None
    dossier = env.dbsession.get(Dossier, event.dossier_id)
    return notify(env, dossier, CONVOCATION, _event_key(event), {"incontro": meeting_values(env.dbsession, event)})


def on_transition(env, transition_id: int) -> Communication | None:
    from occ_core.dossiers import procedures
    from occ_core.dossiers.models import Transition

    transition = env.dbsession.get(Transition, transition_id)
    if transition is None:
        return None
    dossier = env.dbsession.get(Dossier, transition.dossier_id)
    label = lambda state: procedures.state_label(env.tenant, state) if state else ""  # noqa: E731
    state = {"codice": transition.to_state, "nome": label(transition.to_state),
             "precedente": label(transition.from_state), "motivo": transition.reason,
             "data": ui.fmt_date(transition.effective_on or transition.at)}
    return notify(env, dossier, STATE, f"transition:{transition.id}", {"stato": state})


def request_documents(env, dossier: Dossier, categories: list[str], note: str) -> Communication:
    """The secretariat asks the debtor for ``categories``, among those the debtor still has to file (never the
    OCC's own papers). The same request on the same day is refused (a double click must not send two letters)."""
    from occ_core.documents import checklist

    if not enabled(env.dbsession, DOCUMENTS):
        raise UserError("L'avviso «Richiesta di documenti» è disattivato nelle impostazioni degli avvisi.")
    missing = {category.code: category.label for category in checklist.missing_from_debtor(env.dbsession, dossier)}
    chosen = [code for code in dict.fromkeys(categories) if code in missing]
    if not chosen or len(chosen) != len(set(categories)):
        raise UserError("Scelga i documenti da richiedere tra quelli che il debitore deve ancora fornire: i "
                        "documenti dell'Organismo e quelli già nel fascicolo non si chiedono.", field="documenti")
    note = (note or "").strip()
    if len(note) > 2000:
        raise UserError("Nota: al massimo 2000 caratteri.", field="nota")
    fingerprint = hashlib.sha256("|".join(sorted(chosen)).encode()).hexdigest()[:16]
    key = f"dossier:{dossier.id}:{rome_today().isoformat()}:{fingerprint}"
    sent = notify(env, dossier, DOCUMENTS, key, {"richiesta": {"documenti": [missing[code] for code in chosen],
                                                               "nota": note}}, raise_problems=True)
    if sent is None:
        raise UserError("La stessa richiesta di documenti è già stata inviata oggi per questa pratica.")
    return sent


def send_reminders(env) -> int:
    """Reminders due today of meetings and of the debtor's deadlines; how many notices were handled.

    The agenda already reminds the participants of a meeting (with the .ics) and the daily digest tells the
    gestori their deadlines: a notice does not write to them again.

    Each notice is committed in a transaction of its own: its protocol registration locks the register's
    counter until the commit, and the front desk must not wait for the last reminder of the run to register
    its mail. The notice's key still lets each reminder go once, whichever run or retry gets there first."""
    from occ_core.agenda.models import Event
    from occ_core.deadlines import queries

    setting = settings_of(env.dbsession)[REMINDER]
    if not setting.enabled:
        return 0
    db, now = env.dbsession, utcnow()
    meetings = list(db.scalars(select(Event.id).where(
        Event.cancelled_at.is_(None), Event.dossier_id.is_not(None), Event.kind.in_(MEETING_KINDS),
        Event.starts_at > now, Event.starts_at <= now + timedelta(days=setting.days_before))
        .order_by(Event.starts_at)))
    deadlines = [deadline.id for deadline in queries.due_soon(db, rome_today(), setting.days_before)
                 if deadline.who == "debitore"]
    return _each_committed(env, _remind_of_meeting, meetings) + _each_committed(env, _remind_of_deadline, deadlines)


def _each_committed(env, remind: Callable, ids: list[int]) -> int:
    """``remind(env, id)`` for each of ``ids``, each in a transaction of its own (the task commits the last);
    how many notices were handled."""
    handled = 0
    for object_id in ids:
        env.tm.commit()
        env.tm.begin()
        handled += remind(env, object_id) is not None
    return handled


def _remind_of_meeting(env, event_id: int) -> Communication | None:
    from occ_core.agenda.models import Event

    db = env.dbsession
    event = db.get(Event, event_id)
    invited = {participant.email.lower() for participant in event.participants if participant.email}
    return notify(env, db.get(Dossier, event.dossier_id), REMINDER, _event_key(event),
                  {"incontro": meeting_values(db, event), "scadenza": None},
                  lambda candidate, address: address in invited)


def _remind_of_deadline(env, deadline_id: int) -> Communication | None:
    from occ_core.deadlines.models import Deadline
    from occ_core.forms.context import deadline_data

    deadline = env.dbsession.get(Deadline, deadline_id)
    return notify(env, deadline.dossier, REMINDER, f"deadline:{deadline.id}:{deadline.due_on.isoformat()}",
                  {"incontro": None, "scadenza": deadline_data(deadline)},
                  lambda candidate, address: candidate.kind == "gestore")
