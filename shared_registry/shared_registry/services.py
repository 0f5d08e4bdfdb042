"""Registry operations: validated upsert keyed by codice fiscale, search, CSV export and import."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, or_, select

from shared_registry.fields import FIELDS, FieldError, birth_data_from_codice_fiscale, normalize_codice_fiscale
from shared_registry.models import Registrant, TrainingCredit


@dataclass
class ParsedRecord:
    codice_fiscale: str = ""
    values: dict = field(default_factory=dict)
    credits: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def parse_record(data: dict, partial: bool = False) -> ParsedRecord:
    """Validate a registrant record. With ``partial`` only the given fields are checked."""
    record = ParsedRecord()
    try:
        record.codice_fiscale = normalize_codice_fiscale(data.get("codice_fiscale", ""))
    except FieldError as error:
        record.errors[error.field] = error.message
    for name, spec in FIELDS.items():
        if name not in data:
            if not partial and name in ("last_name", "first_name"):
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
    if record.codice_fiscale and "codice_fiscale" not in record.errors:
        birth, gender = birth_data_from_codice_fiscale(record.codice_fiscale)
        if record.values.get("birth_date") and record.values["birth_date"] != birth:
            record.errors["birth_date"] = "La data di nascita non corrisponde al codice fiscale."
        if not partial:
            record.values.setdefault("birth_date", birth)
        record.values["gender"] = gender
    unknown = set(data) - set(FIELDS) - {"codice_fiscale", "credits", "gender"}
    for name in sorted(unknown):
        record.errors[name] = "Campo sconosciuto."
    return record


def parse_credits(value) -> dict[int, Decimal]:
    """Credits by year: ``{"2025": 20}`` or ``"2024:15;2025:20"``."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        pairs = [chunk.split(":", 1) for chunk in value.split(";") if chunk.strip()]
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise FieldError("credits", "Crediti formativi: indicare anno e crediti (es. 2025:20).")
    result = {}
    for year, amount in pairs:
        try:
            year_number = int(str(year).strip())
            credits = Decimal(str(amount).strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            raise FieldError("credits", f"Crediti formativi «{year}:{amount}» non validi.")
        if not (1950 <= year_number <= 2100) or credits < 0 or credits > 1000:
            raise FieldError("credits", f"Crediti formativi «{year}:{amount}» fuori dai limiti.")
        result[year_number] = credits.quantize(Decimal("0.01"))
    return result


def get_by_codice_fiscale(db, tenant_id: int, code: str) -> Registrant | None:
    return db.scalar(select(Registrant).where(Registrant.tenant_id == tenant_id, Registrant.codice_fiscale == code))


def diff(registrant: Registrant | None, record: ParsedRecord) -> dict:
    """Field -> (old, new) for what ``record`` would change."""
    changes = {}
    for name, new in record.values.items():
        old = getattr(registrant, name) if registrant is not None else None
        if registrant is None or old != new:
            if registrant is None and new in ("", None, []):
                continue
            changes[name] = (old, new)
    current = {c.year: c.credits for c in registrant.credits} if registrant is not None else {}
    for year, amount in record.credits.items():
        if current.get(year) != amount:
            changes[f"credits_{year}"] = (current.get(year), amount)
    return changes


def apply(db, tenant_id: int, record: ParsedRecord) -> tuple[Registrant, bool, dict]:
    """Create or update the registrant of a valid record; return (registrant, created, changes)."""
    if record.errors:
        raise ValueError("cannot apply a record with errors")
    registrant = get_by_codice_fiscale(db, tenant_id, record.codice_fiscale)
    changes = diff(registrant, record)
    created = registrant is None
    if created:
        registrant = Registrant(tenant_id=tenant_id, codice_fiscale=record.codice_fiscale)
        db.add(registrant)
    for name, (_old, new) in changes.items():
        if not name.startswith("credits_"):
            setattr(registrant, name, new)
    existing = {c.year: c for c in registrant.credits}
    for year, amount in record.credits.items():
        if year in existing:
            existing[year].credits = amount
        else:
            registrant.credits.append(TrainingCredit(tenant_id=tenant_id, year=year, credits=amount))
    db.flush()
    return registrant, created, changes


def search(db, tenant_id: int, text: str = "", category: str = "", status: str = ""):
    query = select(Registrant).where(Registrant.tenant_id == tenant_id)
    text = (text or "").strip()
    if text:
        like = f"%{text.lower()}%"
        query = query.where(or_(
            func.lower(Registrant.last_name + " " + Registrant.first_name).like(like),
            func.lower(Registrant.first_name + " " + Registrant.last_name).like(like),
            func.lower(Registrant.codice_fiscale).like(like),
            func.lower(Registrant.registration_number).like(like),
            func.lower(Registrant.email).like(like),
        ))
    if category:
        query = query.where(Registrant.category == category)
    if status:
        query = query.where(Registrant.status == status)
    return query.order_by(Registrant.last_name, Registrant.first_name, Registrant.id)


# --- CSV (Albo export) ------------------------------------------------------------------------

CSV_COLUMNS = ["codice_fiscale", *FIELDS, "credits"]
HEADER_ALIASES = {
    **{spec.label.lower(): name for name, spec in FIELDS.items()},
    "codice fiscale": "codice_fiscale",
    "cf": "codice_fiscale",
    "crediti formativi": "credits",
    "crediti": "credits",
}


@dataclass
class ImportRow:
    line: int
    codice_fiscale: str
    action: str  # "nuovo", "modifica", "invariato", "errore"
    changes: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    record: ParsedRecord | None = None


class CsvFormatError(ValueError):
    pass


def read_csv(content: bytes) -> list[dict]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="strict") if _is_cp1252(content) else None
        if text is None:
            raise CsvFormatError("Il file non è un CSV di testo (codifica UTF-8 o Windows-1252).")
    if not text.strip():
        raise CsvFormatError("Il file è vuoto.")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = {}
    for header in reader.fieldnames or []:
        key = (header or "").strip().lower()
        name = key if key in CSV_COLUMNS else HEADER_ALIASES.get(key)
        if name is None:
            raise CsvFormatError(f"Colonna «{header}» non riconosciuta.")
        columns[header] = name
    if "codice_fiscale" not in columns.values():
        raise CsvFormatError("Manca la colonna del codice fiscale.")
    rows = []
    try:
        for raw in reader:
            if None in raw:
                raise CsvFormatError(f"Riga {reader.line_num}: più valori che colonne.")
            rows.append({columns[h]: (v or "").strip() for h, v in raw.items() if h in columns})
    except csv.Error as error:
        raise CsvFormatError(f"CSV non leggibile: {error}")
    return rows


def _is_cp1252(content: bytes) -> bool:
    try:
        content.decode("cp1252")
        return b"\x00" not in content
    except UnicodeDecodeError:
        return False


def preview_import(db, tenant_id: int, content: bytes) -> list[ImportRow]:
    """What importing ``content`` would do, row by row; writes nothing."""
    result = []
    seen = {}
    for index, data in enumerate(read_csv(content), start=2):
        record = parse_record(data)
        row = ImportRow(line=index, codice_fiscale=record.codice_fiscale or data.get("codice_fiscale", ""),
                        action="errore", errors=dict(record.errors), record=record)
        if record.codice_fiscale in seen:
            row.errors["codice_fiscale"] = f"Codice fiscale ripetuto (già alla riga {seen[record.codice_fiscale]})."
        elif record.codice_fiscale:
            seen[record.codice_fiscale] = index
        if not row.errors:
            existing = get_by_codice_fiscale(db, tenant_id, record.codice_fiscale)
            row.changes = diff(existing, record)
            row.action = "nuovo" if existing is None else ("modifica" if row.changes else "invariato")
        result.append(row)
    return result


def apply_import(db, tenant_id: int, content: bytes) -> dict:
    """Apply every valid row of ``content`` (rows with errors are left out); return the counts."""
    counts = {"nuovo": 0, "modifica": 0, "invariato": 0, "errore": 0}
    for row in preview_import(db, tenant_id, content):
        counts[row.action] += 1
        if row.action in ("nuovo", "modifica"):
            apply(db, tenant_id, row.record)
    return counts


def export_rows(registrants) -> list[list[str]]:
    """Rows for a CSV export, header first, in the column order the import reads back."""
    header = ["Codice fiscale", *(FIELDS[name].label for name in FIELDS), "Crediti formativi"]
    rows = [header]
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
        row.append(";".join(f"{c.year}:{format(c.credits, 'f')}" for c in registrant.credits))
        rows.append(row)
    return rows
