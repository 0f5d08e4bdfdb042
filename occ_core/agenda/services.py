"""Appointments of the agenda: checked input, conflicts, participants, saving, moving and cancelling.

Services take ``env``, a request or a Celery task's ``TaskEnv``, like the dossier services. A refused
appointment writes nothing. Times are typed on the Italian clock and stored in UTC."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping
from urllib.parse import urlsplit

from sqlalchemy import or_, select

from occ_core.accounts.services import staff_users
from occ_core.agenda.models import Event, Participant, Room
from occ_core.agenda.rooms import closed_reason
from occ_core.audit.services import record
from occ_core.clock import ROME
from occ_core.db import utcnow
from occ_core.dossiers.actions import actor_id
from occ_core.dossiers.fields import Field, InvalidData, as_text, choice, day, flag, parse_fields, text
from occ_core.dossiers import numbering
from occ_core.dossiers.models import Debtor, Dossier
from occ_core.dossiers.summary import gestori_in_force
from occ_core.errors import UserError
from occ_core.gestori.models import Gestore
from occ_core.gestori.screening import gestore_name
from shared_registry.fields import EMAIL_PATTERN

KINDS = {
    "incontro_debitore": "Incontro con il debitore",
    "incontro_creditori": "Incontro con i creditori",
    "udienza": "Udienza",
    "attivita_interna": "Attività interna",
    "scadenza": "Scadenza",
    "altro": "Altro",
}
PARTICIPANT_KINDS = {"utente": "Utente dell'Ordine", "gestore": "Gestore", "debitore": "Debitore",
                     "creditore": "Creditore", "ospite": "Ospite"}
MAX_DAYS = 31  # an appointment is not a holiday: longer spans are typing mistakes
REASON_LIMIT = 200
CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
GUEST = re.compile(r"^(.*?)[\s,;<]*<?([^\s<>,;]+@[^\s<>,;]+?)>?$")


def clock_time(value, label) -> time | None:
    """A time of day as people type it ("10:30", "10.30", "10"); empty is None."""
    result = as_text(value, label)
    if not result:
        return None
    match = CLOCK.match(result)
    if match is None or int(match[1]) > 23 or int(match[2] or 0) > 59:
        raise UserError(f"{label}: «{result[:20]}» non è un orario valido (esempio: 10:30).")
    return time(int(match[1]), int(match[2] or 0))


def online_url(value, label) -> str:
    result = text(500)(value, label)
    if not result:
        return ""
    try:
        parts = urlsplit(result)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in result):
        raise UserError(f"{label}: indicare un indirizzo completo che inizi con https:// (o http://).")
    return result


EVENT_FIELDS = {
    "kind": Field("Tipo di appuntamento", choice(KINDS)),
    "title": Field("Titolo", text(200, required=True)),
    "start_day": Field("Data", day(required=True)),
    "start_time": Field("Ora di inizio", clock_time),
    "end_time": Field("Ora di fine", clock_time),
    "end_day": Field("Ultimo giorno (solo per un evento di più giorni)", day()),
    "all_day": Field("Tutto il giorno", flag),
    "dossier": Field("Pratica (numero/anno)", text(20)),
    "room_id": Field("Sala dell'OCC", text(12)),
    "place": Field("Luogo esterno (se non in una sala dell'OCC)", text(200)),
    "gestore_id": Field("Gestore", text(12)),
    "online_url": Field("Collegamento per la riunione online", online_url),
    "description": Field("Descrizione e note", text(4000)),
    "guests": Field("Ospiti (uno per riga: nome e indirizzo email)", text(4000)),
}


class Conflict(UserError):
    """The appointment clashes with another one or with its room: nothing was saved."""


@dataclass(frozen=True)
class Person:
    """A participant as the form names one."""

    kind: str
    name: str
    email: str = ""
    user_id: int | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.user_id) if self.user_id else (self.kind, self.email.lower() or self.name.lower())


def participant_key(participant: Participant) -> tuple:
    return Person(participant.kind, participant.name, participant.email, participant.user_id).key


# --- reading the form ---------------------------------------------------------------------------------

def rome_moment(on: date, at: time) -> datetime:
    """A day and time on the Italian clock, in UTC (DST included).

    A time the autumn change repeats (02:00-02:59 on the last Sunday of October) is its first occurrence,
    still on summer time: people booking "02:30" that night mean the first one they live. A time the spring
    change skips is refused earlier by ``skipped_by_the_clock``."""
    return datetime.combine(on, at, tzinfo=ROME).astimezone(timezone.utc)


def skipped_by_the_clock(on: date, at: time) -> bool:
    """True for a time that does not exist in Italy: the hour skipped when clocks go forward in March."""
    local = datetime.combine(on, at)
    return rome_moment(on, at).astimezone(ROME).replace(tzinfo=None) != local


def _span(values: dict, errors: dict) -> tuple[datetime, datetime] | None:
    if "start_day" not in values or "end_day" not in values or errors.keys() & {"start_time", "end_time"}:
        return None
    first, last = values["start_day"], values["end_day"] or values["start_day"]
    if last < first:
        errors["end_day"] = "Ultimo giorno: non può precedere la data d'inizio."
        return None
    if (last - first).days >= MAX_DAYS:
        errors["end_day"] = f"Ultimo giorno: un appuntamento può durare al massimo {MAX_DAYS} giorni."
        return None
    if values.get("all_day"):
        return rome_moment(first, time(0)), rome_moment(last + timedelta(days=1), time(0))
    for name, on in (("start_time", first), ("end_time", last)):
        at, label = values.get(name), EVENT_FIELDS[name].label
        if at is None:
            errors[name] = f"{label}: campo obbligatorio (o scelga «Tutto il giorno»)."
        elif skipped_by_the_clock(on, at):
            errors[name] = (f"{label}: l'ora {at:%H:%M} non esiste il {on:%d/%m/%Y}, è il passaggio all'ora legale "
                            "(gli orologi saltano dalle 02:00 alle 03:00).")
    if errors.keys() & {"start_time", "end_time"}:
        return None
    starts_at, ends_at = rome_moment(first, values["start_time"]), rome_moment(last, values["end_time"])
    if ends_at <= starts_at:
        errors["end_time"] = "Ora di fine: deve seguire l'inizio."
        return None
    return starts_at, ends_at


def dossier_by_reference(db, reference: str) -> Dossier | None:
    """The dossier numbered ``reference`` ("12/2025") in the Order the session is bound to, or None."""
    return numbering.by_reference(db, db.info["tenant_id"], reference)


def _dossier(db, reference: str, errors: dict) -> Dossier | None:
    if not reference:
        return None
    found = dossier_by_reference(db, reference)
    if found is None:
        errors["dossier"] = f"Pratica: nessuna pratica ha il numero «{reference[:20]}» (esempio: 12/2025)."
        return None
    return found


def as_id(raw) -> int | None:
    """A row id sent by a form, or None for anything else."""
    raw = str(raw)
    return int(raw) if raw.isdecimal() and raw.isascii() and len(raw) <= 9 else None


def _row(db, model, raw: str, field: str, label: str, errors: dict):
    if not raw:
        return None
    row_id = as_id(raw)
    found = db.scalar(select(model).where(model.id == row_id)) if row_id is not None else None
    if found is None:
        errors[field] = f"{label}: scegliere una delle voci proposte."
    return found


def staff_members(db) -> dict[int, Person]:
    """The staff users of the Order the session is bound to who may take part in an appointment, by user id."""
    return {user_id: Person("utente", full_name or email, email.lower(), user_id)
            for user_id, full_name, email in staff_users(db, db.info["tenant_id"])}


def dossier_parties(dossier: Dossier | None) -> dict[str, Person]:
    """The dossier's debtors and creditors who can be invited (they have an address), by form value."""
    if dossier is None:
        return {}
    found = {}
    for kind, rows in (("debitore", dossier.debtors), ("creditore", dossier.creditors)):
        for row in rows:
            address = row.email or row.pec
            name = row.display_name if isinstance(row, Debtor) else row.name
            if address:
                found[f"{kind}:{row.id}"] = Person(kind, name, address.lower())
    return found


def _guests(raw: str, errors: dict) -> list[Person]:
    guests = []
    for line in filter(None, (line.strip() for line in raw.splitlines())):
        match = GUEST.match(line)
        if match is None or not EMAIL_PATTERN.match(match[2]) or not match[1].strip(" ,;"):
            errors["guests"] = (f"Ospiti: nella riga «{line[:60]}» indicare nome e indirizzo email "
                                "(esempio: Mario Rossi, mario.rossi@example.it).")
            return []
        guests.append(Person("ospite", match[1].strip(" ,;")[:200], match[2].lower()))
    return guests


def _people(db, data: Mapping, dossier: Dossier | None, gestore: Gestore | None, guests: list[Person],
            errors: dict) -> list[Person]:
    members = staff_members(db)
    people = []
    for raw in data.get("users") or ():
        user_id = as_id(raw)
        if user_id not in members:
            errors["users"] = "Utenti dell'Ordine: scegliere tra gli utenti proposti."
            break
        people.append(members[user_id])
    parties = dossier_parties(dossier)
    for raw in data.get("parties") or ():
        if raw not in parties:
            errors["parties"] = "Parti della pratica: scegliere tra le parti proposte della pratica indicata."
            break
        people.append(parties[raw])
    if gestore is not None:
        registrant = gestore.registrant
        address = (registrant.email or registrant.pec) if registrant is not None else ""
        people.append(Person("gestore", gestore_name(gestore), address.lower()))
    unique = {}
    for person in [*people, *guests]:
        unique.setdefault(person.key, person)
    return list(unique.values())


@dataclass
class Draft:
    """A checked appointment, ready to be compared with the agenda and saved."""

    values: dict
    starts_at: datetime
    ends_at: datetime
    dossier: Dossier | None
    room: Room | None
    gestore: Gestore | None
    people: list[Person]


def read_event(db, data: Mapping, current: Event | None = None) -> Draft:
    """Check the form of an appointment; raises ``InvalidData`` naming each wrong field."""
    errors: dict[str, str] = {}
    values = parse_fields(EVENT_FIELDS, {name: data.get(name) for name in EVENT_FIELDS}, errors)
    span = _span(values, errors)
    dossier = _dossier(db, values.get("dossier", ""), errors)
    room = _row(db, Room, values.get("room_id", ""), "room_id", EVENT_FIELDS["room_id"].label, errors)
    gestore = _row(db, Gestore, values.get("gestore_id", ""), "gestore_id", EVENT_FIELDS["gestore_id"].label, errors)
    unchanged = current if current is not None else Event()
    if room is not None and not room.active and room.id != unchanged.room_id:
        errors["room_id"] = f"Sala dell'OCC: la sala «{room.name}» non è in uso."
    if gestore is not None and gestore.status != "attivo" and gestore.id != unchanged.gestore_id:
        errors["gestore_id"] = f"Gestore: {gestore_name(gestore)} non è attivo nell'elenco."
    if room is not None and values.get("place"):
        errors["place"] = "Luogo esterno: indicare una sala dell'OCC oppure un luogo esterno, non entrambi."
    guests = _guests(values.get("guests", ""), errors)
    people = _people(db, data, dossier, gestore, guests, errors)
    if errors:
        raise InvalidData(errors)
    return Draft(values, *span, dossier, room, gestore, people)


# --- conflicts ----------------------------------------------------------------------------------------

def describe_when(event: Event) -> str:
    """``"dalle 10:30 alle 11:30 del 15/07/2025"``, or the days of an all-day appointment."""
    start, end = event.starts_at.astimezone(ROME), event.ends_at.astimezone(ROME)
    if event.all_day:
        last = (end - timedelta(days=1)).date()
        return (f"il {start:%d/%m/%Y}, tutto il giorno" if last == start.date()
                else f"dal {start:%d/%m/%Y} al {last:%d/%m/%Y}, tutto il giorno")
    if end.date() == start.date():
        return f"dalle {start:%H:%M} alle {end:%H:%M} del {start:%d/%m/%Y}"
    return f"dalle {start:%H:%M} del {start:%d/%m/%Y} alle {end:%H:%M} del {end:%d/%m/%Y}"


def _overlapping(db, event_id: int | None, starts_at: datetime, ends_at: datetime, condition) -> Event | None:
    query = (select(Event).where(condition, Event.cancelled_at.is_(None), Event.starts_at < ends_at,
                                 Event.ends_at > starts_at).order_by(Event.starts_at).limit(1))
    if event_id is not None:
        query = query.where(Event.id != event_id)
    return db.scalar(query)


def conflict_of(db, draft: Draft, event_id: int | None = None) -> str | None:
    """Why ``draft`` cannot be held (its room or gestore busy, the room closed or too small), or None.

    Touching intervals do not clash: a meeting may start when the previous one ends."""
    room, gestore = draft.room, draft.gestore
    if room is not None:
        # The row lock makes a second booking of the same room wait for this one and then see it.
        db.scalar(select(Room.id).where(Room.id == room.id).with_for_update())
        reason = closed_reason(room, draft.starts_at, draft.ends_at, draft.values.get("all_day", False))
        if reason:
            return reason
        if room.capacity and len(draft.people) > room.capacity:
            return (f"La sala «{room.name}» ha {room.capacity} posti: i partecipanti indicati sono "
                    f"{len(draft.people)}. Scelga una sala più grande o riduca i partecipanti.")
        busy = _overlapping(db, event_id, draft.starts_at, draft.ends_at, Event.room_id == room.id)
        if busy is not None:
            return f"La sala «{room.name}» è già occupata {describe_when(busy)} per «{busy.title}»."
    if gestore is not None:
        db.scalar(select(Gestore.id).where(Gestore.id == gestore.id).with_for_update())
        busy = _overlapping(db, event_id, draft.starts_at, draft.ends_at, Event.gestore_id == gestore.id)
        if busy is not None:
            return f"Il gestore {gestore_name(gestore)} ha già un impegno {describe_when(busy)}: «{busy.title}»."
    return None


# --- saving, moving, cancelling -----------------------------------------------------------------------

def _sync_participants(event: Event, people: list[Person]) -> None:
    """Keep the rows of the people who stay (their reminders already sent stay recorded)."""
    wanted = {person.key: person for person in people}
    for participant in list(event.participants):
        person = wanted.pop(participant_key(participant), None)
        if person is None:
            event.participants.remove(participant)
        else:
            participant.name, participant.email = person.name, person.email
    for person in wanted.values():
        event.participants.append(Participant(tenant_id=event.tenant_id, kind=person.kind, user_id=person.user_id,
                                              name=person.name, email=person.email))


def _audit(env, event: Event, action: str, **details) -> None:
    record(env.dbsession, action, tenant_id=event.tenant_id, user_id=actor_id(env), object_type="Event",
           object_id=event.id, ip=getattr(env, "client_addr", "") or "",
           details={"dossier_id": event.dossier_id, "kind": event.kind, "title": event.title,
                    "starts_at": event.starts_at.isoformat(), **details})


def _tell_dossiers(env, event: Event, previous_dossier: Dossier | None, previous_kind: str = "") -> None:
    """The deadlines engine counts terms from dossiers' acts: a hearing moved, or cancelled, moves them; one
    moved to another dossier, or that is no longer a hearing, is cancelled where it was."""
    if previous_dossier is not None and (previous_dossier.id != event.dossier_id or previous_kind != event.kind):
        env.hooks.occ_dossier_act(env=env, dossier=previous_dossier, kind="evento", name=previous_kind, on=None,
                                  ref=f"event:{event.id}")
    if event.dossier_id is not None:
        on = None if event.cancelled_at is not None else event.starts_at.astimezone(ROME).date()
        env.hooks.occ_dossier_act(env=env, dossier=env.dbsession.get(Dossier, event.dossier_id), kind="evento",
                                  name=event.kind, on=on, ref=f"event:{event.id}")


def _same_version(db, event: Event, seen: str) -> None:
    """The form was filled in on the version that is still stored: two people editing the same appointment do
    not overwrite each other unawares. The row is locked until commit, so a second save waits and sees the first."""
    current = db.scalar(select(Event.sequence).where(Event.id == event.id).with_for_update())
    if seen != str(current):
        raise UserError(f"Nel frattempo l'appuntamento è stato modificato da altri (ora è alla versione {current + 1}): "
                        "le sue modifiche non sono state salvate. Riapra l'appuntamento per vedere la versione "
                        "attuale e ripeta le modifiche.")


def save_event(env, data: Mapping, event: Event | None = None) -> Event:
    """Create (``event`` None) or change an appointment from its form's ``data`` (text values, plus the
    lists ``users`` and ``parties``); raises ``InvalidData`` or ``Conflict`` and then writes nothing."""
    db = env.dbsession
    if event is not None and event.cancelled_at is not None:
        raise UserError("L'appuntamento è annullato: non si può più modificare.")
    if event is not None and data.get("sequence"):
        _same_version(db, event, data["sequence"])
    draft = read_event(db, data, event)
    conflict = conflict_of(db, draft, event.id if event is not None else None)
    if conflict:
        raise Conflict(conflict)
    previous_dossier, previous_kind, created = None, "", event is None
    if created:
        event = Event(tenant_id=env.tenant.id, uid=f"{uuid.uuid4()}@occ", created_by_id=actor_id(env), sequence=0)
        db.add(event)
    else:
        previous_dossier = db.get(Dossier, event.dossier_id) if event.dossier_id else None
        previous_kind = event.kind
        event.sequence += 1
    values = draft.values
    event.kind, event.title, event.all_day = values["kind"], values["title"], values["all_day"]
    event.starts_at, event.ends_at = draft.starts_at, draft.ends_at
    event.dossier_id = draft.dossier.id if draft.dossier is not None else None
    event.room_id = draft.room.id if draft.room is not None else None
    event.gestore_id = draft.gestore.id if draft.gestore is not None else None
    event.place, event.online_url, event.description = values["place"], values["online_url"], values["description"]
    event.updated_at = utcnow()
    _sync_participants(event, draft.people)
    db.flush()
    _audit(env, event, "agenda.event.created" if created else "agenda.event.changed", sequence=event.sequence)
    _tell_dossiers(env, event, previous_dossier, previous_kind)
    return event


def cancel_event(env, event: Event, reason: str) -> Event:
    reason = (reason or "").strip()
    if event.cancelled_at is not None:
        raise UserError("L'appuntamento è già annullato.")
    if not reason:
        raise UserError("Motivo dell'annullamento: campo obbligatorio.", field="reason")
    if len(reason) > REASON_LIMIT:
        raise UserError(f"Motivo dell'annullamento: al massimo {REASON_LIMIT} caratteri.", field="reason")
    event.cancelled_at, event.cancelled_reason = utcnow(), reason
    event.sequence += 1
    event.updated_at = event.cancelled_at
    env.dbsession.flush()
    _audit(env, event, "agenda.event.cancelled", reason=reason, sequence=event.sequence)
    _tell_dossiers(env, event, None)
    return event


# --- what the forms show ------------------------------------------------------------------------------

def _clock_text(moment: datetime) -> str:
    return moment.astimezone(ROME).strftime("%H:%M")


def form_values(event: Event, dossier: Dossier | None) -> dict:
    """The form of a stored appointment."""
    start, end = event.starts_at.astimezone(ROME), event.ends_at.astimezone(ROME)
    last = (end - timedelta(days=1)).date() if event.all_day else end.date()
    parties = {person.key: value for value, person in dossier_parties(dossier).items()}
    return {
        "kind": event.kind, "title": event.title, "start_day": start.date().isoformat(),
        "end_day": last.isoformat() if last != start.date() else "",
        "start_time": "" if event.all_day else _clock_text(start), "end_time": "" if event.all_day else _clock_text(end),
        "all_day": "1" if event.all_day else "", "dossier": dossier.reference if dossier is not None else "",
        "room_id": str(event.room_id or ""), "place": event.place, "gestore_id": str(event.gestore_id or ""),
        "online_url": event.online_url, "description": event.description,
        "users": [str(p.user_id) for p in event.participants if p.kind == "utente"],
        "parties": [parties[participant_key(p)] for p in event.participants if participant_key(p) in parties],
        "guests": "\n".join(f"{p.name}, {p.email}" for p in event.participants if p.kind == "ospite"),
        "sequence": str(event.sequence),
    }


def new_form_values(db, on: date, dossier: Dossier | None) -> dict:
    """A new appointment on ``on``; from a dossier, a meeting with its debtors and its appointed gestore."""
    # No type chosen for the user: a meeting saved as "Altro" because nobody changed the list is worth less
    # than asking (from a dossier the meeting with the debtor is the likely one and is proposed).
    values = {"kind": "", "title": "", "start_day": on.isoformat(), "start_time": "10:00", "end_time": "11:00",
              "end_day": "", "all_day": "", "dossier": "", "room_id": "", "place": "", "gestore_id": "",
              "online_url": "", "description": "", "users": [], "parties": [], "guests": ""}
    if dossier is not None:
        appointed = gestori_in_force(dossier)
        values.update(kind="incontro_debitore", title=f"Incontro con il debitore - pratica {dossier.reference}",
                      dossier=dossier.reference, gestore_id=str(appointed[0].gestore_id) if appointed else "",
                      parties=[value for value in dossier_parties(dossier) if value.startswith("debitore:")])
    return values


def gestori_choices(db, current_id: int | None = None) -> list[tuple[int, str]]:
    """The Order's active gestori (and the appointment's own, whatever its status now)."""
    query = select(Gestore).where(or_(Gestore.status == "attivo", Gestore.id == (current_id or 0)))
    return sorted(((g.id, gestore_name(g)) for g in db.scalars(query)), key=lambda item: item[1])


def references(db, dossier_ids) -> dict[int, str]:
    """``{dossier id: "12/2025"}`` for the appointments' dossiers, in one query."""
    ids = sorted(dossier_id for dossier_id in dossier_ids if dossier_id is not None)
    if not ids:
        return {}
    rows = db.execute(select(Dossier.id, Dossier.number, Dossier.year).where(Dossier.id.in_(ids)))
    return {dossier_id: f"{number}/{year}" for dossier_id, number, year in rows}


def where(event: Event, room: Room | None) -> str:
    """The room with its address, or the outside place."""
    if room is not None:
        return f"{room.name}, {room.location}" if room.location else room.name
    return event.place
