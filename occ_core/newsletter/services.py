"""A newsletter's life: draft, test send, schedule (or send now), start, progress, end or cancellation.

The start resolves the audience and stores one outbox message with one delivery per recipient in a
single INSERT, each delivery with its own unsubscribe link; the dispatch core sends them in batches."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, select, update

from occ_core.background import send_after_commit
from occ_core.clock import ROME, today
from occ_core.db import utcnow
from occ_core.dispatch.models import CANCELLED, DELIVERED, FAILED, QUEUED, SENDING, SENT, Delivery
from occ_core.dispatch.services import cancel_queued, queue_batched
from occ_core.errors import UserError
from occ_core.newsletter import audience as audiences
from occ_core.newsletter.content import UNSUBSCRIBE_FIELD, UNSUBSCRIBE_PLACEHOLDER, email_bodies, sanitise
from occ_core.newsletter.models import ANNULLATA, BOZZA, IN_INVIO, INVIATA, PROGRAMMATA, STATES, Newsletter
from occ_core.newsletter.subscriptions import unsubscribe_url
from occ_core.web.forms import parse_date

PURPOSE = "newsletter"
TEST_PURPOSE = "newsletter.prova"
PREFERENCE = "newsletter"
DEFAULT_RATE = 300
MAX_RATE = 100_000
SUBJECT_LIMIT = 200
BODY_LIMIT = 500_000
MANAGE, VIEW = "newsletter:message:manage", "newsletter:message:view"


# --- the Order's setting ---------------------------------------------------------------------------

def rate_of(tenant) -> int:
    """Messages per minute the Order's mail server accepts (tenant.preferences["newsletter"])."""
    stored = ((tenant.preferences or {}).get(PREFERENCE) or {}).get("rate_per_minute")
    return stored if isinstance(stored, int) and 1 <= stored <= MAX_RATE else DEFAULT_RATE


def save_rate(tenant, text: str) -> int:
    text = (text or "").strip().replace(".", "")
    if not text.isdecimal() or not 1 <= int(text) <= MAX_RATE:
        raise UserError(f"Messaggi al minuto: indichi un numero intero da 1 a {MAX_RATE:,}.".replace(",", "."),
                        field="rate_per_minute")
    tenant.preferences = {**(tenant.preferences or {}), PREFERENCE: {"rate_per_minute": int(text)}}
    return int(text)


# --- drafts -------------------------------------------------------------------------------------------

@dataclass
class Draft:
    subject: str
    body_html: str
    body_text: str
    segment: audiences.Segment
    removed: list[str]  # what the HTML had that a newsletter may not carry


def read_draft(db, tenant_id: int, values: dict) -> Draft:
    subject = " ".join(values.get("subject", "").split())
    if not subject:
        raise UserError("Indichi l'oggetto della newsletter.", field="subject")
    if len(subject) > SUBJECT_LIMIT:
        raise UserError(f"L'oggetto può avere al massimo {SUBJECT_LIMIT} caratteri.", field="subject")
    if len(values.get("body_html", "")) > BODY_LIMIT or len(values.get("body_text", "")) > BODY_LIMIT:
        raise UserError("Il testo della newsletter è troppo lungo.", field="body_html")
    body_html, removed = sanitise(values.get("body_html", ""))
    body_text = values.get("body_text", "").strip()
    if not body_html and not body_text:
        raise UserError("Scriva il testo della newsletter.", field="body_html")
    return Draft(subject, body_html, body_text, audiences.read_segment(db, tenant_id, values), removed)


def save_draft(db, tenant_id: int, newsletter: Newsletter | None, draft: Draft, user_id: int) -> Newsletter:
    if newsletter is None:
        newsletter = Newsletter(tenant_id=tenant_id, created_by_id=user_id)
        db.add(newsletter)
    elif newsletter.state != BOZZA:
        raise UserError("Si può modificare solo una bozza.")
    newsletter.subject, newsletter.body_html, newsletter.body_text = draft.subject, draft.body_html, draft.body_text
    newsletter.audience, newsletter.filters, newsletter.list_id = (
        draft.segment.audience, draft.segment.filters, draft.segment.list_id)
    db.flush()
    return newsletter


def segment_of(newsletter: Newsletter) -> audiences.Segment:
    return audiences.Segment(newsletter.audience, dict(newsletter.filters or {}), newsletter.list_id)


def duplicate(db, newsletter: Newsletter, user_id: int) -> Newsletter:
    copy = Newsletter(tenant_id=newsletter.tenant_id, created_by_id=user_id, subject=newsletter.subject,
                      body_html=newsletter.body_html, body_text=newsletter.body_text, audience=newsletter.audience,
                      filters=dict(newsletter.filters or {}), list_id=newsletter.list_id)
    db.add(copy)
    db.flush()
    return copy


# --- scheduling -------------------------------------------------------------------------------------

def parse_when(day: str, hour: str) -> datetime:
    """The moment a form names (a date and a time in Italy), in UTC; it must be in the future."""
    on = parse_date(day, "Data dell'invio")
    if on is None:
        raise UserError("Indichi la data dell'invio.", field="day")
    try:
        at = time.fromisoformat((hour or "").strip())
    except ValueError:
        raise UserError("Ora dell'invio non valida: usi il formato hh:mm.", field="hour")
    moment = datetime.combine(on, at.replace(tzinfo=None), tzinfo=ROME)
    if moment <= utcnow():
        raise UserError("La data e l'ora dell'invio sono già passate: ne indichi di future.", field="day")
    return moment


def locked(db, newsletter: Newsletter) -> Newsletter:
    """``newsletter`` as committed now, its row locked until the transaction ends (on PostgreSQL: SQLite has
    no row locks). The start task holds the same row from its claim to its commit: a change of state waits
    for it, then sees the message it queued, instead of acting on the state the page loaded."""
    return db.scalar(select(Newsletter).where(Newsletter.id == newsletter.id).with_for_update()
                     .execution_options(populate_existing=True))


def schedule(db, tenant, newsletter: Newsletter, when: datetime | None) -> audiences.Audience:
    """Schedule the newsletter (``when`` None: now); the audience must have someone in it."""
    newsletter = locked(db, newsletter)
    if newsletter.state != BOZZA:
        raise UserError(f"La newsletter è già «{STATES[newsletter.state].lower()}».")
    found = audiences.resolve(db, tenant, segment_of(newsletter), today())
    if not found.recipients:
        raise UserError("Nessun destinatario: il gruppo scelto non ha indirizzi email a cui inviare.")
    newsletter.state, newsletter.scheduled_at = PROGRAMMATA, when or utcnow()
    return found


def cancel(db, newsletter: Newsletter) -> tuple[str, int]:
    """Cancel a scheduled newsletter, or stop one being sent (what is still queued is not sent); return the
    state it was in and how many queued copies will not be sent."""
    newsletter = locked(db, newsletter)
    was = newsletter.state
    if was not in (PROGRAMMATA, IN_INVIO):
        raise UserError("Si può annullare solo una newsletter programmata o in invio.")
    newsletter.state = ANNULLATA
    newsletter.finished_at = utcnow()
    if newsletter.message_id is None:
        return was, 0
    return was, cancel_queued(db, Delivery.message_id == newsletter.message_id,
                              detail="Invio della newsletter interrotto.")


# --- sending ------------------------------------------------------------------------------------------

def personalisation(settings, tenant, newsletter_id: int, address: str) -> dict:
    """The recipient's own unsubscribe link, in the footer and in the one-click headers of RFC 8058."""
    return {"fields": {UNSUBSCRIBE_FIELD: unsubscribe_url(settings, tenant, newsletter_id, address)},
            "headers": {"List-Unsubscribe": f"<{UNSUBSCRIBE_PLACEHOLDER}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}


def _queue(env, tenant, newsletter: Newsletter, recipients, subject: str, purpose: str, created_by_id):
    body_html, body_text = email_bodies(subject, newsletter.body_html, newsletter.body_text, tenant.display_name)
    return queue_batched(
        env.dbsession, env.tm, env.registry, tenant_id=tenant.id, channel="email", subject=subject,
        body_text=body_text, body_html=body_html, purpose=purpose, created_by_id=created_by_id,
        rate_per_minute=rate_of(tenant),
        recipients=[(name, address, personalisation(env.registry.settings, tenant, newsletter.id, address))
                    for name, address in recipients])


def test_send(request, newsletter: Newsletter) -> str:
    """The newsletter as a recipient gets it, to the author's own address."""
    user = request.identity
    _queue(request, request.tenant, newsletter, [(user.full_name, user.email)], f"[Prova] {newsletter.subject}",
           TEST_PURPOSE, user.id)
    return user.email


def start(env, newsletter_id: int) -> str:
    """Start a due scheduled newsletter, once: the move to "in invio" is a single UPDATE, whose row lock
    lasts until the message is queued and committed (a cancellation waits for it, see ``locked``)."""
    db = env.dbsession
    now = utcnow()
    claimed = db.execute(
        update(Newsletter).where(Newsletter.id == newsletter_id, Newsletter.state == PROGRAMMATA,
                                 Newsletter.scheduled_at <= now)
        .values(state=IN_INVIO, started_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return "nothing to start"
    newsletter = db.scalar(select(Newsletter).where(Newsletter.id == newsletter_id)
                           .execution_options(populate_existing=True))
    segment = segment_of(newsletter)
    found = audiences.resolve(db, env.tenant, segment, today())
    newsletter.audience_label = audiences.describe(db, env.tenant.id, segment)[:300]
    newsletter.recipients, newsletter.excluded = len(found.recipients), found.excluded
    if not found.recipients:
        newsletter.state, newsletter.finished_at = ANNULLATA, now
        newsletter.note = "Nessun destinatario al momento dell'invio."
        return "no recipients"
    message = _queue(env, env.tenant, newsletter, found.recipients, newsletter.subject, PURPOSE,
                     newsletter.created_by_id)
    newsletter.message_id = message.id
    return f"{len(found.recipients)} recipients"


def start_due(env) -> int:
    """Start every scheduled newsletter whose time has come, each in its Order (platform task)."""
    from occ_core.newsletter.tasks import start as start_task

    due = env.dbsession.execute(select(Newsletter.id, Newsletter.tenant_id).where(
        Newsletter.state == PROGRAMMATA, Newsletter.scheduled_at <= utcnow())).all()
    for newsletter_id, tenant_id in due:
        send_after_commit(env.tm, start_task, tenant_id, newsletter_id)
    return len(due)


def finish(env, message) -> None:
    """The last delivery of a newsletter's message was handled: the newsletter has been sent."""
    if message.purpose != PURPOSE:
        return
    env.dbsession.execute(
        update(Newsletter).where(Newsletter.message_id == message.id, Newsletter.state == IN_INVIO)
        .values(state=INVIATA, finished_at=utcnow()).execution_options(synchronize_session=False))


# --- progress -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    total: int = 0
    sent: int = 0
    failed: int = 0
    queued: int = 0
    cancelled: int = 0

    def percent(self, count: int) -> int:
        return round(100 * count / self.total) if self.total else 0


def progress_of(db, newsletters: list[Newsletter]) -> dict[int, Progress]:
    """Each newsletter's deliveries by status, counted in one query."""
    ids = [n.message_id for n in newsletters if n.message_id is not None]
    counts: dict[int, dict] = {}
    if ids:
        for message_id, status, count in db.execute(
                select(Delivery.message_id, Delivery.status, func.count(Delivery.id))
                .where(Delivery.message_id.in_(ids)).group_by(Delivery.message_id, Delivery.status)):
            counts.setdefault(message_id, {})[status] = count
    result = {}
    for newsletter in newsletters:
        found = counts.get(newsletter.message_id, {})
        result[newsletter.id] = Progress(
            total=sum(found.values()) if found else newsletter.recipients,
            sent=found.get(SENT, 0) + found.get(DELIVERED, 0), failed=found.get(FAILED, 0),
            queued=found.get(QUEUED, 0) + found.get(SENDING, 0), cancelled=found.get(CANCELLED, 0))
    return result
