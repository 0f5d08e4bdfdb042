"""Checked input of dossier data, the same from a form (text) and from the JSON API (typed values).

A parser takes the raw value and the field's label and returns the clean value or raises ``UserError``
with a message in Italian that names the field."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Mapping

from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva

from occ_core.clock import today
from occ_core.errors import UserError
from occ_core.web.forms import parse_date, parse_money
from shared_registry.fields import FieldError, normalize_codice_fiscale, without_control_characters


class InvalidData(UserError):
    """Some fields are wrong; ``errors`` maps each field to its message. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Non è stato salvato nulla: corregga i dati indicati.", field=next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class Field:
    label: str
    parse: Callable[[object, str], object]


def parse_fields(fields: Mapping[str, Field], data: Mapping, errors: dict, prefix: str = "") -> dict:
    """The clean values of the ``fields`` present in ``data``; each wrong one adds its message to ``errors``."""
    values = {}
    for name, field in fields.items():
        if name in data:
            try:
                values[name] = field.parse(data[name], field.label)
            except UserError as error:
                errors[prefix + name] = error.message
    return values


def as_text(value, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"{label}: indicare un testo.")
    return without_control_characters(value).strip()


def text(limit: int, required: bool = False):
    def parse(value, label):
        result = as_text(value, label)
        if required and not result:
            raise UserError(f"{label}: campo obbligatorio.")
        if len(result) > limit:
            raise UserError(f"{label}: al massimo {limit} caratteri.")
        return result

    return parse


# "R.G. n. 123/2026": the summary and the documents print "R.G." before the number themselves.
ROLL_PREFIX = re.compile(r"^r\.?\s*g(?:\.|\b|(?=\d))\s*(?:n°|(?:n|nr|num)(?:\.|\b|(?=\d)))?\s*", re.IGNORECASE)


def court_case_number(value, label) -> str:
    """The court's roll number (numero di ruolo generale) without the "R.G." that users often type."""
    return ROLL_PREFIX.sub("", text(40)(value, label), count=1)


def choice(options: Mapping[str, str], required: bool = True):
    def parse(value, label):
        result = as_text(value, label)
        if not result and not required:
            return ""
        if result not in options:
            raise UserError(f"{label}: " + ("scegliere una delle voci proposte." if result else "campo obbligatorio."))
        return result

    return parse


TRUE, FALSE = {"1", "true", "on", "si", "sì"}, {"", "0", "false", "off", "no"}


def flag(value, label) -> bool:
    if isinstance(value, bool):
        return value
    result = (value or "").strip().lower() if isinstance(value, str) or value is None else None
    if result not in TRUE | FALSE:
        raise UserError(f"{label}: indicare sì o no.")
    return result in TRUE


def day(required: bool = False, not_future: bool = False):
    def parse(value, label):
        if value is not None and not isinstance(value, str):
            raise UserError(f"{label}: indicare una data (gg/mm/aaaa, o AAAA-MM-GG).")
        result = parse_date(value, label)
        if result is None and required:
            raise UserError(f"{label}: campo obbligatorio.")
        if result is not None and not_future and result > today():
            raise UserError(f"{label}: la data non può essere futura.")
        return result

    return parse


def _number_text(value, label) -> str:
    """JSON numbers as they are; text as people type it."""
    if isinstance(value, bool):
        raise UserError(f"{label}: indicare un numero.")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"{label}: indicare un numero.")
        # Written with a decimal comma, so that "1.5" is not read as the Italian thousands "1.500".
        return format(Decimal(str(value)), "f").replace(".", ",")
    return as_text(value, label)


def money(required: bool = False, positive: bool = False):
    def parse(value, label):
        result = parse_money(_number_text(value, label), label)
        if result is None:
            if required:
                raise UserError(f"{label}: campo obbligatorio.")
            return None
        if result < 0 or (positive and result == 0):
            raise UserError(f"{label}: l'importo deve essere {'maggiore di zero' if positive else 'positivo o zero'}.")
        return result

    return parse


PERCENT = re.compile(r"\d{1,3}(\.\d{1,2})?")


def percent(value, label) -> Decimal | None:
    result = _number_text(value, label).replace("%", "").strip().replace(",", ".")
    if not result:
        return None
    if not PERCENT.fullmatch(result) or Decimal(result) > 100:
        raise UserError(f"{label}: indicare un numero tra 0 e 100, con al massimo due decimali (esempio: 35,5).")
    return Decimal(result).quantize(Decimal("0.01"))


def person_code(value, label) -> str:
    """A natural person's codice fiscale, omocodic codes included; empty is allowed."""
    result = as_text(value, label)
    if not result:
        return ""
    if len(codicefiscale.compact(result)) != 16:
        raise UserError(f"{label}: per una persona fisica servono i 16 caratteri del codice fiscale; "
                        "la partita IVA va nel campo apposito.")
    try:
        return normalize_codice_fiscale(result)
    except FieldError as error:
        raise UserError(f"{label}: {error.message}")


def body_code(value, label) -> str:
    """The codice fiscale of a company or body (11 digits, or 16 characters); empty is allowed."""
    result = as_text(value, label)
    if not result:
        return ""
    try:
        return codicefiscale.validate(result)
    except ValidationError:
        raise UserError(f"{label}: «{result[:40]}» non è un codice fiscale valido (11 cifre per una società "
                        "o un ente).")


def vat_number(value, label) -> str:
    result = as_text(value, label)
    if not result:
        return ""
    try:
        return iva.validate(result)
    except ValidationError:
        raise UserError(f"{label}: «{result[:40]}» non è valida: servono 11 cifre con il carattere di controllo "
                        "corretto.")

