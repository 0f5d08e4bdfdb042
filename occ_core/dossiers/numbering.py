"""The register's progressive number: per Order, starting again from 1 every year (DM 202/2014 art. 9).

The number is taken inside the transaction that registers the dossier. The counter row stays locked until
that transaction ends (a row lock on PostgreSQL, the database write lock on SQLite), so concurrent
registrations take their turn, and a registration that is rolled back gives its number back: no gaps, no
duplicates."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from occ_core.clock import ROME
from occ_core.dossiers.models import Dossier, DossierCounter

INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}
# "12/2025" at the start of a text: what follows (the debtor's name that a picker shows) is ignored.
REFERENCE = re.compile(r"\s*(\d{1,9})\s*/\s*(\d{4})\b")


def register_year(registered_at: datetime) -> int:
    """The register's year is the Italian calendar year: at 00:30 on 1 January in Rome it is still the
    old year in UTC."""
    return registered_at.astimezone(ROME).year


def allocate(db: Session, tenant_id: int, year: int) -> int:
    """The next number of ``tenant_id``'s register for ``year``."""
    insert = INSERTS[db.get_bind().dialect.name]
    # The year's first registration creates the counter; a concurrent one that got there first wins and
    # this insert does nothing.
    db.execute(insert(DossierCounter).values(tenant_id=tenant_id, year=year, last_number=0)
               .on_conflict_do_nothing(index_elements=["tenant_id", "year"]))
    return db.execute(
        update(DossierCounter)
        .where(DossierCounter.tenant_id == tenant_id, DossierCounter.year == year)
        .values(last_number=DossierCounter.last_number + 1)
        .returning(DossierCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def by_reference(db: Session, tenant_id: int, text: str) -> Dossier | None:
    """The Order's dossier whose register number is written at the start of ``text`` ("12/2025"), or None."""
    match = REFERENCE.match(text or "")
    if match is None:
        return None
    return db.scalar(select(Dossier).where(Dossier.tenant_id == tenant_id, Dossier.number == int(match[1]),
                                           Dossier.year == int(match[2])))
