"""The OCC's meeting rooms: checked input, weekly opening hours, and when a room is open."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Mapping

from sqlalchemy import exists, func, select

from occ_core.agenda.models import Event, Room
from occ_core.clock import ROME
from occ_core.dossiers.fields import Field, InvalidData, as_text, flag, parse_fields, text
from occ_core.errors import UserError

# ISO weekdays, as the opening hours store them.
WEEKDAYS = {"1": "lunedì", "2": "martedì", "3": "mercoledì", "4": "giovedì", "5": "venerdì", "6": "sabato",
            "7": "domenica"}

def on_weekday(weekday: str) -> str:
    """``"6"`` -> ``"il sabato"``."""
    return ("la " if weekday == "7" else "il ") + WEEKDAYS[weekday]


MAX_CAPACITY = 500
# "9-13", "09:00-13:00", "9.30 - 13" ...
INTERVAL = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*[-–]\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")


def capacity(value, label) -> int:
    result = as_text(value, label) if not isinstance(value, int) else str(value)
    if not (result.isdecimal() and result.isascii() and len(result) <= 4) or not 1 <= int(result) <= MAX_CAPACITY:
        raise UserError(f"{label}: indicare un numero di posti tra 1 e {MAX_CAPACITY}.")
    return int(result)


ROOM_FIELDS = {
    "name": Field("Nome della sala", text(120, required=True)),
    "location": Field("Indirizzo o collocazione", text(200)),
    "capacity": Field("Capienza (numero di posti)", capacity),
    "active": Field("Sala in uso (si può prenotare)", flag),
    "notes": Field("Note", text(2000)),
}


def _clock(hours: str, minutes: str | None, text_: str, label: str) -> str:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise UserError(f"{label}: «{text_[:40]}» non è un orario valido.")
    return f"{hour:02d}:{minute:02d}"


def parse_intervals(value: str, label: str) -> list[list[str]]:
    """``"9-13, 14:30-18"`` -> ``[["09:00", "13:00"], ["14:30", "18:00"]]``; empty means closed."""
    intervals = []
    for part in filter(None, (piece.strip() for piece in re.split(r"[,;]", value or ""))):
        match = INTERVAL.match(part)
        if match is None:
            raise UserError(f"{label}: «{part[:40]}» non è una fascia oraria (esempio: 9:00-13:00, 14:00-18:00).")
        start = _clock(match[1], match[2], part, label)
        end = _clock(match[3], match[4], part, label)
        if start >= end:
            raise UserError(f"{label}: nella fascia «{part[:40]}» l'apertura deve precedere la chiusura.")
        intervals.append([start, end])
    intervals.sort()
    for (_start, end), (next_start, _end) in zip(intervals, intervals[1:]):
        if next_start < end:
            raise UserError(f"{label}: le fasce orarie non devono sovrapporsi.")
    return intervals


def format_intervals(intervals) -> str:
    return ", ".join(f"{start}-{end}" for start, end in intervals or ())


def hours_field(weekday: str) -> str:
    return f"hours_{weekday}"


def _name_taken(db, name: str, room_id: int | None) -> bool:
    taken = select(Room.id).where(func.lower(Room.name) == name.lower())
    if room_id is not None:
        taken = taken.where(Room.id != room_id)
    return db.scalar(taken.limit(1)) is not None


def parse_room(db, data: Mapping, room_id: int | None = None) -> dict:
    """The clean values of a room's form (``hours_1`` .. ``hours_7`` carry the opening hours)."""
    errors: dict[str, str] = {}
    values = parse_fields(ROOM_FIELDS, {name: data.get(name) for name in ROOM_FIELDS}, errors)
    if values.get("name") and _name_taken(db, values["name"], room_id):
        errors["name"] = f"Nome della sala: esiste già una sala «{values['name']}»."
    hours = {}
    for weekday, name in WEEKDAYS.items():
        try:
            intervals = parse_intervals(as_text(data.get(hours_field(weekday)), name), name.capitalize())
        except UserError as error:
            errors[hours_field(weekday)] = error.message
            continue
        if intervals:
            hours[weekday] = intervals
    if not errors and not hours:
        errors[hours_field("1")] = "Orari di apertura: indicare almeno un giorno in cui la sala è aperta."
    if errors:
        raise InvalidData(errors)
    return {**values, "opening_hours": hours}


def form_values(room: Room | None) -> dict:
    """What the room's form shows for a stored room (or a new one)."""
    if room is None:
        return {"active": "1", "capacity": "", **{hours_field(day): "9:00-13:00, 14:00-18:00"
                                                  for day in ("1", "2", "3", "4", "5")}}
    return {"name": room.name, "location": room.location, "capacity": str(room.capacity),
            "active": "1" if room.active else "", "notes": room.notes,
            **{hours_field(day): format_intervals(room.opening_hours.get(day)) for day in WEEKDAYS}}


def save_room(db, tenant_id: int, room: Room | None, data: Mapping) -> Room:
    """Create (``room`` None) or change a room from its form's ``data``; nothing is written if refused."""
    values = parse_room(db, data, room.id if room is not None else None)
    if room is None:
        room = Room(tenant_id=tenant_id)
        db.add(room)
    for name, value in values.items():
        setattr(room, name, value)
    db.flush()
    return room


def delete_room(db, room: Room) -> None:
    """A room that appointments name is kept for their history: it can only be taken out of use."""
    if db.scalar(select(exists().where(Event.room_id == room.id))):
        raise UserError(f"La sala «{room.name}» è indicata in alcuni appuntamenti: non si può eliminare, "
                        "ma si può togliere dall'uso (campo «Sala in uso»).")
    db.delete(room)
    db.flush()


def rooms_of(db, active_only: bool = False) -> list[Room]:
    query = select(Room).order_by(Room.name)
    if active_only:
        query = query.where(Room.active.is_(True))
    return list(db.scalars(query))


def describe_hours(room: Room) -> list[tuple[str, str]]:
    """``[("lunedì", "09:00-13:00, 14:00-18:00"), ("sabato", "chiusa"), ...]``."""
    return [(name, format_intervals(room.opening_hours.get(day)) or "chiusa") for day, name in WEEKDAYS.items()]


def closed_reason(room: Room, starts_at: datetime, ends_at: datetime, all_day: bool) -> str | None:
    """Why ``room`` cannot host an event at that time (closed that day, or outside its hours), or None.

    Times are compared on the Italian clock, as the opening hours are written."""
    start, end = starts_at.astimezone(ROME), ends_at.astimezone(ROME)
    if all_day:
        day = start.date()
        while day < end.date():
            if not room.opening_hours.get(str(day.isoweekday())):
                return f"La sala «{room.name}» è chiusa {on_weekday(str(day.isoweekday()))}."
            day += timedelta(days=1)
        return None
    weekday = str(start.isoweekday())
    intervals = room.opening_hours.get(weekday) or []
    if not intervals:
        return f"La sala «{room.name}» è chiusa {on_weekday(weekday)}."
    last = "24:00" if end.time() == time(0) and end.date() > start.date() else end.strftime("%H:%M")
    same_day = end.date() == start.date() or last == "24:00"
    if not same_day or not any(open_ <= start.strftime("%H:%M") and last <= close for open_, close in intervals):
        return (f"La sala «{room.name}» {on_weekday(weekday)} è aperta {format_intervals(intervals)}: "
                f"l'appuntamento dalle {start:%H:%M} alle {end:%H:%M}"
                f"{'' if same_day else ' del giorno dopo'} è fuori dall'orario di apertura.")
    return None
