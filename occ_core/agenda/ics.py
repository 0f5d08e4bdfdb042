"""iCalendar (RFC 5545) for the agenda: one appointment as a .ics file, and a person's feed.

Timed appointments are written in UTC, which every client reads without a VTIMEZONE; all-day ones and the
deadlines as dates (VALUE=DATE, the end excluded). DTSTAMP is the last change of the row, so that the same
appointment gives the same file until it changes; a cancelled appointment stays in the feed with
STATUS:CANCELLED, which makes the subscribed calendars drop it."""
from __future__ import annotations

from datetime import timedelta, timezone

from icalendar import Calendar, Event as VEvent, vCalAddress

from occ_core.agenda.models import Event
from occ_core.agenda.rooms import rooms_of
from occ_core.agenda.services import KINDS, references, where
from occ_core.clock import ROME

PRODID = "-//OCC//Agenda dell'OCC//IT"
CONTENT_TYPE = "text/calendar"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _utc(moment):
    return moment.astimezone(timezone.utc)


def event_component(event: Event, location: str, dossier_reference: str, kind_label: str) -> VEvent:
    component = VEvent()
    component.add("uid", event.uid)
    component.add("dtstamp", _utc(event.updated_at))
    component.add("created", _utc(event.created_at))
    component.add("last-modified", _utc(event.updated_at))
    component.add("sequence", event.sequence)
    if event.all_day:
        component.add("dtstart", event.starts_at.astimezone(ROME).date())
        component.add("dtend", event.ends_at.astimezone(ROME).date())
    else:
        component.add("dtstart", _utc(event.starts_at))
        component.add("dtend", _utc(event.ends_at))
    component.add("summary", event.title)
    lines = [f"Tipo: {kind_label}"]
    if dossier_reference:
        lines.append(f"Pratica n. {dossier_reference}")
    if event.online_url:
        lines.append(f"Riunione online: {event.online_url}")
        component.add("url", event.online_url)
    if event.description:
        lines.append(event.description)
    if event.cancelled_at is not None:
        lines.insert(0, f"ANNULLATO: {event.cancelled_reason}")
    component.add("description", "\n".join(lines))
    if location:
        component.add("location", location)
    component.add("categories", [kind_label])
    component.add("status", "CANCELLED" if event.cancelled_at is not None else "CONFIRMED")
    for participant in event.participants:
        if participant.email:
            attendee = vCalAddress(f"mailto:{participant.email}")
            attendee.params["cn"] = participant.name
            attendee.params["role"] = "REQ-PARTICIPANT"
            component.add("attendee", attendee, encode=0)
    return component


def components_of(db, events) -> list[VEvent]:
    """The appointments (participants loaded) with their rooms and dossiers, read in two queries."""
    rooms = {room.id: room for room in rooms_of(db)}
    numbers = references(db, {event.dossier_id for event in events})
    return [event_component(event, where(event, rooms.get(event.room_id)), numbers.get(event.dossier_id, ""),
                            KINDS.get(event.kind, event.kind)) for event in events]


def deadline_component(deadline, uid_domain: str) -> VEvent:
    """An open deadline of a dossier (loaded with it) as an all-day, free (TRANSP) entry."""
    component = VEvent()
    component.add("uid", f"scadenza-{deadline.id}@{uid_domain}")
    component.add("dtstamp", _utc(deadline.created_at))
    component.add("dtstart", deadline.due_on)
    component.add("dtend", deadline.due_on + timedelta(days=1))
    component.add("summary", f"Scadenza: {deadline.label} (pratica {deadline.dossier.reference})")
    component.add("description", "\n".join(deadline.computation or []))
    component.add("categories", ["Scadenza"])
    component.add("transp", "TRANSPARENT")
    return component


def to_bytes(name: str, components) -> bytes:
    calendar = _calendar(name)
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()
