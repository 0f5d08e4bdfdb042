"""The dossier list: its filters, full-text search, sort and pages, shared by the page, the CSV export,
the JSON API and the benchmark.

The page costs two statements whatever the filters: one count and one page of ``Dossier`` rows, whose
columns carry everything the list shows (names, gestori and totals are denormalised by summary.refresh).
On PostgreSQL the text search uses the GIN index ``ix_dossiers_search``, whose expression
``to_tsvector('simple', search_text)`` is repeated here literally so that the planner recognises it."""
from __future__ import annotations

import re
from dataclasses import dataclass, fields as dataclass_fields
from datetime import date
from typing import Mapping

from sqlalchemy import and_, case, exists, func, literal_column, or_, select

from occ_core.dossiers import procedures
from occ_core.dossiers.models import Creditor, Debtor, Dossier
from occ_core.errors import UserError
from occ_core.web.forms import parse_date

MAX_TEXT = 100
# More words than this in one search box only slow the query down.
MAX_WORDS = 8
# Letters and digits: what the full-text parser keeps as words.
WORD = re.compile(r"[^\W_]+")
# A codice fiscale (16 characters) or a partita IVA / numeric codice fiscale (11 digits) is matched exactly.
TAX_CODE = re.compile(r"^(?:[A-Za-z0-9]{16}|[0-9]{11})$")

SORTS = {
    "-number": ("Numero (dal più recente)", lambda: (Dossier.year.desc(), Dossier.number.desc())),
    "number": ("Numero (dal più vecchio)", lambda: (Dossier.year, Dossier.number)),
    "-filed": ("Data di deposito (dalla più recente)", lambda: (Dossier.filed_on.desc(), Dossier.id.desc())),
    "filed": ("Data di deposito (dalla più vecchia)", lambda: (Dossier.filed_on, Dossier.id)),
    "debtor": ("Debitore (A-Z)", lambda: (Dossier.debtor_name, Dossier.id)),
    "-debtor": ("Debitore (Z-A)", lambda: (Dossier.debtor_name.desc(), Dossier.id.desc())),
    "state": ("Stato (nell'ordine della procedura)", lambda: (_state_order(), Dossier.year.desc(),
                                                               Dossier.number.desc())),
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

        for name in ("q", "gestore", "debtor", "creditor"):
            values[name] = text(name)
        number = text("number")
        if "/" in number:  # "12/2025", as the register writes it
            number, _, year = number.partition("/")
            values["year"] = _integer(year.strip(), "year", "Anno", 1900, 2999, errors)
        values["number"] = _integer(number.strip(), "number", "Numero", 1, 10 ** 9, errors)
        if "year" not in values or values["year"] is None:
            values["year"] = _integer(text("year"), "year", "Anno", 1900, 2999, errors)
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


def _state_order():
    return case({state: index for index, state in enumerate(procedures.STATES)}, value=Dossier.state, else_=999)


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())[:MAX_WORDS]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column, text: str):
    return column.ilike(f"%{_escape_like(text)}%", escape="\\")


def text_search(dialect: str, text: str):
    """Every word of ``text`` in the dossier's search document: as a word prefix through the full-text
    index on PostgreSQL, as a substring (LIKE) elsewhere. None when ``text`` has no words."""
    found = words(text)
    if not found:
        return None
    if dialect == "postgresql":
        simple = literal_column("'simple'")
        query = " & ".join(f"{word}:*" for word in found)
        return func.to_tsvector(simple, Dossier.search_text).op("@@")(func.to_tsquery(simple, query))
    return and_(*(_contains(Dossier.search_text, word) for word in found))


def _party_condition(dialect: str, model, text: str, name_columns, code_columns):
    """A debtor or creditor of the dossier matching ``text``: exactly by codice fiscale or partita IVA,
    otherwise by every word in one of its names. On PostgreSQL the full-text index narrows the dossiers
    first (the words must start words of the search document), so the parties' rows of few dossiers are
    read rather than all of them."""
    if TAX_CODE.match(text):
        code = text.upper()
        return exists().where(model.dossier_id == Dossier.id, or_(*(column == code for column in code_columns)))
    found = words(text)
    if not found:
        return None
    match = exists().where(model.dossier_id == Dossier.id, and_(
        *(or_(*(_contains(column, word) for column in name_columns)) for word in found)))
    return and_(text_search(dialect, text), match) if dialect == "postgresql" else match


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
    if filters.gestore:
        where.append(_gestore_condition(filters.gestore))
    optional = (
        text_search(dialect, filters.q),
        _party_condition(dialect, Debtor, filters.debtor, (Debtor.last_name, Debtor.first_name, Debtor.company_name),
                         (Debtor.codice_fiscale, Debtor.partita_iva)) if filters.debtor else None,
        _party_condition(dialect, Creditor, filters.creditor, (Creditor.name,),
                         (Creditor.codice_fiscale, Creditor.partita_iva)) if filters.creditor else None,
    )
    where.extend(condition for condition in optional if condition is not None)
    return where


def _gestore_condition(value: str):
    """A gestore in force on the dossier, by the id of the list of gestori or by a part of the name."""
    if value.isdigit():
        from occ_core.gestori.models import Appointment

        return exists().where(Appointment.dossier_id == Dossier.id, Appointment.gestore_id == int(value),
                              Appointment.ended_at.is_(None), Appointment.declined_at.is_(None))
    return _contains(Dossier.gestore_names, value)


def statement(db, filters: DossierFilters, sort: str = DEFAULT_SORT):
    """The ordered select of the dossiers matching ``filters`` (no limit)."""
    dialect = db.get_bind().dialect.name
    return select(Dossier).where(*conditions(filters, dialect)).order_by(*SORTS[sort][1]())


def count(db, filters: DossierFilters) -> int:
    dialect = db.get_bind().dialect.name
    # count(*), not count(id): PostgreSQL can then count from the tenant's index alone.
    return db.scalar(select(func.count()).select_from(Dossier).where(*conditions(filters, dialect)))


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def search(db, filters: DossierFilters, sort: str = DEFAULT_SORT, page: int = 1,
           per_page: int = 25) -> tuple[list[Dossier], int]:
    """One page of dossiers (``page`` from 1, clamped to the last page) and the number of all matches."""
    total = count(db, filters)
    page = min(max(page, 1), last_page(total, per_page))
    rows = db.scalars(statement(db, filters, sort).limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total
