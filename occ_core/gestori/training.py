"""The biennial update of gestori (DM 202/2014 art. 4 co. 5 lett. d; occ-law.md D22).

Forty hours per biennium, the bienni running from each gestore's own enrolment date: enrolled on
15/03/2020, the bienni are 15/03/2020-14/03/2022, 15/03/2022-14/03/2024 and so on. Whether a gestore is
"in regola" is decided on the last completed biennium; the running one only shows progress, and a
gestore still in his first biennium is in regola."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

REQUIRED_HOURS = Decimal("40")
RULE_PREFERENCE = "gestori_training_rule"
# Two readings of the requirement. The strict one looks only at the last completed biennium. The other
# also accepts a gestore who made good a shortfall by reaching the forty hours in the running biennium:
# he then holds an update "of at least forty hours" again, which is what art. 4 co. 5 asks.
RULES = {
    "last_completed": "Ultimo biennio concluso: chi non ha raggiunto le 40 ore non è in regola fino alla "
                      "fine del biennio in corso",
    "last_completed_or_current": "Ultimo biennio concluso, oppure biennio in corso se vi ha già raggiunto "
                                 "le 40 ore (recupero)",
}
DEFAULT_RULE = "last_completed"


def add_years(day: date, years: int) -> date:
    """The anniversary ``years`` later. For 29 February in a common year it is 1 March: a term in years
    that would end on a missing day ends on the last day of that month (c.c. art. 2963 co. 4), 28
    February, and the next period starts the day after."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Biennium:
    start: date
    end: date  # inclusive
    hours: Decimal

    @property
    def missing(self) -> Decimal:
        return max(REQUIRED_HOURS - self.hours, Decimal("0"))

    @property
    def fulfilled(self) -> bool:
        return self.hours >= REQUIRED_HOURS


def biennium_start(enrolled_on: date, index: int) -> date:
    return add_years(enrolled_on, 2 * index)


def biennium_index(enrolled_on: date, day: date) -> int:
    """Which biennium ``day`` falls in (0 = the first); negative before the enrolment."""
    index = (day.year - enrolled_on.year) // 2
    while biennium_start(enrolled_on, index + 1) <= day:
        index += 1
    while biennium_start(enrolled_on, index) > day:
        index -= 1
    return index


def bienni(enrolled_on: date, trainings, today: date) -> list[Biennium]:
    """Every biennium from the enrolment to the running one, with the hours done in each.

    ``trainings``: (date, hours) pairs."""
    if today < enrolled_on:
        return []
    result = []
    for index in range(biennium_index(enrolled_on, today) + 1):
        start = biennium_start(enrolled_on, index)
        end = biennium_start(enrolled_on, index + 1) - timedelta(days=1)
        hours = sum((h for on, h in trainings if start <= on <= end), Decimal("0"))
        result.append(Biennium(start, end, hours))
    return result


def fmt_hours(value: Decimal) -> str:
    """``Decimal("22.0")`` -> "22", ``Decimal("22.5")`` -> "22,5"."""
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text.replace(".", ",")


@dataclass(frozen=True)
class TrainingStatus:
    in_regola: bool
    current: Biennium | None
    last_completed: Biennium | None
    rule: str

    @property
    def first_biennium(self) -> bool:
        return self.last_completed is None

    @property
    def progress(self) -> str:
        """The running biennium, e.g. "22 di 40 ore, mancano 18 entro il 14/03/2026"."""
        if self.current is None:
            return "Iscrizione non ancora decorrente"
        done = f"{fmt_hours(self.current.hours)} di {fmt_hours(REQUIRED_HOURS)} ore"
        if self.current.fulfilled:
            return f"{done}: obbligo del biennio in corso assolto"
        return f"{done}, mancano {fmt_hours(self.current.missing)} entro il {self.current.end:%d/%m/%Y}"

    @property
    def reason(self) -> str:
        """Why the gestore is (or is not) in regola."""
        if self.first_biennium:
            return "primo biennio dall'iscrizione in corso"
        last = self.last_completed
        period = f"biennio {last.start:%d/%m/%Y}–{last.end:%d/%m/%Y}"
        if last.fulfilled:
            return f"{fmt_hours(last.hours)} ore nel {period}"
        if self.in_regola:
            return (f"{fmt_hours(last.hours)} ore nel {period}, recuperate con "
                    f"{fmt_hours(self.current.hours)} ore nel biennio in corso")
        return (f"{fmt_hours(last.hours)} ore di {fmt_hours(REQUIRED_HOURS)} nel {period} "
                f"(mancano {fmt_hours(last.missing)})")

    @property
    def verdict(self) -> str:
        return f"{'In regola' if self.in_regola else 'Non in regola'}: {self.reason}"


def training_status(enrolled_on: date, trainings, today: date, rule: str = DEFAULT_RULE) -> TrainingStatus:
    periods = bienni(enrolled_on, trainings, today)
    current = periods[-1] if periods else None
    last = periods[-2] if len(periods) > 1 else None
    in_regola = last is None or last.fulfilled or (
        rule == "last_completed_or_current" and current is not None and current.fulfilled)
    return TrainingStatus(in_regola, current, last, rule)


def rule_of(tenant) -> str:
    rule = (tenant.preferences or {}).get(RULE_PREFERENCE)
    return rule if rule in RULES else DEFAULT_RULE


def status_of(gestore, today: date, rule: str) -> TrainingStatus:
    return training_status(gestore.enrolled_on, [(t.on, t.hours) for t in gestore.trainings], today, rule)
