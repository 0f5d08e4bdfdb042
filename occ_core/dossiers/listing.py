"""The dossier list: its filters, full-text search, sort and pages, shared by the page, the CSV export,
the JSON API and the benchmark.

A page costs two statements (the count, then the page), or one for a search by words with few matches (see
search()); the ``Dossier`` rows carry everything the list shows (names, gestori and totals are denormalised by
summary.refresh).
On PostgreSQL words are searched as word prefixes in stored tsvector columns with GIN indexes (see
models.SEARCH_WORDS): the dossier's search document, the debtors' and the creditors' names. SQLite, the small
embedded default, uses LIKE."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields as dataclass_fields
from datetime import date
from typing import Mapping

from sqlalchemy import and_, case, exists, func, literal, literal_column, or_, select, text, true
from sqlalchemy.orm import InstrumentedAttribute

from occ_core.dossiers import procedures
from occ_core.dossiers.models import SEARCH_WORDS, Creditor, Debtor, Dossier
from occ_core.dossiers.numbering import REFERENCE
from occ_core.errors import UserError
from occ_core.gestori.models import Appointment, Gestore
from occ_core.web.forms import parse_date
from shared_registry.models import Registrant

MAX_TEXT = 100
# More words than this in one search box only slow the query down.
MAX_WORDS = 8
# Letters and digits: what the full-text parser keeps as words.
WORD = re.compile(r"[^\W_]+")
# A codice fiscale (16 characters) or a partita IVA / numeric codice fiscale (11 digits) is matched exactly.
TAX_CODE = re.compile(r"^(?:[A-Za-z0-9]{16}|[0-9]{11})$")
GESTORE_ID = re.compile(r"[0-9]{1,9}")
SIMPLE = literal_column("'simple'")
# Up to this many matches the page is sorted after filtering (with the free text search, up to the
# second figure): see search().
NARROW, NARROW_TEXT = 1000, 10000

ASCENDING, DESCENDING = False, True
# The procedure's order of the states (unknown ones last).
STATE_ORDER = case({state: index for index, state in enumerate(procedures.STATES)}, value=Dossier.state, else_=999)
# Each sort gives its keys, (expression, descending); its columns (the keys that are not expressions) name one
# dossier, which makes the order total.
SORTS = {
    "-number": ("Numero (dal più recente)", ((Dossier.year, DESCENDING), (Dossier.number, DESCENDING))),
    "number": ("Numero (dal più vecchio)", ((Dossier.year, ASCENDING), (Dossier.number, ASCENDING))),
    "-filed": ("Data di deposito (dalla più recente)", ((Dossier.filed_on, DESCENDING), (Dossier.id, DESCENDING))),
    "filed": ("Data di deposito (dalla più vecchia)", ((Dossier.filed_on, ASCENDING), (Dossier.id, ASCENDING))),
    "debtor": ("Debitore (A-Z)", ((Dossier.debtor_name, ASCENDING), (Dossier.id, ASCENDING))),
    "-debtor": ("Debitore (Z-A)", ((Dossier.debtor_name, DESCENDING), (Dossier.id, DESCENDING))),
    "state": ("Stato (nell'ordine della procedura)",
              ((STATE_ORDER, ASCENDING), (Dossier.year, DESCENDING), (Dossier.number, DESCENDING))),
}
DEFAULT_SORT = "-number"


class InvalidFilters(UserError):
    """Some filter values cannot be read: ``errors`` maps each parameter to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class DossierFilters:
    q: str = ""
    year: int | None = None
    number: int | None = None
    state: str = ""
    procedure: str = ""
    regime: str = ""
    gestore: str = ""
    debtor: str = ""
    creditor: str = ""
    filed_from: date | None = None
    filed_to: date | None = None

    @classmethod
    def from_params(cls, params: Mapping) -> "DossierFilters":
        """Filters from a query string (or a JSON object of the same names); ``InvalidFilters`` if any
        value cannot be read, with a message in Italian for each."""
        errors, values = {}, {}

        def text(name: str) -> str:
            value = params.get(name, "")
            return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""

        for name, label in (("q", "Ricerca"), ("gestore", "Gestore"), ("debtor", "Debitore"),
                            ("creditor", "Creditore")):
            values[name] = text(name)
            if values[name] and not words(values[name]):
                # Punctuation alone would match everything while the list says it is filtered.
                errors[name] = f"{label}: indicare almeno una lettera o una cifra."
        values["year"] = _integer(text("year"), "year", "Anno", 1900, 2999, errors)
        values["number"], year_of_number = _register_number(text("number"), errors)
        if year_of_number is not None:
            if values["year"] not in (None, year_of_number):
                errors["year"] = (f"Anno: il numero {values['number']}/{year_of_number} è dell'anno {year_of_number}, "
                                  f"non del {values['year']}; lasciare vuoto l'anno o correggerlo.")
            values["year"] = year_of_number
        for name, options, label in (("state", procedures.STATES, "Stato"),
                                     ("procedure", procedures.PROCEDURES, "Procedura"),
                                     ("regime", procedures.REGIMES, "Normativa")):
            values[name] = text(name)
            if values[name] and values[name] not in options:
                errors[name] = f"{label}: valore «{values[name][:40]}» non previsto."
        for name, label in (("filed_from", "Depositata dal"), ("filed_to", "Depositata fino al")):
            try:
                values[name] = parse_date(text(name), label)
            except UserError as error:
                errors[name] = error.message
        if values.get("filed_from") and values.get("filed_to") and values["filed_from"] > values["filed_to"]:
            errors["filed_to"] = "Depositata fino al: la data finale precede quella iniziale."
        if errors:
            raise InvalidFilters(errors)
        return cls(**values)

    def params(self) -> dict[str, str]:
        """The filters as query-string parameters (only those that are set)."""
        result = {}
        for item in dataclass_fields(self):
            value = getattr(self, item.name)
            if value not in (None, ""):
                result[item.name] = value.isoformat() if isinstance(value, date) else str(value)
        return result

    @property
    def active(self) -> bool:
        return bool(self.params())


def _register_number(text: str, errors: dict) -> tuple[int | None, int | None]:
    """The number and, when written as the register writes it ("12/2025"), its year."""
    if "/" not in text:
        return _integer(text, "number", "Numero", 1, 10 ** 9, errors), None
    match = REFERENCE.fullmatch(text)
    if match is None or int(match[1]) < 1 or not 1900 <= int(match[2]) <= 2999:
        errors["number"] = f"Numero: «{text[:20]}» non è valido, scrivere il numero o numero/anno, ad esempio 12/2025."
        return None, None
    return int(match[1]), int(match[2])


def _integer(text: str, name: str, label: str, low: int, high: int, errors: dict) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,10}", text) or not low <= int(text) <= high:
        errors[name] = f"{label}: «{text[:20]}» non è valido, indicare un numero intero tra {low} e {high}."
        return None
    return int(text)


def parse_sort(value) -> str:
    if not value:
        return DEFAULT_SORT
    if value not in SORTS:
        raise InvalidFilters({"sort": "Ordinamento non previsto."})
    return value


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())[:MAX_WORDS]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column, text: str):
    return column.ilike(f"%{_escape_like(text)}%", escape="\\")


def _prefixes(found: list[str]):
    return func.to_tsquery(SIMPLE, " & ".join(f"{word}:*" for word in found))


def text_search(dialect: str, text: str):
    """The dossier numbered ``text`` when it is written as the register writes it ("12/2025"); otherwise
    every word of ``text`` in the dossier's search document: as a word prefix through the full-text index on
    PostgreSQL, as a substring (LIKE) elsewhere. None when ``text`` has no words."""
    reference = REFERENCE.fullmatch(text)
    if reference is not None:
        return and_(Dossier.number == int(reference[1]), Dossier.year == int(reference[2]))
    found = words(text)
    if not found:
        return None
    if dialect == "postgresql":
        return _stored_vector(Dossier).op("@@")(_prefixes(found))
    return and_(*(_contains(Dossier.search_text, word) for word in found))


def _stored_vector(model):
    """The stored tsvector of ``model``'s table (PostgreSQL; see models.SEARCH_WORDS)."""
    table = model.__tablename__
    return literal_column(f"{table}.{SEARCH_WORDS[table]}")


@dataclass(frozen=True)
class PartySearch:
    model: type
    names: tuple  # the columns of the stored vector, searched with LIKE on SQLite
    codes: tuple


def _party_condition(dialect: str, party: PartySearch, text: str):
    """A debtor or creditor of the dossier matching ``text``: exactly by codice fiscale or partita IVA,
    otherwise with every word in its name."""
    if TAX_CODE.match(text):
        # A 16-character code is a person's codice fiscale; 11 digits are a partita IVA or the codice
        # fiscale of a company, which is often the same number.
        code = text.upper()
        columns = party.codes[:1] if len(code) == 16 else party.codes
        return exists().where(party.model.dossier_id == Dossier.id, or_(*(column == code for column in columns)))
    found = words(text)
    if not found:
        return None
    if dialect == "postgresql":
        match = _stored_vector(party.model).op("@@")(_prefixes(found))
    else:
        match = and_(*(or_(*(_contains(column, word) for column in party.names)) for word in found))
    return exists().where(party.model.dossier_id == Dossier.id, match)


DEBTORS = PartySearch(Debtor, (Debtor.last_name, Debtor.first_name, Debtor.company_name),
                      (Debtor.codice_fiscale, Debtor.partita_iva))
CREDITORS = PartySearch(Creditor, (Creditor.name,), (Creditor.codice_fiscale, Creditor.partita_iva))


def conditions(filters: DossierFilters, dialect: str) -> list:
    where = []
    if filters.year is not None:
        where.append(Dossier.year == filters.year)
    if filters.number is not None:
        where.append(Dossier.number == filters.number)
    if filters.state:
        where.append(Dossier.state == filters.state)
    if filters.procedure:
        where.append(Dossier.procedure == filters.procedure)
    if filters.regime:
        where.append(Dossier.procedure.in_(
            [code for code, procedure in procedures.PROCEDURES.items() if procedure.regime == filters.regime]))
    if filters.filed_from:
        where.append(Dossier.filed_on >= filters.filed_from)
    if filters.filed_to:
        where.append(Dossier.filed_on <= filters.filed_to)
    optional = (
        _gestore_condition(filters.gestore) if filters.gestore else None,
        text_search(dialect, filters.q),
        _party_condition(dialect, DEBTORS, filters.debtor) if filters.debtor else None,
        _party_condition(dialect, CREDITORS, filters.creditor) if filters.creditor else None,
    )
    where.extend(condition for condition in optional if condition is not None)
    return where


def _gestore_condition(value: str):
    """A gestore in force on the dossier, by the id of the list of gestori or by every word in the name."""
    if GESTORE_ID.fullmatch(value):
        gestori = [int(value)]
    else:
        gestori = select(Gestore.id).join(Registrant, Registrant.id == Gestore.registrant_id).where(
            *(or_(_contains(Registrant.last_name, word), _contains(Registrant.first_name, word))
              for word in words(value) or [value]))
    return exists().where(Appointment.dossier_id == Dossier.id, Appointment.gestore_id.in_(gestori),
                          Appointment.ended_at.is_(None), Appointment.declined_at.is_(None))


def _ordered(keys) -> list:
    return [column.desc() if descending else column for column, descending in keys]


def _ordered_by_labels(selectable, keys) -> list:
    """The order of ``keys`` on ``selectable``, which carries them as ``key0``, ``key1``..."""
    return _ordered((selectable.c[f"key{index}"], descending) for index, (_, descending) in enumerate(keys))


def statement(db, filters: DossierFilters, sort: str = DEFAULT_SORT):
    """The ordered select of the dossiers matching ``filters`` (no limit)."""
    dialect = db.get_bind().dialect.name
    return select(Dossier).where(*conditions(filters, dialect)).order_by(*_ordered(SORTS[sort][1]))


def count(db, filters: DossierFilters, cap: int | None = None) -> int:
    """The number of matches; with ``cap``, counting stops past it (the answer is then ``cap + 1``)."""
    dialect = db.get_bind().dialect.name
    # count(*), not count(id): PostgreSQL can then count from the tenant's index alone.
    if cap is None:
        return db.scalar(select(func.count()).select_from(Dossier).where(*conditions(filters, dialect)))
    matches = select(literal(1)).select_from(Dossier).where(*conditions(filters, dialect)).limit(cap + 1)
    return db.scalar(select(func.count()).select_from(matches.subquery()))


def count_cap(filters: DossierFilters) -> int:
    """Up to how many matches the list sorts them after filtering (see search()), and where the page stops
    counting: an exact count of tens of thousands of matches costs more than the page itself."""
    return NARROW_TEXT if words(filters.q) else NARROW


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _sorted_page(db, filters: DossierFilters, sort: str, page: int, per_page: int, cap: int):
    """(page ``page`` of the matches, their number) in one statement when there are at most ``cap``;
    otherwise (number ``cap + 1``) no rows.

    The matches, at most ``cap + 1``, are collected with their sort keys alone (found through their own
    indexes, or the keys' index alone when no filter needs the row) and sorted; then only the page's dossiers
    are read, by their keys."""
    keys = SORTS[sort][1]
    matches = (select(*(column.label(f"key{index}") for index, (column, _) in enumerate(keys)))
               .where(*conditions(filters, db.get_bind().dialect.name)).limit(cap + 1).cte("matches"))
    total = select(func.count().label("total")).select_from(matches).cte("total")
    chosen = (select(matches).where(select(total.c.total).scalar_subquery() <= cap)
              .order_by(*_ordered_by_labels(matches, keys)).limit(per_page).offset((page - 1) * per_page)
              .subquery("chosen"))
    same_keys = and_(*(column == chosen.c[f"key{index}"] for index, (column, _) in enumerate(keys)
                       if isinstance(column, InstrumentedAttribute)))
    # Outer joins: with too many matches, none or a page past the last, the one row left carries the number.
    rows = db.execute(select(total.c.total, Dossier).select_from(total).outerjoin(chosen, true())
                      .outerjoin(Dossier, same_keys).order_by(*_ordered_by_labels(chosen, keys))).all()
    return [dossier for _, dossier in rows if dossier is not None], rows[0].total


def _searches_words(filters: DossierFilters) -> bool:
    """Whether ``filters`` search names or codes, which only the rows (or the parties' rows) can answer."""
    return any((filters.q, filters.debtor, filters.creditor, filters.gestore))


def _plans_for_the_words(db) -> None:
    """PostgreSQL: plans made for the words searched. psycopg prepares a statement run five times, and
    PostgreSQL may then keep one generic plan for every value, blind to how many dossiers a word matches (one,
    or a third of them): on 100,000 dossiers a codice fiscale took 9 ms instead of 0.3. The other filters keep
    the generic plans, which spare planning the statements at every page."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def search(db, filters: DossierFilters, sort: str = DEFAULT_SORT, page: int = 1,
           per_page: int = 25, exact: bool = True) -> tuple[list[Dossier], int]:
    """One page of dossiers (``page`` from 1, clamped to the last page) and the number of all matches;
    with ``exact=False`` the number stops at ``count_cap(filters) + 1`` ("more than the cap").

    Up to the cap the matches are found through their own indexes and sorted (see _sorted_page). A search by
    words finds them as dearly as it counts them, so one statement counts, sorts and reads the page; other
    filters are counted first, from indexes. Past the cap, the page walks the index of the sort order and tests
    each dossier until the page is full: quick when matches are many, slow when they are few and far between."""
    cap = count_cap(filters)
    page = max(page, 1)
    rows = None
    if _searches_words(filters):
        _plans_for_the_words(db)
        rows, total = _sorted_page(db, filters, sort, page, per_page, cap)
    else:
        total = count(db, filters, cap)
    if total <= cap:
        if rows is None or page > last_page(total, per_page):
            rows, total = _sorted_page(db, filters, sort, min(page, last_page(total, per_page)), per_page, cap)
        return rows, total
    if exact:
        total = count(db, filters)
    page = min(page, last_page(total, per_page))
    return list(db.scalars(statement(db, filters, sort).limit(per_page).offset((page - 1) * per_page))), total
