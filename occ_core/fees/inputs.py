"""Reading the inputs of an estimate as they arrive from a form, the JSON API or the CLI: amounts typed the
Italian way or sent as numbers, flags as checkboxes or booleans; what is left out takes the Order's defaults
(or the platform's, for the command line without an Order).

One reader for the three ways in, so that the same inputs give the same estimate everywhere."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from occ_core.errors import UserError
from occ_core.fees.calculation import MAX_EXPENSES, Expense, FeeInputs, FeeResult, calculate
from occ_core.fees.preferences import PROPOSED, FeePreferences, preferences_of, vat_rate_of
from occ_core.web.forms import parse_money

FIELDS = ("attivo", "passivo", "reading", "reduction_percent", "general_expenses_percent", "incapiente",
          "attributed", "liquidation", "expenses", "proposed")
LABELS = {"attivo": "Attivo", "passivo": "Passivo", "attributed": "Importo attribuito ai creditori",
          "reduction_percent": "Riduzione (art. 16 co. 4)", "general_expenses_percent": "Spese generali"}
TRUE = {"1", "true", "on", "si", "sì", "yes"}
FALSE = {"", "0", "false", "off", "no"}
TEXT_LIMIT = 40


@dataclass(frozen=True)
class Request:
    """What was asked (the calculation's inputs and which value is proposed to the debtor) and its estimate."""
    inputs: FeeInputs
    proposed: str
    result: FeeResult


def _number(value, label: str, field: str) -> Decimal | None:
    """An amount or a percentage: a JSON number, or text as people type it ("1.234,50", "12,5")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise UserError(f"{label}: indicare un numero.", field=field)
    if isinstance(value, (int, float)):
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            raise UserError(f"{label}: numero non valido.", field=field)
        if not value.is_finite():
            raise UserError(f"{label}: numero non valido.", field=field)
        return value
    if not isinstance(value, str) or len(value) > TEXT_LIMIT:
        raise UserError(f"{label}: indicare un numero (esempio: 1.234,50).", field=field)
    try:
        return parse_money(value, label)
    except UserError as error:
        raise UserError(error.message, field=field)


def _flag(value, label: str, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise UserError(f"{label}: indicare sì o no.", field=field)


def _choice(value, choices, default: str, label: str, field: str) -> str:
    if value is None or value == "":
        return default
    if value not in choices:
        raise UserError(f"{label}: scelta non valida.", field=field)
    return value


def _expenses(rows) -> tuple[Expense, ...]:
    if rows is None:
        return ()
    if not isinstance(rows, list) or len(rows) > MAX_EXPENSES:
        raise UserError(f"Spese documentate: indicare un elenco di al massimo {MAX_EXPENSES} voci.",
                        field="expenses")
    found = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UserError(f"Spesa {number}: indicare descrizione e importo.", field="expenses")
        description = row.get("description")
        amount = _number(row.get("amount"), f"Spesa {number}", "expenses")
        if not isinstance(description, str) or amount is None:
            raise UserError(f"Spesa {number}: indicare descrizione e importo.", field="expenses")
        found.append(Expense(description.strip(), amount, _flag(row.get("taxable"), f"Spesa {number}", "expenses")))
    return tuple(found)


def read(raw: dict, tenant=None) -> Request:
    """The estimate asked for by ``raw`` (keys of ``FIELDS``), computed; a ``UserError`` for anything wrong,
    an estimate too large to be stored included. What ``raw`` leaves out takes the defaults of the Order
    ``tenant`` (its fee preferences, and the IVA of its invoices), or the platform's when ``tenant`` is None."""
    prefs = preferences_of(tenant) if tenant is not None else FeePreferences()
    unknown = sorted(key for key in raw if key not in FIELDS)
    if unknown:
        raise UserError(f"Campo sconosciuto: «{str(unknown[0])[:TEXT_LIMIT]}».", field=str(unknown[0])[:TEXT_LIMIT])
    amounts = {}
    for name in ("attivo", "passivo"):
        amounts[name] = _number(raw.get(name), LABELS[name], name)
        if amounts[name] is None:
            raise UserError(f"{LABELS[name]}: indicare l'importo (anche 0).", field=name)
    percent = {name: _number(raw.get(name), LABELS[name], name) for name in
               ("reduction_percent", "general_expenses_percent")}
    inputs = FeeInputs(
        attivo=amounts["attivo"], passivo=amounts["passivo"],
        reading=_choice(raw.get("reading"), ("single", "range"), prefs.reading, "Lettura della riduzione",
                        "reading"),
        reduction_percent=prefs.reduction_percent if percent["reduction_percent"] is None
        else percent["reduction_percent"],
        general_expenses_percent=prefs.general_expenses_percent if percent["general_expenses_percent"] is None
        else percent["general_expenses_percent"],
        incapiente=_flag(raw.get("incapiente"), "Incapiente", "incapiente"),
        attributed=_number(raw.get("attributed"), LABELS["attributed"], "attributed"),
        liquidation=_flag(raw.get("liquidation"), "Liquidazione", "liquidation"),
        expenses=_expenses(raw.get("expenses")),
        vat_rate=vat_rate_of(tenant), minimum_fee=prefs.minimum_fee, rounding=prefs.rounding,
        high_cap_at_threshold=prefs.high_cap_at_threshold, cap_exempt_at_threshold=prefs.cap_exempt_at_threshold,
        general_expenses_on_liquidation=prefs.general_expenses_on_liquidation,
    )
    proposed = _choice(raw.get("proposed"), PROPOSED, prefs.proposed, "Valore proposto", "proposed")
    return Request(inputs, proposed, calculate(inputs))
