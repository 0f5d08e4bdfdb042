"""Declarative fields of debtors, creditors and other parties.

One description serves the form, the parsing of posted forms, JSON bodies and CSV rows, and the values
shown back in a form, so they cannot drift apart. The value parsers are the dossier's own
(occ_core.dossiers.fields); every message starts with the field's label, so it reads the same in the
form, in a CSV preview and in an API error."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from stdnum.it import codicefiscale

from occ_core.dossiers.fields import InvalidData, as_text, body_code, day, flag, money, person_code, vat_number
from occ_core.errors import UserError
from occ_core.web import ui
from shared_registry.fields import EMAIL_PATTERN

__all__ = ["Field", "InvalidData", "flat", "form_values", "parse_values"]
MAX_COUNT = 99
FREE_TEXT = ("text", "textarea", "email", "tel")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # text, textarea, email, tel, date, money, count, choice, flag, tax_code, vat, postal_code, province
    kind: str = "text"
    max_length: int = 200
    width: str = "col-md-6"
    required: bool = False
    choices: Mapping[str, str] = dataclass_field(default_factory=dict)
    help: str = ""
    autocomplete: str = ""
    # Label of the empty choice of a select, for a choice that may stay unset.
    blank: str = ""

    @property
    def input_type(self) -> str:
        return {"email": "email", "tel": "tel", "date": "date"}.get(self.kind, "text")

    @property
    def inputmode(self) -> str | None:
        return {"money": "decimal", "count": "numeric", "postal_code": "numeric", "vat": "numeric"}.get(self.kind)

    def parse(self, value: Any):
        """The stored value of ``value`` (form text, CSV cell or JSON value); ``UserError`` if invalid."""
        if self.kind in TYPED_PARSERS:
            result = TYPED_PARSERS[self.kind](value, self.label)
        else:
            text = as_text(value, self.label)
            # Codes, numbers and choices are checked by their own format, with a clearer message.
            if self.kind in FREE_TEXT and len(text) > self.max_length:
                raise UserError(f"{self.label}: al massimo {self.max_length} caratteri.", field=self.name)
            result = PARSERS.get(self.kind, _plain)(self, text)
        if self.required and result in (None, ""):
            raise UserError(f"{self.label}: campo obbligatorio.", field=self.name)
        return result

    def shown(self, value) -> str:
        """``value`` as the form's input shows it."""
        if value is None:
            return ""
        if self.kind == "flag":
            return "1" if value else ""
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return ui.fmt_decimal(value)
        return str(value)

    def display(self, value) -> str:
        """``value`` as a page or an export shows it to people."""
        if self.kind == "flag":
            return "Sì" if value else "No"
        if self.kind == "choice":
            return self.choices.get(value, value or "")
        if self.kind == "date":
            return ui.fmt_date(value)
        if self.kind == "money":
            return ui.fmt_money(value)
        return "" if value is None else str(value)


def _plain(_field: Field, text: str) -> str:
    return text


def _email(field: Field, text: str) -> str:
    text = text.lower()
    if text and not EMAIL_PATTERN.match(text):
        raise UserError(f"{field.label}: l'indirizzo «{text[:60]}» non è valido.")
    return text


def _count(field: Field, text: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,2}", text):
        raise UserError(f"{field.label}: indicare un numero intero da 0 a {MAX_COUNT}.")
    return int(text)


def _choice(field: Field, text: str) -> str:
    """A choice by its code or, as people write it in a CSV, by its label (any case)."""
    if not text:
        return ""
    wanted = text.casefold()
    for code, label in field.choices.items():
        if wanted in (code.casefold(), label.casefold()):
            return code
    raise UserError(f"{field.label}: valore «{text[:60]}» non ammesso; scegliere tra "
                    f"{', '.join(field.choices.values())}.")


def _tax_code(field: Field, text: str) -> str:
    """Codice fiscale of a person (16 characters, omocodia included) or of an entity (11 digits)."""
    code = person_code if len(codicefiscale.compact(text)) == 16 else body_code
    return code(text, field.label)


def _postal_code(field: Field, text: str) -> str:
    if text and not re.fullmatch(r"[0-9]{5}", text):
        raise UserError(f"{field.label}: indicare le 5 cifre del CAP.")
    return text


def _province(field: Field, text: str) -> str:
    if text and not re.fullmatch(r"[A-Za-z]{2}", text):
        raise UserError(f"{field.label}: indicare la sigla di due lettere (es. MI).")
    return text.upper()


PARSERS = {"email": _email, "count": _count, "choice": _choice, "tax_code": _tax_code, "postal_code": _postal_code,
           "province": _province}
# Kinds whose parser also reads JSON values (numbers, booleans) besides text.
TYPED_PARSERS = {"flag": flag, "money": money(), "date": day(), "vat": vat_number}


def flat(sections) -> tuple[Field, ...]:
    """The fields of form ``sections`` ((title, fields) pairs), in order."""
    return tuple(field for _title, fields in sections for field in fields)


def parse_values(fields, data: Mapping, partial: bool = False) -> tuple[dict, dict]:
    """Parsed values and error messages of ``data``; ``partial`` parses only the fields it contains."""
    values, errors = {}, {}
    for field in fields:
        if partial and field.name not in data:
            continue
        try:
            values[field.name] = field.parse(data.get(field.name))
        except UserError as error:
            errors[field.name] = error.message
    return values, errors


def form_values(fields, obj) -> dict[str, str]:
    """What the form shows for a stored row."""
    return {field.name: field.shown(getattr(obj, field.name, None)) for field in fields}
