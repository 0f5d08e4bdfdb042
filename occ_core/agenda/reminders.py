"""Reminders of appointments by e-mail, at the offsets the Order chooses (tenant.preferences["agenda"]).

A periodic task looks, every few minutes, for appointments whose start minus an offset has passed and
sends each participant with an address one e-mail with the appointment's .ics. ``ReminderSent`` is
unique per participant, offset and version (``Event.sequence``) of the appointment: a second run, or a
retry, sends nothing twice, while a changed appointment is reminded again. When several offsets have
passed (the appointment was fixed late, or the worker was down) only the closest is sent. Cancelled and
past appointments get nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from occ_core.agenda import ics
from occ_core.agenda.models import Event, ReminderSent
from occ_core.agenda.rooms import WEEKDAYS, rooms_of
from occ_core.agenda.services import KINDS, describe_when, references, where
from occ_core.clock import ROME
from occ_core.db import utcnow
from occ_core.dispatch.services import queue_message
from occ_core.errors import UserError

PREFERENCE = "agenda"
DEFAULT_OFFSETS = (1440,)  # one day before
UNITS = {"minuti": 1, "ore": 60, "giorni": 1440}
MAX_OFFSETS = 5
MIN_OFFSET, MAX_OFFSET = 5, 30 * 1440
PURPOSE = "agenda.promemoria"


def offsets_of(tenant) -> list[int]:
    """The Order's offsets in minutes, longest first; a value edited by hand into nonsense is ignored."""
    stored = ((tenant.preferences or {}).get(PREFERENCE) or {}).get("reminders")
    if not isinstance(stored, list):
        return list(DEFAULT_OFFSETS)
    return sorted({value for value in stored
                   if isinstance(value, int) and not isinstance(value, bool) and MIN_OFFSET <= value <= MAX_OFFSET},
                  reverse=True)


def save_offsets(tenant, offsets: list[int]) -> None:
    preferences = tenant.preferences or {}
    tenant.preferences = {**preferences, PREFERENCE: {**(preferences.get(PREFERENCE) or {}),
                                                      "reminders": sorted(set(offsets), reverse=True)}}


def split_offset(minutes: int) -> tuple[int, str]:
    """``1440`` -> ``(1, "giorni")``: the largest unit that divides the offset."""
    for unit in ("giorni", "ore", "minuti"):
        if minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    raise AssertionError("minutes divide everything")


def describe_offset(minutes: int) -> str:
    """``1440`` -> ``"1 giorno prima"``, ``120`` -> ``"2 ore prima"``."""
    amount, unit = split_offset(minutes)
    singular = {"giorni": "giorno", "ore": "ora", "minuti": "minuto"}[unit]
    return f"{amount} {singular if amount == 1 else unit} prima"


def parse_offsets(amounts: list[str], units: list[str]) -> list[int]:
    """The rows of the settings form (amount and unit); blank rows are left out."""
    offsets = []
    for amount, unit in zip(amounts, units):
        amount = (amount or "").strip()
        if not amount:
            continue
        if not (amount.isdecimal() and amount.isascii() and len(amount) <= 5) or unit not in UNITS:
            raise UserError(f"Promemoria: «{amount[:20]}» non è un numero intero di minuti, ore o giorni.")
        minutes = int(amount) * UNITS[unit]
        if not MIN_OFFSET <= minutes <= MAX_OFFSET:
            raise UserError(f"Promemoria: ogni anticipo deve essere tra {MIN_OFFSET} minuti e "
                            f"{MAX_OFFSET // 1440} giorni.")
        offsets.append(minutes)
    if len(set(offsets)) > MAX_OFFSETS:
        raise UserError(f"Promemoria: se ne possono indicare al massimo {MAX_OFFSETS}.")
    return sorted(set(offsets), reverse=True)


def long_when(event: Event) -> str:
    """``"lunedì 15/07/2025, dalle 10:30 alle 11:30 (ora italiana)"``."""
    start, end = event.starts_at.astimezone(ROME), event.ends_at.astimezone(ROME)
    day = f"{WEEKDAYS[str(start.isoweekday())]} {start:%d/%m/%Y}"
    if event.all_day:
        return f"{day}, tutto il giorno" if (end.date() - start.date()).days <= 1 else describe_when(event)
    if end.date() == start.date():
        return f"{day}, dalle {start:%H:%M} alle {end:%H:%M} (ora italiana)"
    return f"{describe_when(event)} (ora italiana)"


def reminder_text(tenant, event: Event, name: str, location: str, reference: str) -> tuple[str, str]:
    """Subject and body of the reminder to ``name``."""
    start = event.starts_at.astimezone(ROME)
    lines = [f"Gentile {name}," if name else "Gentile partecipante,", "",
             "le ricordiamo l'appuntamento seguente" + (" (aggiornato)." if event.sequence else "."), "",
             f"Che cosa: {KINDS.get(event.kind, event.kind)} - {event.title}",
             f"Quando: {long_when(event)}"]
    if location:
        lines.append(f"Dove: {location}")
    if event.online_url:
        lines.append(f"Collegamento per la riunione online: {event.online_url}")
    if reference:
        lines.append(f"Pratica: n. {reference}")
    if event.description:
        lines += ["", event.description]
    lines += ["", "In allegato trova l'appuntamento in formato iCalendar (.ics), da aggiungere al suo calendario.",
              "", tenant.display_name]
    return f"Promemoria: {event.title} - {start:%d/%m/%Y %H:%M}", "\n".join(lines)


def due_offset(event: Event, offsets: list[int], now) -> int | None:
    """The closest offset whose moment has passed for ``event``, or None."""
    passed = [offset for offset in offsets if event.starts_at - timedelta(minutes=offset) <= now]
    return min(passed) if passed and event.starts_at > now else None


def send_reminders(env, now=None) -> int:
    """Queue the reminders that are due for the Order of ``env``; returns how many e-mails were queued."""
    offsets = offsets_of(env.tenant)
    now = now or utcnow()
    if not offsets:
        return 0
    db = env.dbsession
    events = list(db.scalars(
        select(Event).options(selectinload(Event.participants))
        .where(Event.cancelled_at.is_(None), Event.starts_at > now,
               Event.starts_at <= now + timedelta(minutes=max(offsets)))
        .order_by(Event.starts_at)))
    if not events:
        return 0
    done = set(db.execute(select(ReminderSent.participant_id, ReminderSent.offset_minutes, ReminderSent.event_sequence)
                          .where(ReminderSent.event_id.in_([event.id for event in events]))).tuples())
    rooms = {room.id: room for room in rooms_of(db)}
    numbers = references(db, {event.dossier_id for event in events})
    queued = 0
    for event in events:
        offset = due_offset(event, offsets, now)
        if offset is None:
            continue
        # One e-mail per address: the gestore may also be among the users of the Order.
        by_address: dict[str, list] = {}
        for participant in event.participants:
            if participant.email and (participant.id, offset, event.sequence) not in done:
                by_address.setdefault(participant.email.lower(), []).append(participant)
        if not by_address:
            continue
        location, reference = where(event, rooms.get(event.room_id)), numbers.get(event.dossier_id, "")
        attachment = ("appuntamento.ics", ics.CONTENT_TYPE, ics.to_bytes(
            event.title, ics.components_of(db, [event])))
        for address, participants in by_address.items():
            queued += _remind(env, event, offset, address, participants, location, reference, attachment)
    return queued


def _remind(env, event, offset, address, participants, location, reference, attachment) -> int:
    """Record, then queue, the reminder to one address; a concurrent run that recorded it first wins."""
    db = env.dbsession
    sent = [ReminderSent(tenant_id=event.tenant_id, event_id=event.id, participant_id=participant.id,
                         offset_minutes=offset, event_sequence=event.sequence) for participant in participants]
    try:
        with db.begin_nested():
            db.add_all(sent)
            db.flush()
    except IntegrityError:
        return 0
    subject, body = reminder_text(env.tenant, event, participants[0].name, location, reference)
    message = queue_message(db, env.tm, env.registry, tenant_id=event.tenant_id, channel="email", subject=subject,
                            body_text=body, recipients=[(participants[0].name, address)], purpose=PURPOSE,
                            attachments=[attachment])
    for row in sent:
        row.outbox_message_id = message.id
    return 1
