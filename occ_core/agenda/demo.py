"""The demo Order's agenda: three meeting rooms and about sixty appointments over the past and next weeks, on
demo dossiers with their gestori, debtors and creditors, and a few internal meetings.

Slots are handed out from a table of free hours per room and per gestore, so that no two appointments clash
and each one falls inside its room's opening hours. The rows are written directly (the demo builds its
deadlines from the dossiers' states on its own)."""
from __future__ import annotations

import random
import uuid
from datetime import date, time, timedelta

from sqlalchemy import select

from occ_core.accounts.models import Membership, Role, User
from occ_core.agenda.models import Event, Participant, Room
from occ_core.agenda.services import rome_moment
from occ_core.clock import today as rome_today
from occ_core.dossiers.models import Dossier
from occ_core.gestori.models import Appointment, Gestore
from occ_core.gestori.screening import gestore_name

WEEKDAYS = ("1", "2", "3", "4", "5")
ROOMS = (
    ("Sala del Consiglio", "Via Freguglia 1, Milano, primo piano", 14, {d: [["09:00", "13:00"], ["14:00", "18:00"]]
                                                                       for d in WEEKDAYS}),
    ("Sala riunioni", "Via Freguglia 1, Milano, secondo piano", 6, {d: [["09:00", "13:00"], ["14:00", "17:30"]]
                                                                   for d in WEEKDAYS}),
    ("Saletta colloqui", "Via Freguglia 1, Milano, piano terra", 3,
     {**{d: [["09:30", "12:30"], ["14:30", "17:00"]] for d in WEEKDAYS[:4]}, "5": [["09:30", "12:30"]]}),
)
SLOTS = (time(10), time(11), time(15), time(16))
SPAN_DAYS = 45
EVENTS = 60
TITLES = {"incontro_debitore": "Incontro con il debitore", "incontro_creditori": "Riunione con i creditori",
          "udienza": "Udienza", "attivita_interna": "Riunione della segreteria"}


def _is_open(room: Room, day: date, slot: time) -> bool:
    start, end = slot.strftime("%H:%M"), slot.replace(hour=slot.hour + 1).strftime("%H:%M")
    return any(open_ <= start and end <= close for open_, close in room.opening_hours.get(str(day.isoweekday()), []))


def _places(rng: random.Random, today: date, rooms: list[Room]) -> list[tuple]:
    """Every (day, hour, room or None for the court) on working days around today, in random order; two of
    today's first, so that the alerts page has something to show. Each place is taken once."""
    days = [today + timedelta(days=n) for n in range(-SPAN_DAYS, SPAN_DAYS + 1)]
    places = [(day, slot, room) for day in days if day.isoweekday() <= 5 for slot in SLOTS
              for room in (*rooms, None) if room is None or _is_open(room, day, slot)]
    rng.shuffle(places)
    first = [place for place in places if place[0] == today and place[2] is not None][:2]
    return first + [place for place in places if place not in first]


def load_demo_agenda(db, tenant) -> None:
    """Nothing is added when the Order already has rooms (the demo can be loaded again)."""
    if db.scalar(select(Room.id).limit(1)) is not None:
        return
    rng, today = random.Random(404), rome_today()
    rooms = [Room(tenant_id=tenant.id, name=name, location=location, capacity=capacity, opening_hours=hours,
                  active=True, notes="") for name, location, capacity, hours in ROOMS]
    db.add_all(rooms)
    db.flush()
    staff = list(db.execute(select(User.id, User.full_name, User.email).join(Membership, Membership.user_id == User.id)
                            .join(Role, Role.id == Membership.role_id)
                            .where(Membership.tenant_id == tenant.id, Role.portal.is_(False))
                            .order_by(User.id)))
    dossiers = list(db.execute(
        select(Dossier, Gestore).join(Appointment, Appointment.dossier_id == Dossier.id)
        .join(Gestore, Gestore.id == Appointment.gestore_id)
        .where(Dossier.closed.is_(False), Appointment.ended_at.is_(None), Appointment.declined_at.is_(None))
        .order_by(Dossier.id).limit(EVENTS)))
    places, gestori_busy = _places(rng, today, rooms), set()
    for index in range(EVENTS):
        dossier, gestore = dossiers[index % len(dossiers)] if dossiers else (None, None)
        kind = "attivita_interna" if dossier is None or index % 10 == 9 else rng.choice(
            ("incontro_debitore", "incontro_debitore", "incontro_creditori", "udienza"))
        if kind == "attivita_interna":
            dossier = gestore = None
        place = next((p for p in places if (p[2] is None) == (kind == "udienza")
                      and (kind != "incontro_creditori" or p[2] is rooms[0])
                      and (gestore is None or (gestore.id, p[0], p[1]) not in gestori_busy)), None)
        if place is None:
            continue
        places.remove(place)
        day, slot, room = place
        if gestore is not None:
            gestori_busy.add((gestore.id, day, slot))
        starts_at = rome_moment(day, slot)
        event = Event(
            tenant_id=tenant.id, kind=kind, uid=f"{uuid.uuid4()}@occ",
            title=f"{TITLES[kind]} - pratica {dossier.reference}" if dossier is not None else TITLES[kind],
            starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), all_day=False,
            dossier_id=dossier.id if dossier is not None else None, room_id=room.id if room is not None else None,
            gestore_id=gestore.id if gestore is not None else None,
            place=f"{dossier.court or 'Tribunale di Milano'}, aula 3" if kind == "udienza" else "",
            online_url=f"https://meet.example.it/occ-{rng.randrange(10_000, 99_999)}" if rng.random() < 0.2 else "",
            description="", sequence=0, cancelled_reason="")
        _invite(event, rng, staff, dossier, gestore)
        if day < today and index % 12 == 7:
            event.cancelled_at, event.cancelled_reason, event.sequence = (
                starts_at - timedelta(days=2), "Rinviato su richiesta del debitore", 1)
        db.add(event)
    db.flush()


def _invite(event: Event, rng, staff, dossier, gestore) -> None:
    people = []
    if staff:
        user_id, name, email = staff[1 % len(staff)] if event.kind != "attivita_interna" else rng.choice(staff)
        people.append(Participant(tenant_id=event.tenant_id, kind="utente", user_id=user_id, name=name or email,
                                  email=email))
    if gestore is not None:
        registrant = gestore.registrant
        people.append(Participant(tenant_id=event.tenant_id, kind="gestore", name=gestore_name(gestore),
                                  email=(registrant.email if registrant is not None else "")))
    if dossier is not None and event.kind == "incontro_debitore":
        for debtor in dossier.debtors[:1]:
            handle = debtor.display_name.lower().replace(" ", ".").replace("'", "")
            people.append(Participant(tenant_id=event.tenant_id, kind="debitore", name=debtor.display_name,
                                      email=debtor.email or f"{handle}@example.it"))
    if dossier is not None and event.kind == "incontro_creditori":
        for creditor in [c for c in dossier.creditors if c.pec][:6]:
            people.append(Participant(tenant_id=event.tenant_id, kind="creditore", name=creditor.name,
                                      email=creditor.pec))
    event.participants.extend(people)
