"""Protocol numbers (DPR 445/2000 art. 57): at least seven digits, per register, restarting every solar year.

The number is taken inside the transaction that registers the correspondence, under the lock of the
register's counter row for the year (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite lets one writer at a
time anyway). The moment of registration is read only once the lock is held, so that a higher number never
carries an earlier time; if the year changed while the transaction waited, the new year's counter is used
(the old one was only locked, never incremented). A registration that is rolled back gives its number back:
no gaps, no duplicates."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from occ_core.clock import ROME
from occ_core.db import utcnow
from occ_core.protocol.models import ProtocolCounter, ProtocolRegister, Registration

INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
DIGITS = 7
DEFAULT_CODE = "PROT"
DEFAULT_NAME = "Protocollo generale"


@dataclass(frozen=True)
class Allocation:
    year: int
    number: int
    registered_at: datetime


def register_year(moment: datetime) -> int:
    """The solar year in Italy: at 00:30 on 1 January in Rome it is still the old year in UTC."""
    return moment.astimezone(ROME).year


def format_number(number: int) -> str:
    """``42`` -> ``"0000042"``: the seven digits (or more) of the law and of the segnatura."""
    return f"{number:0{DIGITS}d}"


def reference(year: int, number: int, code: str = "") -> str:
    """``"2026-0000042"``, or ``"PROT 2026-0000042"`` with the register's code."""
    text = f"{year}-{format_number(number)}"
    return f"{code} {text}" if code else text


def _insert(db: Session):
    return INSERTS[db.get_bind().dialect.name]


def ensure_default_register(db: Session, tenant_id: int) -> ProtocolRegister:
    """The Order's general register, created on first use (a concurrent first use creates it once)."""
    query = select(ProtocolRegister).where(ProtocolRegister.tenant_id == tenant_id, ProtocolRegister.is_default)
    found = db.scalar(query)
    if found is not None:
        return found
    db.execute(_insert(db)(ProtocolRegister).values(
        tenant_id=tenant_id, code=DEFAULT_CODE, name=DEFAULT_NAME, is_default=True, active=True,
        created_at=utcnow()).on_conflict_do_nothing(index_elements=["tenant_id", "code"]))
    return db.scalar(select(ProtocolRegister).where(ProtocolRegister.tenant_id == tenant_id,
                                                    ProtocolRegister.code == DEFAULT_CODE))


def allocate(db: Session, register: ProtocolRegister, clock: Callable[[], datetime] = utcnow) -> Allocation:
    """The next number of ``register`` and the moment of registration, read under the counter's lock."""
    year = register_year(clock())
    while True:
        db.execute(_insert(db)(ProtocolCounter).values(
            tenant_id=register.tenant_id, register_id=register.id, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["register_id", "year"]))
        counter_id, last = db.execute(
            select(ProtocolCounter.id, ProtocolCounter.last_number)
            .where(ProtocolCounter.register_id == register.id, ProtocolCounter.year == year)
            .with_for_update()).one()
        now = clock()
        if register_year(now) == year:
            db.execute(update(ProtocolCounter).where(ProtocolCounter.id == counter_id)
                       .values(last_number=last + 1).execution_options(synchronize_session=False))
            return Allocation(year, last + 1, now)
        year = register_year(now)


def verify_numbering(db: Session, tenant_id: int) -> list[str]:
    """What is wrong with the numbering of the Order's registers, in Italian (empty when all is well):
    every year of every register must hold the numbers 1..N once each, in the order of their moments of
    registration, each in the solar year of its moment, with the counter at N."""
    problems = []
    registers = db.scalars(select(ProtocolRegister).where(ProtocolRegister.tenant_id == tenant_id)
                           .order_by(ProtocolRegister.code)).all()
    for register in registers:
        counters = dict(db.execute(select(ProtocolCounter.year, ProtocolCounter.last_number)
                                   .where(ProtocolCounter.register_id == register.id)).all())
        rows = db.execute(select(Registration.year, Registration.number, Registration.registered_at)
                          .where(Registration.register_id == register.id)
                          .order_by(Registration.year, Registration.number, Registration.id)).all()
        by_year: dict[int, list] = {}
        for year, number, registered_at in rows:
            by_year.setdefault(year, []).append((number, registered_at))
        for year in sorted(set(by_year) | set(counters)):
            problems.extend(f"Registro {register.code}, anno {year}: {problem}"
                            for problem in year_problems(by_year.get(year, []), counters.get(year), year))
    return problems


def year_problems(entries: list, counter: int | None, year: int) -> list[str]:
    """The problems of one year of a register: ``entries`` are its (number, moment) in number order,
    ``counter`` the counter's last number (None if it has no counter)."""
    counts = Counter(number for number, _moment in entries)
    problems = []
    duplicated = sorted(n for n, times in counts.items() if times > 1)
    if duplicated:
        problems.append("numeri ripetuti: " + _some(duplicated))
    highest = max(counts, default=0)
    # The counter's numbers were given out too: one that is not there was lost.
    missing = sorted(set(range(1, max(highest, counter or 0) + 1)) - set(counts))
    if missing:
        problems.append(f"numeri mancanti ({len(missing)}): " + _some(missing))
    if counter is not None and counter != highest:
        problems.append(f"il contatore è a {format_number(counter)} ma l'ultimo numero registrato è "
                        f"{format_number(highest)}")
    wrong_year = [n for n, moment in entries if register_year(moment) != year]
    if wrong_year:
        problems.append("registrazioni con data di un altro anno: " + _some(wrong_year))
    out_of_order = [later for (earlier, at_earlier), (later, at_later) in zip(entries, entries[1:])
                    if at_later < at_earlier]
    if out_of_order:
        problems.append("numeri con data e ora precedenti a quelle del numero prima: " + _some(out_of_order))
    return problems


def _some(numbers: list[int], shown: int = 20) -> str:
    text = ", ".join(format_number(n) for n in numbers[:shown])
    return text + (f" e altri {len(numbers) - shown}" if len(numbers) > shown else "")

