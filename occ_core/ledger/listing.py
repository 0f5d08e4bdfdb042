"""Choosing movements: the filters of the list and of the exports, and the rows of the movements CSV."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from occ_core.dossiers.numbering import by_reference
from occ_core.errors import UserError
from occ_core.ledger import services
from occ_core.ledger.models import Movement
from occ_core.web.forms import parse_date

CSV_HEADER = ("Data", "Pratica", "Tipo", "Categoria", "Descrizione", "Entrata", "Uscita", "Modalità",
              "Riferimento", "Riconciliazione", "Riconciliato il", "Ricevuta", "Origine", "Note")


@dataclass
class Filters:
    """What the user asked for, as typed (shown again in the form), and the criteria it means."""

    raw: dict
    criteria: list
    errors: dict


def period(raw_from: str, raw_to: str, errors: dict) -> tuple[date | None, date | None]:
    """A period typed in a form; a wrong date is named in ``errors`` and ignored."""
    bounds = []
    for name, value, label in (("from", raw_from, "Dal"), ("to", raw_to, "Al")):
        try:
            bounds.append(parse_date(value, label))
        except UserError as error:
            errors[name] = error.message
            bounds.append(None)
    start, end = bounds
    if start and end and end < start:
        errors["to"] = "Al: la fine del periodo precede l'inizio."
    return start, end


def period_criteria(start: date | None, end: date | None) -> list:
    return [c for c in (Movement.on >= start if start else None, Movement.on <= end if end else None)
            if c is not None]


def filters(db, tenant_id: int, params) -> Filters:
    """The list's filters from the query string: period, direction, category, method, reconciliation and
    the dossier's register number ("12/2025"); a wrong value is reported, never a server error."""
    names = ("from", "to", "direction", "category", "method", "reconciliation", "dossier")
    raw = {name: (params.get(name) if isinstance(params.get(name), str) else "").strip()[:40] for name in names}
    errors: dict[str, str] = {}
    start, end = period(raw["from"], raw["to"], errors)
    criteria = period_criteria(start, end)
    for name, options, column in (("direction", services.DIRECTIONS, Movement.direction),
                                  ("category", services.CATEGORY_LABELS, Movement.category),
                                  ("method", services.METHODS, Movement.method),
                                  ("reconciliation", services.RECONCILIATIONS, Movement.reconciliation)):
        if raw[name] and raw[name] not in options:
            errors[name] = "Scegliere una delle voci proposte."
        elif raw[name]:
            criteria.append(column == raw[name])
    if raw["dossier"] == "-":
        criteria.append(Movement.dossier_id.is_(None))
    elif raw["dossier"]:
        dossier = by_reference(db, tenant_id, raw["dossier"])
        if dossier is None:
            errors["dossier"] = (f"Pratica «{raw['dossier']}» non trovata: indicare il numero di registro "
                                 "(es. 12/2025).")
        else:
            criteria.append(Movement.dossier_id == dossier.id)
    return Filters(raw, criteria, errors)


def statement(criteria):
    return (select(Movement).options(joinedload(Movement.dossier)).where(*criteria)
            .order_by(Movement.on.desc(), Movement.id.desc()))


def csv_rows(db, criteria) -> list:
    """The movements as a spreadsheet: one row each, income and expenses in their own columns."""
    rows = [CSV_HEADER]
    for movement in db.scalars(statement(criteria)).all():
        income = movement.direction == services.INCOME
        rows.append((
            movement.on.strftime("%d/%m/%Y"),
            movement.dossier.reference if movement.dossier is not None else "",
            services.DIRECTIONS.get(movement.direction, movement.direction),
            services.CATEGORY_LABELS.get(movement.category, movement.category),
            movement.description,
            movement.amount if income else "",
            "" if income else movement.amount,
            services.METHODS.get(movement.method, movement.method),
            movement.reference,
            services.RECONCILIATIONS.get(movement.reconciliation, movement.reconciliation),
            movement.reconciled_on.strftime("%d/%m/%Y") if movement.reconciled_on else "",
            movement.receipt_filename,
            movement.source,
            movement.notes,
        ))
    return rows
