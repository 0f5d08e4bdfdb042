"""What the calendars show: the period of a month, week, day or list view, the appointments and the open
deadlines in it, day by day, with the filters of the page."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from occ_core.agenda.feeds import linked_gestori, mine
from occ_core.agenda.models import Event
from occ_core.agenda.services import KINDS, as_id, rome_moment
from occ_core.clock import ROME
from occ_core.deadlines.queries import open_deadlines
from occ_core.web.forms import MAX_YEAR, MIN_YEAR

VIEWS = {"mese": "Mese", "settimana": "Settimana", "giorno": "Giorno", "elenco": "Elenco"}
MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")
DAY_NAMES = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")


def month_name(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def long_day(day: date) -> str:
    """``"martedì 15 luglio 2025"``."""
    return f"{DAY_NAMES[day.weekday()]} {short_day(day)}"


def short_day(day: date) -> str:
    """``"15 luglio 2025"``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """The days a view shows (``end`` excluded) and where its «previous» and «next» buttons lead."""

    view: str
    anchor: date
    start: date
    end: date
    previous: date
    following: date
    title: str

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    @property
    def weeks(self) -> list[list[date]]:
        days = self.days
        return [days[n:n + 7] for n in range(0, len(days), 7)]


def period(view: str, anchor: date) -> Period:
    if view == "giorno":
        return Period(view, anchor, anchor, anchor + timedelta(days=1), anchor - timedelta(days=1),
                      anchor + timedelta(days=1), long_day(anchor))
    if view == "settimana":
        monday = anchor - timedelta(days=anchor.weekday())
        sunday = monday + timedelta(days=6)
        return Period(view, anchor, monday, sunday + timedelta(days=1), monday - timedelta(days=7),
                      monday + timedelta(days=7), f"Settimana dal {short_day(monday)} al {short_day(sunday)}")
    first = anchor.replace(day=1)
    after = _add_months(first, 1)
    if view == "elenco":
        return Period(view, anchor, first, after, _add_months(first, -1), after, month_name(first).capitalize())
    # The month grid starts on the Monday of the first week and ends on the Sunday of the last one.
    start = first - timedelta(days=first.weekday())
    end = after + timedelta(days=(7 - after.weekday()) % 7)
    return Period("mese", anchor, start, end, _add_months(first, -1), after, month_name(first).capitalize())


@dataclass(frozen=True)
class Filters:
    """The filters of the calendar page; values that name nothing are ignored, as a stale link may."""

    room: int | None = None
    gestore: int | None = None
    kind: str = ""
    mine: bool = False
    # One dossier's calendar: its appointments and deadlines.
    dossier: int | None = None

    @classmethod
    def from_params(cls, params) -> "Filters":
        kind = params.get("kind", "")
        return cls(as_id(params.get("room", "")), as_id(params.get("gestore", "")),
                   kind if kind in KINDS else "", params.get("mine", "") == "1", as_id(params.get("dossier", "")))

    @property
    def shows_deadlines(self) -> bool:
        """Deadlines have no room, gestore or participants: only the unfiltered view, or «Scadenza», has them."""
        return self.room is None and self.gestore is None and not self.mine and self.kind in ("", "scadenza")

    def query(self) -> list[tuple[str, str]]:
        return [(name, str(value)) for name, value in (("room", self.room), ("gestore", self.gestore),
                                                       ("kind", self.kind), ("mine", "1" if self.mine else ""),
                                                       ("dossier", self.dossier))
                if value]


def events_between(db, start: date, end: date, filters: Filters = Filters(), user=None) -> list[Event]:
    """The appointments touching the Italian days from ``start`` to ``end`` (excluded)."""
    query = (select(Event).where(Event.starts_at < rome_moment(end, time(0)), Event.ends_at > rome_moment(start, time(0)))
             .order_by(Event.starts_at, Event.id))
    if filters.room is not None:
        query = query.where(Event.room_id == filters.room)
    if filters.gestore is not None:
        query = query.where(Event.gestore_id == filters.gestore)
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.dossier is not None:
        query = query.where(Event.dossier_id == filters.dossier)
    if filters.mine and user is not None:
        query = query.where(mine(user.id, linked_gestori(db, user.email)))
    return list(db.scalars(query))


def days_of(event: Event) -> list[date]:
    """The Italian days an appointment touches (an appointment ending at midnight is not on the next day)."""
    start, end = event.starts_at.astimezone(ROME), event.ends_at.astimezone(ROME)
    last = (end - timedelta(microseconds=1)).date()
    return [start.date() + timedelta(days=n) for n in range((last - start.date()).days + 1)]


@dataclass
class Day:
    day: date
    events: list = field(default_factory=list)
    deadlines: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.events and not self.deadlines


def calendar_days(db, view_period: Period, filters: Filters, user, with_deadlines: bool) -> dict[date, Day]:
    """Every day of the period with its appointments and, when asked and the filters allow, its open
    deadlines."""
    days = {day: Day(day) for day in view_period.days}
    for event in events_between(db, view_period.start, view_period.end, filters, user):
        for day in days_of(event):
            if day in days:
                days[day].events.append(event)
    if with_deadlines and filters.shows_deadlines:
        for deadline in open_deadlines(db, view_period.start, view_period.end - timedelta(days=1)):
            if filters.dossier in (None, deadline.dossier_id):
                days[deadline.due_on].deadlines.append(deadline)
    return days


def parse_anchor(text: str, today: date) -> date:
    """The day a calendar link names (``2025-07-15``); anything else is today."""
    try:
        parsed = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return today
    return parsed if MIN_YEAR <= parsed.year <= MAX_YEAR else today
