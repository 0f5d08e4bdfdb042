"""Registry operations: validated upsert keyed by codice fiscale, search, CSV export and import.

Upsert semantics, the same for forms, CSV and API: a new registrant needs at least surname and
name; for an existing one only the fields present in the input change (a CSV column that is
absent, or a JSON key that is missing, leaves the stored value alone; an empty value clears it).
Training credits are merged by year: years not mentioned are kept."""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from shared_registry.fields import FIELDS, LABELS, FieldError, birth_data_from_codice_fiscale, normalize_codice_fiscale
from shared_registry.models import Registrant, TrainingCredit

REQUIRED_FOR_NEW = ("last_name", "first_name")
# Keys accepted besides FIELDS; "gender" is derived from the codice fiscale and ignored on input.
EXTRA_KEYS = {"codice_fiscale", "credits", "gender"}


@dataclass
class ParsedRecord:
    codice_fiscale: str = ""
    values: dict = field(default_factory=dict)
    credits: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def parse_record(data: dict, partial: bool = False) -> ParsedRecord:
    """Validate a registrant record. With ``partial`` (an update) only the given fields are checked."""
    record = ParsedRecord()
    try:
        record.codice_fiscale = normalize_codice_fiscale(data.get("codice_fiscale"))
    except FieldError as error:
        record.errors[error.field] = error.message
    for name, spec in FIELDS.items():
        if name not in data:
            if not partial and name in REQUIRED_FOR_NEW:
                record.errors[name] = "Campo obbligatorio."
            continue
        try:
            record.values[name] = spec.parse(name, data[name])
        except FieldError as error:
            record.errors[name] = error.message
    if "credits" in data:
        try:
            record.credits = parse_credits(data["credits"])
        except FieldError as error:
            record.errors["credits"] = error.message
    if record.codice_fiscale:
        _check_birth_data(record, partial)
    for name in sorted(set(data) - set(FIELDS) - EXTRA_KEYS):
        record.errors[str(name)[:60]] = "Campo sconosciuto."
    return record


def _check_birth_data(record: ParsedRecord, partial: bool) -> None:
    """The birth date and the gender are written in the codice fiscale: fill them in, refuse contradictions."""
    birth, gender = birth_data_from_codice_fiscale(record.codice_fiscale)
    given = record.values.get("birth_date")
    if "birth_date" in record.errors:
        pass
    elif given is not None:
        # The code holds two digits of the year: a given date a century apart is the same person.
        if (given.day, given.month, given.year % 100) != (birth.day, birth.month, birth.year % 100):
            record.errors["birth_date"] = "La data di nascita non corrisponde al codice fiscale."
    elif "birth_date" in record.values or not partial:
        record.values["birth_date"] = birth
    record.values["gender"] = gender


def parse_credits(value) -> dict[int, Decimal]:
    """Credits by year: ``{"2025": 20}`` or ``"2024:15;2025:20"`` (decimal comma or point)."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        pairs = [chunk.split(":", 1) if ":" in chunk else (chunk, "") for chunk in value.split(";") if chunk.strip()]
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise FieldError("credits", "Crediti formativi: indicare anno e crediti (es. 2025:20).")
    result = {}
    for year, amount in pairs:
        shown = f"{str(year).strip()}:{str(amount).strip()}"[:40]
        if isinstance(amount, bool) or not isinstance(amount, (str, int, float, Decimal)):
            raise FieldError("credits", f"Crediti formativi «{shown}» non validi.")
        try:
            year_number = int(str(year).strip())
            credits = Decimal(str(amount).strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            raise FieldError("credits", f"Crediti formativi «{shown}» non validi: indicare anno e crediti (es. 2025:20).")
        if not credits.is_finite() or not (1950 <= year_number <= 2100) or credits < 0 or credits > 1000:
            raise FieldError("credits", f"Crediti formativi «{shown}» fuori dai limiti (anno 1950-2100, crediti 0-1000).")
        if year_number in result:
            raise FieldError("credits", f"Crediti formativi: l'anno {year_number} è indicato due volte.")
        result[year_number] = credits.quantize(Decimal("0.01"))
    return result


def get_by_codice_fiscale(db, tenant_id: int, code: str) -> Registrant | None:
    return db.scalar(select(Registrant).where(Registrant.tenant_id == tenant_id, Registrant.codice_fiscale == code))


def _blank(value) -> bool:
    return value is None or value == "" or value == []


def diff(registrant: Registrant | None, record: ParsedRecord) -> dict:
    """Field -> (old, new) for what ``record`` would change; credits appear as ``credits_<year>``."""
    changes = {}
    for name, new in record.values.items():
        if registrant is None:
            if not _blank(new):
                changes[name] = (None, new)
        elif getattr(registrant, name) != new:
            changes[name] = (getattr(registrant, name), new)
    current = {c.year: c.credits for c in registrant.credits} if registrant is not None else {}
    for year, amount in sorted(record.credits.items()):
        if current.get(year) != amount:
            changes[f"credits_{year}"] = (current.get(year), amount)
    return changes


def apply(db, tenant_id: int, record: ParsedRecord) -> tuple[Registrant, bool, dict]:
    """Create or update the registrant of a valid record; return (registrant, created, changes).

    Nothing is written when nothing changes, so repeating the same input is harmless."""
    if record.errors:
        raise ValueError("cannot apply a record with errors")
    registrant = get_by_codice_fiscale(db, tenant_id, record.codice_fiscale)
    return _apply_to(db, tenant_id, registrant, record)


def _apply_to(db, tenant_id: int, registrant: Registrant | None, record: ParsedRecord):
    created = registrant is None
    if created:
        missing = [name for name in REQUIRED_FOR_NEW if _blank(record.values.get(name))]
        if missing:
            raise ValueError(f"a new registrant needs {', '.join(missing)}")
        registrant = Registrant(tenant_id=tenant_id, codice_fiscale=record.codice_fiscale)
        db.add(registrant)
    changes = diff(None if created else registrant, record)
    for name, (_old, new) in changes.items():
        if not name.startswith("credits_"):
            setattr(registrant, name, new)
    existing = {c.year: c for c in registrant.credits}
    for year, amount in record.credits.items():
        if year not in existing:
            registrant.credits.append(TrainingCredit(tenant_id=tenant_id, year=year, credits=amount))
        elif existing[year].credits != amount:
            existing[year].credits = amount
    db.flush()
    return registrant, created, changes


# --- search --------------------------------------------------------------------------------------

def _conditions(tenant_id: int, text: str = "", category: str = "", status: str = "") -> list:
    conditions = [Registrant.tenant_id == tenant_id]
    text = (text or "").strip()
    if text:
        conditions.append(or_(*(
            column.icontains(text, autoescape=True)
            for column in (Registrant.last_name + " " + Registrant.first_name,
                           Registrant.first_name + " " + Registrant.last_name,
                           Registrant.codice_fiscale, Registrant.registration_number, Registrant.email)
        )))
    if category:
        conditions.append(Registrant.category == category)
    if status:
        conditions.append(Registrant.status == status)
    return conditions


def search(db, tenant_id: int, text: str = "", category: str = "", status: str = ""):
    """Select statement of the registrants matching name, codice fiscale, registration number or email."""
    return (select(Registrant).where(*_conditions(tenant_id, text, category, status))
            .order_by(Registrant.last_name, Registrant.first_name, Registrant.id))


def count(db, tenant_id: int, text: str = "", category: str = "", status: str = "") -> int:
    return db.scalar(select(func.count(Registrant.id)).where(*_conditions(tenant_id, text, category, status)))


def counts_by(db, tenant_id: int, column: str, text: str = "", category: str = "", status: str = "") -> dict:
    """Number of matching registrants per value of ``column`` ("category" or "status")."""
    attribute = {"category": Registrant.category, "status": Registrant.status}[column]
    query = (select(attribute, func.count(Registrant.id))
             .where(*_conditions(tenant_id, text, category, status)).group_by(attribute))
    return dict(db.execute(query).all())


# --- batch upsert (CSV import and API) -----------------------------------------------------------

@dataclass
class ImportRow:
    """The outcome, planned or applied, of one input record of a batch."""

    line: int
    codice_fiscale: str
    action: str  # "nuovo", "modifica", "invariato", "errore"
    changes: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    record: ParsedRecord | None = None
    name: str = ""
    registrant: Registrant | None = None


def existing_by_code(db, tenant_id: int, codes) -> dict[str, Registrant]:
    """Registrants of the Order with the given codes, credits loaded, in a few queries."""
    found = {}
    codes = sorted(set(codes))
    for start in range(0, len(codes), 500):
        query = (select(Registrant).options(selectinload(Registrant.credits))
                 .where(Registrant.tenant_id == tenant_id, Registrant.codice_fiscale.in_(codes[start:start + 500])))
        found.update((registrant.codice_fiscale, registrant) for registrant in db.scalars(query))
    return found


def _code_of(data: dict) -> str:
    try:
        return normalize_codice_fiscale(data.get("codice_fiscale"))
    except FieldError:
        return ""


def plan_upserts(db, tenant_id: int, items: list[dict], positions=None, problems=None,
                 positions_label="righe") -> list[ImportRow]:
    """What upserting each of ``items`` would do; writes nothing.

    ``positions`` name the items in messages (file lines, list indexes); ``problems`` are errors
    found before parsing (a malformed CSV line). A codice fiscale given more than once is an error
    on each occurrence: the input does not say which one is right."""
    positions = list(positions) if positions is not None else list(range(len(items)))
    codes = [_code_of(data) for data in items]
    repeated = {code: [str(p) for p, other in zip(positions, codes) if other == code]
                for code, times in Counter(codes).items() if code and times > 1}
    existing = existing_by_code(db, tenant_id, [code for code in codes if code])
    result = []
    for index, (data, code) in enumerate(zip(items, codes)):
        registrant = existing.get(code)
        record = parse_record(data, partial=registrant is not None)
        row = ImportRow(line=positions[index], codice_fiscale=code or str(data.get("codice_fiscale") or "")[:40],
                        action="errore", errors=dict(record.errors), record=record, registrant=registrant,
                        name=registrant.full_name if registrant is not None else
                        f"{data.get('last_name') or ''} {data.get('first_name') or ''}".strip()[:200])
        if problems is not None and problems[index]:
            row.errors = {"record": problems[index], **row.errors}
        if code in repeated:
            row.errors["codice_fiscale"] = f"Codice fiscale ripetuto ({positions_label} {', '.join(repeated[code])})."
        if not row.errors:
            row.changes = diff(registrant, record)
            row.action = "nuovo" if registrant is None else ("modifica" if row.changes else "invariato")
        result.append(row)
    return result


def apply_plan(db, tenant_id: int, rows: list[ImportRow]) -> None:
    """Write the new and changed rows of a plan (rows with errors are left out)."""
    for row in rows:
        if row.action in ("nuovo", "modifica"):
            row.registrant, _created, row.changes = _apply_to(db, tenant_id, row.registrant, row.record)


def import_counts(rows: list[ImportRow]) -> dict:
    counts = {"nuovo": 0, "modifica": 0, "invariato": 0, "errore": 0}
    for row in rows:
        counts[row.action] += 1
    return counts


# --- CSV (Albo export) ------------------------------------------------------------------------

CSV_COLUMNS = ["codice_fiscale", *FIELDS, "credits"]
HEADER_ALIASES = {
    **{LABELS[name].lower(): name for name in CSV_COLUMNS},
    "cf": "codice_fiscale",
    "crediti": "credits",
}
MAX_IMPORT_ROWS = 20000


class CsvFormatError(ValueError):
    pass


def _decode(content: bytes) -> str:
    if content.startswith(b"%PDF"):
        raise CsvFormatError("Il file è un PDF, non un CSV: esporti l'elenco dall'Albo in formato CSV.")
    if content.startswith(b"PK\x03\x04") or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise CsvFormatError("Il file sembra un foglio di calcolo (Excel o simili): lo salvi come "
                             "«CSV (delimitato dal separatore di elenco)» e lo carichi di nuovo.")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text
    raise CsvFormatError("Il file non è un CSV di testo leggibile: salvarlo con codifica UTF-8 "
                         "(o Windows-1252) e caricarlo di nuovo.")


def _delimiter(first_line: str) -> str:
    return max((";", ",", "\t"), key=first_line.count)


def read_csv(content: bytes) -> list[dict]:
    """Rows of an Albo export as dicts of field names; each row also carries ``_line`` and, when the
    row is malformed, ``_error``. Problems of the whole file raise ``CsvFormatError``."""
    text = _decode(content)
    if not text.strip():
        raise CsvFormatError("Il file è vuoto.")
    first_line = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""), delimiter=_delimiter(first_line))
    try:
        headers = next(reader)
        columns = _columns(headers)
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise CsvFormatError(f"Il file ha più di {MAX_IMPORT_ROWS} righe: lo divida in più parti.")
            rows.append(_row(reader.line_num, headers, columns, values))
    except csv.Error as error:
        raise CsvFormatError(f"Il file non è un CSV valido (riga {reader.line_num}): {error}.")
    if not rows:
        raise CsvFormatError("Il file contiene solo l'intestazione: nessun iscritto da importare.")
    return rows


def _columns(headers: list[str]) -> dict[int, str]:
    """Column index -> field name; unknown or repeated columns are refused, unnamed empty ones ignored."""
    columns = {}
    for index, header in enumerate(headers):
        key = " ".join(header.strip().lower().split())
        if not key:
            continue
        name = key if key in CSV_COLUMNS else HEADER_ALIASES.get(key)
        if name is None:
            known = ", ".join(LABELS[column] for column in CSV_COLUMNS)
            raise CsvFormatError(f"Colonna «{header.strip()[:60]}» non riconosciuta. Colonne ammesse: {known}.")
        if name in columns.values():
            raise CsvFormatError(f"La colonna «{LABELS[name]}» compare due volte.")
        columns[index] = name
    if "codice_fiscale" not in columns.values():
        raise CsvFormatError("Manca la colonna «Codice fiscale».")
    return columns


# Exports guard cells that spreadsheets would evaluate (CSV injection) with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"


def _cell(value: str) -> str:
    value = value.strip()
    if value.startswith(FORMULA_GUARD) and value[1:2] in FORMULA_STARTS and value[1:2]:
        return value[1:]
    return value


def _row(line: int, headers: list[str], columns: dict[int, str], values: list[str]) -> dict:
    row = {name: (_cell(values[index]) if index < len(values) else "") for index, name in columns.items()}
    row["_line"] = line
    if len(values) > len(headers) and any(value.strip() for value in values[len(headers):]):
        row["_error"] = "La riga ha più valori delle colonne dell'intestazione."
    elif len(values) < len(headers):
        row["_error"] = "La riga ha meno valori delle colonne dell'intestazione."
    return row


def preview_import(db, tenant_id: int, content: bytes) -> list[ImportRow]:
    """What importing ``content`` would do, row by row; writes nothing."""
    rows = read_csv(content)
    return plan_upserts(db, tenant_id, [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows],
                        positions=[row["_line"] for row in rows], problems=[row.get("_error") for row in rows])


def apply_import(db, tenant_id: int, content: bytes) -> dict:
    """Apply every valid row of ``content`` (rows with errors are left out); return the counts."""
    rows = preview_import(db, tenant_id, content)
    apply_plan(db, tenant_id, rows)
    return import_counts(rows)


def format_credits(amount: Decimal) -> str:
    """Credits the Italian way and without useless decimals: 20, 15,5."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def export_rows(registrants) -> list[list[str]]:
    """Rows for a CSV export, header first, in the column order the import reads back."""
    rows = [[LABELS[name] for name in CSV_COLUMNS]]
    for registrant in registrants:
        row = [registrant.codice_fiscale]
        for name in FIELDS:
            value = getattr(registrant, name)
            if value is None:
                value = ""
            elif name in ("birth_date", "registration_date"):
                value = value.strftime("%d/%m/%Y")
            elif name == "specialisations":
                value = "; ".join(value or [])
            row.append(str(value))
        row.append("; ".join(f"{c.year}:{format_credits(c.credits)}" for c in registrant.credits))
        rows.append(row)
    return rows
