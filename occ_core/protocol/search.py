"""Searching the protocol: the filters of the list, shared by the page and the CSV export.

A page costs two statements whatever the filters: the count, and one page of registrations with their
register's code, their dossier's reference and whether they are annulled (outer joins, no query per row)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Mapping

from sqlalchemy import and_, or_, select

from occ_core.clock import ROME
from occ_core.dossiers.listing import DossierFilters, InvalidFilters
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.protocol.models import Annulment, ProtocolRegister, Registration
from occ_core.dossiers.numbering import REFERENCE as DOSSIER_REFERENCE
from occ_core.protocol.services import DIRECTIONS
from occ_core.web.forms import parse_date

MAX_TEXT = 100
MAX_WORDS = 8
# "42", "0000042" or "2026-0000042" (also with "/"): a protocol number typed in the search box.
# "42", "2026-0000042", or as the list and the segnatura write it, "PROT 2026-0000042" (the register's code).
NUMBER = re.compile(r"(?:[A-Za-z][A-Za-z0-9_.-]{0,19}\s+(?=\d{4}\s*[-/]))?(?:(\d{4})\s*[-/]\s*)?(\d{1,10})")
ANNULLED = {"si": "Solo annullate", "no": "Solo non annullate"}
DATES = {"date_from": "Registrate dal", "date_to": "Registrate fino al"}


@dataclass(frozen=True)
class Filters:
    q: str = ""
    direction: str = ""
    year: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    dossier: str = ""
    annulled: str = ""
    classification: str = ""
    assignee: int | None = None

    @classmethod
    def from_params(cls, params: Mapping) -> "Filters":
        """The filters of a query string; ``InvalidFilters`` with a message per wrong value."""
        errors: dict[str, str] = {}

        def text(name: str) -> str:
            value = params.get(name, "")
            return " ".join(value.split())[:MAX_TEXT] if isinstance(value, str) else ""

        values = {name: text(name) for name in ("q", "direction", "dossier", "annulled", "classification")}
        for name, options, label in (("direction", DIRECTIONS, "Direzione"), ("annulled", ANNULLED, "Annullate")):
            if values[name] and values[name] not in options:
                errors[name] = f"{label}: valore «{values[name][:40]}» non previsto."
        if values["dossier"] and not DOSSIER_REFERENCE.fullmatch(values["dossier"]):
            errors["dossier"] = "Pratica: indichi numero e anno, per esempio 12/2025."
        for name, label, low, high in (("year", "Anno", 1900, 2999), ("assignee", "Assegnatario", 1, 10 ** 9)):
            raw = text(name)
            values[name] = int(raw) if raw.isascii() and raw.isdigit() and low <= int(raw) <= high else None
            if raw and values[name] is None:
                errors[name] = f"{label}: «{raw[:20]}» non è valido."
        values.update({name: _day(text(name), label, name, errors) for name, label in DATES.items()})
        if None not in (values["date_from"], values["date_to"]) and values["date_from"] > values["date_to"]:
            errors["date_to"] = "Registrate fino al: la data finale precede quella iniziale."
        if errors:
            raise InvalidFilters(errors)
        return cls(**values)

    # The same as the dossiers' filters: the set values as query-string parameters, and whether there are any.
    params = DossierFilters.params
    active = DossierFilters.active


def _day(text: str, label: str, name: str, errors: dict) -> date | None:
    try:
        return parse_date(text, label)
    except UserError as error:
        errors[name] = error.message
        return None


def _rome_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ROME)


def _like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_condition(q: str):
    """Every word in the subject or the correspondents' names; or, for a number, that registration."""
    by_words = and_(*[or_(Registration.subject.ilike(_like(word), escape="\\"),
                          Registration.correspondent_names.ilike(_like(word), escape="\\"))
                      for word in q.split()[:MAX_WORDS]])
    match = NUMBER.fullmatch(q)
    if match is None:
        return by_words
    by_number = Registration.number == int(match[2])
    if match[1]:
        by_number = and_(by_number, Registration.year == int(match[1]))
    return or_(by_words, by_number)


def statement(filters: Filters):
    """The registrations that match, newest first, each as ``(Registration, register code, dossier year,
    dossier number, annulled_at)``."""
    query = (select(Registration, ProtocolRegister.code, Dossier.year, Dossier.number, Annulment.annulled_at)
             .join(ProtocolRegister, ProtocolRegister.id == Registration.register_id)
             .outerjoin(Dossier, Dossier.id == Registration.dossier_id)
             .outerjoin(Annulment, Annulment.registration_id == Registration.id)
             .order_by(Registration.registered_at.desc(), Registration.id.desc()))
    if filters.q:
        query = query.where(_text_condition(filters.q))
    if filters.direction:
        query = query.where(Registration.direction == filters.direction)
    if filters.year is not None:
        query = query.where(Registration.year == filters.year)
    if filters.date_from is not None:
        query = query.where(Registration.registered_at >= _rome_midnight(filters.date_from))
    if filters.date_to is not None:
        query = query.where(Registration.registered_at < _rome_midnight(filters.date_to + timedelta(days=1)))
    if filters.dossier:
        match = DOSSIER_REFERENCE.fullmatch(filters.dossier)
        query = query.where(Dossier.number == int(match[1]), Dossier.year == int(match[2]))
    if filters.annulled:
        query = query.where(Annulment.id.is_not(None) if filters.annulled == "si" else Annulment.id.is_(None))
    if filters.classification:
        query = query.where(Registration.classification.ilike(_like(filters.classification), escape="\\"))
    if filters.assignee is not None:
        query = query.where(Registration.assigned_to_id == filters.assignee)
    return query
