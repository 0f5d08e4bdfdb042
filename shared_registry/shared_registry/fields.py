"""The registrant's fields: Italian labels and the parsing shared by CSV import, API and forms.

Each parser takes the raw value (string or JSON value) and returns the stored value or raises
``FieldError`` with a message in Italian."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale

from shared_registry.models import CATEGORIES, STATUSES


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_codice_fiscale(value: str) -> str:
    """Validated, compacted codice fiscale; omocodic codes are accepted (python-stdnum)."""
    raw = (value or "").strip()
    if not raw:
        raise FieldError("codice_fiscale", "Il codice fiscale è obbligatorio.")
    try:
        compact = codicefiscale.validate(raw)
    except ValidationError:
        raise FieldError("codice_fiscale", f"Il codice fiscale «{raw}» non è valido.")
    if len(compact) != 16:
        raise FieldError("codice_fiscale", "Per un iscritto serve il codice fiscale di 16 caratteri.")
    return compact


def birth_data_from_codice_fiscale(code: str) -> tuple[date, str]:
    """Birth date and gender decoded from a (possibly omocodic) codice fiscale."""
    birth = codicefiscale.get_birth_date(code, minyear=1920)
    # python-stdnum's get_gender fails when the day digits are substituted: decode them here.
    day_digits = "".join(str("LMNPQRSTUV".index(c)) if c in "LMNPQRSTUV" else c for c in code[9:11])
    return birth, "F" if int(day_digits) > 40 else "M"


def _text(max_length: int, required: bool = False) -> Callable[[str, Any], str]:
    def parse(field, value):
        text = ("" if value is None else str(value)).strip()
        if required and not text:
            raise FieldError(field, "Campo obbligatorio.")
        if len(text) > max_length:
            raise FieldError(field, f"Al massimo {max_length} caratteri.")
        return text
    return parse


def _date(field, value):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise FieldError(field, f"Data «{text}» non valida: usare il formato gg/mm/aaaa.")


def _email(field, value):
    text = _text(254)(field, value).lower()
    if text and not EMAIL_PATTERN.match(text):
        raise FieldError(field, f"Indirizzo «{text}» non valido.")
    return text


def _choice(options: dict):
    def parse(field, value):
        text = ("" if value is None else str(value)).strip()
        for key, label in options.items():
            if text.lower() in (key, label.lower()):
                return key
        raise FieldError(field, f"Valore «{text}» non ammesso: usare uno tra {', '.join(options)}.")
    return parse


def _pattern(regex: str, message: str, upper=False):
    compiled = re.compile(regex)

    def parse(field, value):
        text = ("" if value is None else str(value)).strip()
        text = text.upper() if upper else text
        if text and not compiled.match(text):
            raise FieldError(field, message)
        return text
    return parse


def _list(field, value):
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else re.split(r"[;|]", str(value))
    cleaned = [str(item).strip() for item in items if str(item).strip()]
    if any(len(item) > 100 for item in cleaned):
        raise FieldError(field, "Ogni specializzazione può avere al massimo 100 caratteri.")
    return cleaned


def _phone(field, value):
    text = _text(40)(field, value)
    if text and not re.match(r"^\+?[0-9 ./-]{5,}$", text):
        raise FieldError(field, f"Numero di telefono «{text}» non valido.")
    return text


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    parse: Callable


FIELDS = {
    field.name: field for field in (
        Field("last_name", "Cognome", _text(100, required=True)),
        Field("first_name", "Nome", _text(100, required=True)),
        Field("birth_date", "Data di nascita", _date),
        Field("birth_place", "Luogo di nascita", _text(100)),
        Field("birth_province", "Provincia di nascita", _pattern(r"^[A-Z]{2}$|^EE$", "Sigla di provincia non valida.", upper=True)),
        Field("category", "Categoria professionale", _choice(CATEGORIES)),
        Field("albo_section", "Sezione dell'Albo", _text(60)),
        Field("registration_number", "Numero di iscrizione", _text(30)),
        Field("registration_date", "Data di iscrizione", _date),
        Field("status", "Stato", _choice(STATUSES)),
        Field("email", "Email", _email),
        Field("pec", "PEC", _email),
        Field("phone", "Telefono", _phone),
        Field("mobile", "Cellulare", _phone),
        Field("address", "Indirizzo", _text(200)),
        Field("postal_code", "CAP", _pattern(r"^\d{5}$", "Il CAP è composto da 5 cifre.")),
        Field("city", "Comune", _text(100)),
        Field("province", "Provincia", _pattern(r"^[A-Z]{2}$", "Sigla di provincia non valida.", upper=True)),
        Field("specialisations", "Specializzazioni", _list),
    )
}
