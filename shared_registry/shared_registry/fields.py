"""The registrant's fields: Italian labels and the parsing shared by CSV import, API and forms.

Each parser takes the raw value (string or JSON value) and returns the stored value or raises
``FieldError`` with a message in Italian. Each field also carries its JSON schema, so the API
description cannot drift from the parsing."""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from datetime import date, datetime
from typing import Any, Callable

from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError
from stdnum.it import codicefiscale

from shared_registry.models import CATEGORIES, STATUSES


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Omocodia: when two people share a code, the Agenzia delle Entrate replaces digits with letters,
# always starting from the rightmost digit; these are the digit positions, right to left.
OMOCODIA_POSITIONS = (14, 13, 12, 10, 9, 7, 6)
OMOCODIA_LETTERS = "LMNPQRSTUV"
_OMOCODIA_TO_DIGITS = str.maketrans(OMOCODIA_LETTERS, "0123456789")
MONTH_LETTERS = "ABCDEHLMPRST"
# Nobody on an Order's register is younger than this: it resolves the century of a two-digit year.
MIN_REGISTRANT_AGE = 18


def _omocodia_is_consistent(code: str) -> bool:
    """Substitutions run from the right: once a position holds a digit, none further left is a letter."""
    seen_digit = False
    for position in OMOCODIA_POSITIONS:
        if code[position].isdigit():
            seen_digit = True
        elif seen_digit:
            return False
    return True


def _why_invalid(error: ValidationError) -> str:
    """What is wrong with a codice fiscale, in words the person who typed it can act on."""
    if isinstance(error, InvalidLength):
        return "deve avere 16 caratteri (11 cifre per un ente)"
    if isinstance(error, InvalidChecksum):
        return "l'ultimo carattere, di controllo, non corrisponde agli altri (verifichi la trascrizione)"
    return "contiene caratteri non ammessi o fuori posto"


def normalize_codice_fiscale(value) -> str:
    """Validated, compacted codice fiscale of a person; omocodic codes are accepted (python-stdnum)."""
    raw = ("" if value is None else str(value)).strip()
    if not raw:
        raise FieldError("codice_fiscale", "Il codice fiscale è obbligatorio.")
    try:
        compact = codicefiscale.validate(raw)
    except ValidationError as error:
        raise FieldError("codice_fiscale", f"Il codice fiscale «{raw[:40]}» non è valido: {_why_invalid(error)}.")
    if len(compact) != 16:
        raise FieldError("codice_fiscale", "Per un iscritto serve il codice fiscale di 16 caratteri "
                                           "di una persona fisica, non una partita IVA.")
    if not _omocodia_is_consistent(compact):
        raise FieldError("codice_fiscale", f"Il codice fiscale «{compact}» non è valido: le lettere "
                                           "che sostituiscono le cifre (omocodia) non sono nella posizione attesa.")
    try:
        birth_data_from_codice_fiscale(compact)
    except ValueError:
        raise FieldError("codice_fiscale", f"Il codice fiscale «{compact}» contiene una data di nascita impossibile.")
    return compact


def birth_data_from_codice_fiscale(code: str, today: date | None = None) -> tuple[date, str]:
    """Birth date and gender ("M"/"F") decoded from a (possibly omocodic) codice fiscale.

    Raises ``ValueError`` for an impossible date. python-stdnum is not used here because it
    reduces the day modulo 40 (accepting days such as 81) and misreads the gender of omocodic codes."""
    code = code.upper()
    digits = code[6:8].translate(_OMOCODIA_TO_DIGITS), code[9:11].translate(_OMOCODIA_TO_DIGITS)
    if not (digits[0].isdigit() and digits[1].isdigit()) or code[8] not in MONTH_LETTERS:
        raise ValueError(f"no birth data in {code!r}")
    year_digits, day_code = int(digits[0]), int(digits[1])
    if not (1 <= day_code <= 31 or 41 <= day_code <= 71):
        raise ValueError(f"impossible birth day in {code!r}")
    latest = (today or date.today()).year - MIN_REGISTRANT_AGE
    year = (latest // 100) * 100 + year_digits
    if year > latest:
        year -= 100
    birth = date(year, MONTH_LETTERS.index(code[8]) + 1, day_code % 40)
    return birth, "F" if day_code > 40 else "M"


# Characters no XML document may hold (C0 controls but tab and line ends, surrogates, U+FFFE/U+FFFF): typed
# or pasted by mistake, they would make registers, exports and letters unreadable (and PostgreSQL refuses NUL).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def without_control_characters(text: str) -> str:
    return NOT_XML.sub("", text)


def _scalar_text(field, value) -> str:
    """Text of a form, CSV or JSON value; JSON objects and lists are not text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FieldError(field, "Valore non valido: è atteso un testo.")
    return without_control_characters(str(value)).strip()


def _text(max_length: int, required: bool = False) -> Callable[[str, Any], str]:
    def parse(field, value):
        text = _scalar_text(field, value)
        if required and not text:
            raise FieldError(field, "Campo obbligatorio.")
        if len(text) > max_length:
            raise FieldError(field, f"Al massimo {max_length} caratteri.")
        return text
    return parse


def _date(field, value):
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        text = _scalar_text(field, value)
        if not text:
            return None
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                parsed = datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        else:
            raise FieldError(field, f"Data «{text}» non valida: usare il formato gg/mm/aaaa.")
    if not 1900 <= parsed.year <= 2100:
        raise FieldError(field, f"Data «{parsed.strftime('%d/%m/%Y')}» fuori dall'intervallo ammesso.")
    return parsed


def _email(field, value):
    text = _text(254)(field, value).lower()
    if text and not EMAIL_PATTERN.match(text):
        raise FieldError(field, f"«{text}» non è un indirizzo di posta valido (ad esempio nome@dominio.it).")
    return text


def _choice(options: dict):
    def parse(field, value):
        text = _scalar_text(field, value)
        for key, label in options.items():
            if text.lower() in (key, label.lower()):
                return key
        allowed = ", ".join(options)
        if not text:
            raise FieldError(field, f"Campo obbligatorio: usare uno tra {allowed}.")
        raise FieldError(field, f"Valore «{text[:60]}» non ammesso: usare uno tra {allowed}.")
    return parse


def _pattern(regex: str, message: str, upper=False):
    compiled = re.compile(regex)

    def parse(field, value):
        text = _scalar_text(field, value)
        text = text.upper() if upper else text
        if text and not compiled.match(text):
            raise FieldError(field, message)
        return text
    return parse


LIST_SEPARATORS = re.compile(r"[;|\n]")


def _list(field, value):
    # Items are split on the separators even inside a JSON list: what is stored must survive the
    # CSV round trip, where the items are joined by "; ".
    items = value if isinstance(value, list) else [value]
    cleaned = []
    for item in items:
        cleaned += [part.strip() for part in LIST_SEPARATORS.split(_scalar_text(field, item)) if part.strip()]
    if any(len(item) > 100 for item in cleaned):
        raise FieldError(field, "Ogni specializzazione può avere al massimo 100 caratteri.")
    if len(cleaned) > 50:
        raise FieldError(field, "Al massimo 50 specializzazioni.")
    return cleaned


def _phone(field, value):
    text = _text(40)(field, value)
    if text and not re.match(r"^\+?[0-9 ./-]{5,}$", text):
        raise FieldError(field, f"Numero di telefono «{text}» non valido.")
    return text


def _string_schema(max_length: int, **extra) -> dict:
    return {"type": "string", "maxLength": max_length, **extra}


DATE_SCHEMA = {"type": ["string", "null"], "format": "date", "description": "aaaa-mm-gg oppure gg/mm/aaaa"}
PROVINCE_SCHEMA = {"type": "string", "pattern": "^([A-Za-z]{2})?$", "description": "sigla di due lettere"}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    parse: Callable
    schema: dict = dataclass_field(default_factory=lambda: {"type": "string"})


FIELDS = {
    field.name: field for field in (
        Field("last_name", "Cognome", _text(100, required=True), _string_schema(100, minLength=1)),
        Field("first_name", "Nome", _text(100, required=True), _string_schema(100, minLength=1)),
        Field("birth_date", "Data di nascita", _date, DATE_SCHEMA),
        Field("birth_place", "Luogo di nascita", _text(100), _string_schema(100)),
        Field("birth_province", "Provincia di nascita",
              _pattern(r"^[A-Z]{2}$", "Sigla di provincia non valida (EE per l'estero).", upper=True),
              PROVINCE_SCHEMA),
        Field("category", "Categoria professionale", _choice(CATEGORIES), {"type": "string", "enum": list(CATEGORIES)}),
        Field("albo_section", "Sezione dell'Albo", _text(60), _string_schema(60)),
        Field("registration_number", "Numero di iscrizione", _text(30), _string_schema(30)),
        Field("registration_date", "Data di iscrizione", _date, DATE_SCHEMA),
        Field("status", "Stato", _choice(STATUSES), {"type": "string", "enum": list(STATUSES)}),
        Field("email", "Email", _email, _string_schema(254, format="email")),
        Field("pec", "PEC", _email, _string_schema(254, format="email")),
        Field("phone", "Telefono", _phone, _string_schema(40)),
        Field("mobile", "Cellulare", _phone, _string_schema(40)),
        Field("address", "Indirizzo", _text(200), _string_schema(200)),
        Field("postal_code", "CAP", _pattern(r"^\d{5}$", "Il CAP è composto da 5 cifre."),
              {"type": "string", "pattern": r"^(\d{5})?$"}),
        Field("city", "Comune", _text(100), _string_schema(100)),
        Field("province", "Provincia", _pattern(r"^[A-Z]{2}$", "Sigla di provincia non valida.", upper=True),
              PROVINCE_SCHEMA),
        Field("specialisations", "Specializzazioni", _list,
              {"type": "array", "items": {"type": "string", "maxLength": 100}}),
    )
}

LABELS = {
    "codice_fiscale": "Codice fiscale",
    "gender": "Sesso",
    "credits": "Crediti formativi",
    **{name: spec.label for name, spec in FIELDS.items()},
}


def label_of(name: str) -> str:
    """Italian label of a field, or of a change key such as ``credits_2025``."""
    if name.startswith("credits_"):
        return f"Crediti formativi {name.removeprefix('credits_')}"
    return LABELS.get(name, name)
