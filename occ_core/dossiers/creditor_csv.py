"""The creditor list of a dossier as CSV: export, and import with a preview before anything is written.

Export and import share the columns, so an exported list (corrected in a spreadsheet) can be imported
again. Headers are matched by label or field name, in any case; choices by code or label."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field as dataclass_field

from occ_core.dossiers import parties
from occ_core.dossiers.models import Creditor, Dossier
from occ_core.errors import UserError
# The registry's reader already copes with what spreadsheets save (BOM, Windows-1252, UTF-16, the
# separator of the locale); its decoding is reused rather than written twice.
from shared_registry.services import CsvFormatError, _decode, _delimiter

MAX_ROWS = 5000
REASON = "exclusion_reason"
FIELDS = {field.name: field for field in parties.CREDITOR_FIELDS}
# The form's ground and details of an exclusion from the vote are one column, as they are stored.
COLUMNS = tuple(REASON if field.name == "exclusion_ground" else field.name
                for field in parties.CREDITOR_FIELDS if field.name != "exclusion_details")
LABELS = {name: FIELDS[name].label if name in FIELDS else "Motivo dell'esclusione dal voto" for name in COLUMNS}
ALIASES = {
    "nome": "name", "denominazione": "name", "creditore": "name", "tipo": "kind", "cf": "codice_fiscale",
    "p.iva": "partita_iva", "piva": "partita_iva", "p. iva": "partita_iva", "importo": "amount_claimed",
    "credito": "amount_claimed", "grado": "rank", "privilegio": "rank", "classe": "class_name",
    "garantito": "secured", "escluso": "excluded_from_vote", "motivo": REASON,
    "motivo dell'esclusione": REASON,
}


def _cell(creditor: Creditor, name: str):
    value = getattr(creditor, name)
    field = FIELDS.get(name)
    return field.display(value) if field is not None and field.kind in ("choice", "flag") else value


def export_rows(creditors) -> list[list]:
    return [[LABELS[name] for name in COLUMNS], *([_cell(creditor, name) for name in COLUMNS]
                                                  for creditor in creditors)]


@dataclass
class ImportRow:
    line: int
    data: dict
    errors: dict = dataclass_field(default_factory=dict)
    creditor: Creditor | None = None


def _column_names(headers: list[str]) -> dict[int, str]:
    known = {**{label.casefold(): name for name, label in LABELS.items()},
             **{name: name for name in COLUMNS}, **ALIASES}
    columns = {}
    for index, header in enumerate(headers):
        key = " ".join(header.strip().split()).casefold()
        if not key:
            continue
        name = known.get(key)
        if name is None:
            raise CsvFormatError(f"Colonna «{header.strip()[:60]}» non riconosciuta. Colonne ammesse: "
                                 f"{', '.join(LABELS.values())}.")
        if name in columns.values():
            raise CsvFormatError(f"La colonna «{LABELS[name]}» compare due volte.")
        columns[index] = name
    if "name" not in columns.values():
        raise CsvFormatError(f"Manca la colonna «{LABELS['name']}».")
    return columns


def read_rows(content: bytes) -> list[ImportRow]:
    text = _decode(content).lstrip("\r\n")
    if not text.strip():
        raise CsvFormatError("Il file è vuoto.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]))
    try:
        columns = _column_names(next(reader))
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvFormatError(f"Il file ha più di {MAX_ROWS} righe: lo divida in più parti.")
            rows.append(ImportRow(reader.line_num, {name: values[index] if index < len(values) else ""
                                                    for index, name in columns.items()}))
    except csv.Error as error:
        raise CsvFormatError(f"Il file non è un CSV valido (riga {reader.line_num}): {error}.")
    if not rows:
        raise CsvFormatError("Il file contiene solo l'intestazione: nessun creditore da importare.")
    return rows


def plan(dossier: Dossier, content: bytes) -> list[ImportRow]:
    """Every row of the file, validated into a creditor or with its errors; nothing is written."""
    rows = read_rows(content)
    for row in rows:
        data = dict(row.data)
        data["exclusion_ground"], data["exclusion_details"] = parties.split_exclusion_reason(
            data.pop(REASON, ""))
        try:
            row.creditor = parties.build_creditor(dossier, data)
        except UserError as error:
            row.errors = getattr(error, "errors", None) or {"form": error.message}
    return rows


def apply(dossier: Dossier, content: bytes) -> tuple[int, int]:
    """Adds the valid rows of the file; returns (added, skipped because of errors)."""
    rows = plan(dossier, content)
    valid = [row.creditor for row in rows if row.creditor is not None]
    parties.add_creditors(dossier, valid)
    return len(valid), len(rows) - len(valid)
