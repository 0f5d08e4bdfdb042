"""The Italian working-day calendar and the computation of legal terms (art. 155 c.p.c., L. 742/1969).

Rules applied (standards.md section 5):
- the first day is not counted (dies a quo non computatur); days inside the term count whatever they are;
- months and years follow the common calendar: the term ends on the same-numbered day of the target month;
  a day the target month lacks (31 January + 1 month) is clamped to that month's last day (28/29 February),
  the reading that never gives more time than the law does;
- a term ending on a Sunday or a public holiday moves to the next working day, and one ending on a Saturday too
  when the act is to be done outside a hearing (art. 155 co. 5);
- a term counted backwards (N days before a hearing) is never moved later, which would shorten the interval the
  law guarantees: the Order chooses between leaving it where it falls ("fermo", the reading of occ-law.md T6)
  and bringing it to the previous working day ("anticipato", the prudent one);
- a "dal" term (the earliest date of an act, e.g. esdebitazione after three years) is not moved: art. 155 extends
  the expiry of a time to act, not the maturing of a right;
- the summer suspension (1-31 August from 2015, 1 August-15 September before) only where the caller says it
  applies: see ``august_suspension``.

Holidays are the national ones of the ``holidays`` library (Italy, 4 October from 2026 included) plus the
Order's patron saint: either the day the Order entered or, by default, the patron of its province's capital
as the library's subdivision gives it (Bolzano: Pentecost Monday). Whether a local patron day extends a term
is debated: the Order can switch it off."""
from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

from occ_core.clock import today
from occ_core.dossiers.procedures import PROCEDURES

WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
SATURDAY, SUNDAY = 5, 6
UNITS = {"giorni": ("giorno", "giorni"), "mesi": ("mese", "mesi"), "anni": ("anno", "anni")}
# L. 3/2012 dossiers pending on this day keep the August suspension (Cass. 7 dicembre 2022 n. 35976).
L3_PENDING_ON = date(2022, 7, 15)
# The suspension runs 1-31 August since 2015 (D.L. 132/2014 conv. L. 162/2014), 1 August-15 September before.
SHORT_SUSPENSION_FROM = 2015


def fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def long_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {fmt(day)}"


@lru_cache(maxsize=256)
def national_holidays(year: int) -> dict[date, str]:
    return dict(holidays.Italy(years=year, language="it_IT"))


@lru_cache(maxsize=4096)
def province_holidays(year: int, province: str) -> dict[date, str]:
    """The days the library adds for ``province`` (its capital's patron saint) in ``year``."""
    if province not in holidays.Italy.subdivisions:
        return {}
    national = national_holidays(year)
    return {day: name for day, name in holidays.Italy(years=year, subdiv=province, language="it_IT").items()
            if day not in national}


def province_patron(province: str) -> str:
    """The patron day(s) of ``province`` as people read them ("29/06 Santi Pietro e Paolo"), or ""."""
    year = today().year
    found = sorted(province_holidays(year, province).items())
    return "; ".join(f"{day.strftime('%d/%m')} {name}" for day, name in found)


@dataclass(frozen=True)
class Patron:
    """The Order's own patron saint: a day of the year and a name."""

    day: int
    month: int
    name: str

    def on(self, year: int) -> date | None:
        # 29 February exists in leap years only.
        return date(year, self.month, self.day) if self.day <= gregorian.monthrange(year, self.month)[1] else None


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days for an Order: ``province`` gives the default patron day(s); ``patron``
    replaces them with the Order's own; ``local=False`` counts the national holidays only."""

    province: str = ""
    patron: Patron | None = None
    local: bool = True

    def holiday(self, day: date) -> str | None:
        """The name of the holiday falling on ``day``, or None."""
        name = national_holidays(day.year).get(day)
        if name or not self.local:
            return name
        if self.patron is not None:
            return f"{self.patron.name} (santo patrono)" if self.patron.on(day.year) == day else None
        local = province_holidays(day.year, self.province).get(day)
        return f"{local} (santo patrono)" if local else None

    def closed_because(self, day: date, outside_hearing: bool) -> str | None:
        """Why a term may not end on ``day`` ("domenica", a holiday's name, "sabato"), or None."""
        name = self.holiday(day)
        if name:
            return name
        if day.weekday() == SUNDAY:
            return "domenica"
        if day.weekday() == SATURDAY and outside_hearing:
            return "sabato"
        return None


@dataclass(frozen=True)
class Suspension:
    """Whether the August suspension applies to a term, and the reason shown in the steps."""

    applies: bool
    reason: str


def august_suspension(procedure: str, filed_on: date | None, kind: str) -> Suspension:
    """The suspension applies to the procedural terms of L. 3/2012 dossiers pending on 15 July 2022 only
    (Cass. 35976/2022), never to the procedures of the Codice della crisi (art. 9 CCII).

    "entro" terms of a dossier are the procedural ones (acts to do in or towards the procedure); "dal" terms
    measure durations of substantive effects (the four years of a liquidation, esdebitazione), never suspended."""
    spec = PROCEDURES.get(procedure)
    if spec is None or spec.regime != "l3":
        return Suspension(False, "sospensione feriale non applicata: il Codice della crisi la esclude "
                                 "(art. 9 D.Lgs. 14/2019)")
    if filed_on is None or filed_on > L3_PENDING_ON:
        return Suspension(False, "sospensione feriale non applicata: la pratica L. 3/2012 non era pendente "
                                 f"al {fmt(L3_PENDING_ON)}")
    if kind != "entro":
        return Suspension(False, "sospensione feriale non applicata: termine sostanziale, non processuale")
    return Suspension(True, f"procedura L. 3/2012 pendente al {fmt(L3_PENDING_ON)}: si applica la sospensione "
                            "feriale (L. 742/1969; Cass. 35976/2022)")


@dataclass(frozen=True)
class Term:
    """A legal term: ``amount`` ``unit`` forwards ("avanti") or backwards ("ritroso") from a date."""

    amount: int
    unit: str = "giorni"
    direction: str = "avanti"
    kind: str = "entro"
    outside_hearing: bool = True

    @property
    def backward(self) -> bool:
        return self.direction == "ritroso"

    def describe(self) -> str:
        one, many = UNITS.get(self.unit, (self.unit, self.unit))
        return f"{self.amount} {one if self.amount == 1 else many}"


@dataclass
class Computation:
    """The date a term gives and, in Italian, every step that led to it."""

    due_on: date
    steps: list[str] = field(default_factory=list)


BACKWARD_READINGS = {
    "fermo": "Non spostato: la data resta quella del computo anche se festiva",
    "anticipato": "Anticipato al giorno lavorativo precedente",
}


def add_months(start: date, months: int) -> tuple[date, bool]:
    """``start`` moved by ``months`` on the common calendar, clamped to the month's end; True if clamped."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last)), start.day > last


def suspension_period(year: int) -> tuple[date, date]:
    """First and last day of the summer suspension of ``year``."""
    return date(year, 8, 1), date(year, 8, 31) if year >= SHORT_SUSPENSION_FROM else date(year, 9, 15)


def _suspended_days(low: date, high: date) -> dict[int, int]:
    """Days of the suspension in the span from ``low`` excluded to ``high`` included, by year."""
    found = {}
    for year in range(low.year, high.year + 1):
        start, end = suspension_period(year)
        first, last = max(start, low + timedelta(days=1)), min(end, high)
        if first <= last:
            found[year] = (last - first).days + 1
    return found


def _suspend(start: date, base: date, sign: int) -> tuple[date, dict[int, int]]:
    """Extend ``base`` by the suspended days between ``start`` and it, until no new one falls inside;
    gives the date and the days skipped, by year."""
    end, extra = base, {}
    while True:
        low, high = (start, end) if sign > 0 else (end - timedelta(days=1), start - timedelta(days=1))
        found = _suspended_days(low, high)
        if found == extra:
            return end, extra
        extra = found
        end = base + timedelta(days=sign * sum(found.values()))


def _raw_end(start: date, term: Term, steps: list[str]) -> date:
    sign = -1 if term.backward else 1
    if term.unit == "giorni":
        return start + timedelta(days=sign * term.amount)
    months = term.amount * (12 if term.unit == "anni" else 1)
    end, clamped = add_months(start, sign * months)
    if clamped:
        steps.append(f"il {fmt(start)} non ha un giorno corrispondente nel mese di arrivo: si considera l'ultimo "
                     f"giorno del mese, {fmt(end)}")
    return end


def _closed_reason(reason: str, day: date) -> str:
    return f"{fmt(day)} è domenica" if reason == "domenica" else f"{fmt(day)} {reason}"


def compute(cal: WorkingCalendar, term: Term, start: date, *, suspension: Suspension | None = None,
            backward_reading: str = "fermo", intro: str | None = None) -> Computation:
    """The date of ``term`` counted from ``start``, with the steps in Italian. ``intro`` replaces the first
    step (e.g. for a recurring term)."""
    steps: list[str] = []
    if intro:
        steps.append(intro)
    elif term.backward:
        steps.append(f"Termine di {term.describe()} prima del {fmt(start)} (a ritroso): il giorno di riferimento "
                     "non è computato")
    elif term.unit == "giorni":
        steps.append(f"Termine di {term.describe()} dal {fmt(start)}: primo giorno non computato")
    else:
        steps.append(f"Termine di {term.describe()} dal {fmt(start)}: calendario comune, scade il giorno "
                     "corrispondente")
    origin = start
    period = suspension_period(start.year)
    shifted = (suspension is not None and suspension.applies and not term.backward
               and period[0] <= start <= period[1])
    if shifted:
        origin = period[1]
    base = _raw_end(origin, term, steps)
    end, skipped = base, {}
    if suspension is not None and suspension.applies:
        end, skipped = _suspend(origin, base, -1 if term.backward else 1)
    if shifted or skipped or (suspension is not None and _suspended_days(*sorted((origin, base)))):
        steps.append(suspension.reason)
    if shifted:
        steps.append(f"il {fmt(start)} cade nel periodo di sospensione feriale: il termine decorre dal "
                     f"{fmt(origin + timedelta(days=1))}")
    for year, days in sorted(skipped.items()):
        first, last = suspension_period(year)
        steps.append(f"sospensione feriale dal {fmt(first)} al {fmt(last)}: {'-' if term.backward else '+'}"
                     f"{days} giorni")
    steps.append(f"Il computo termina {long_date(end)}")
    due = _adjust(cal, term, end, backward_reading, steps)
    steps.append(f"{'Data dalla quale' if term.kind == 'dal' else 'Scadenza'}: {long_date(due)}")
    return Computation(due, steps)


def _adjust(cal: WorkingCalendar, term: Term, end: date, backward_reading: str, steps: list[str]) -> date:
    """Art. 155 co. 4-5 on the day the count ended at."""
    reason = cal.closed_because(end, term.outside_hearing)
    if reason is None:
        if end.weekday() == SATURDAY and term.kind == "entro":
            steps.append(f"scade sabato {fmt(end)}: atto da compiere in udienza, il sabato non proroga il termine")
        return end
    if term.kind == "dal":
        steps.append(f"{_closed_reason(reason, end)}: termine «dal», la data non si sposta")
        return end
    if term.backward:
        if backward_reading != "anticipato":
            steps.append(f"{_closed_reason(reason, end)}: termine a ritroso, non spostato (una proroga in avanti "
                         "accorcerebbe l'intervallo minimo)")
            return end
        day = end
        while (reason := cal.closed_because(day, term.outside_hearing)) is not None:
            day -= timedelta(days=1)
            steps.append(f"{_closed_reason(reason, day + timedelta(days=1))}: termine a ritroso, anticipato al "
                         f"{fmt(day)}")
        return day
    day = end
    while (reason := cal.closed_because(day, term.outside_hearing)) is not None:
        if reason == "sabato":
            steps.append(f"scade sabato {fmt(day)}: atto fuori udienza, prorogato al primo giorno non festivo")
        else:
            steps.append(f"{_closed_reason(reason, day)}: prorogato al {fmt(day + timedelta(days=1))}")
        day += timedelta(days=1)
    return day
