"""The fee estimate's screens: the calculator, the dossier's «Preventivo» tab and its printable copy, the
Order's settings; and the JSON API."""
from __future__ import annotations

from decimal import Decimal

from occ_core.fees import inputs
from occ_core.fees.calculation import MAX_EXPENSES, READINGS, ROUNDINGS
from occ_core.fees.preferences import PROPOSED, preferences_of
from occ_core.web.forms import param
from occ_core.web.ui import fmt_amount, fmt_money, fmt_number

PARTS = ("calculator", "dossier", "settings", "api")
TEMPLATES = "occ_core:fees/templates/"
EXPENSE_ROWS = 3
FORM_FIELDS = ("attivo", "passivo", "reading", "reduction_percent", "general_expenses_percent", "attributed",
               "proposed")
FLAGS = ("incapiente", "liquidation")


def includeme(config):
    for part in PARTS:
        config.include(f"occ_core.fees.views.{part}")


def form_values(request) -> dict:
    """The estimate form as sent (query string or posted), as text, for reading and for showing again."""
    values = {name: param(request, name).strip() for name in FORM_FIELDS + FLAGS}
    # A saved estimate may have more expenses than the blank form's rows: every row shown comes back.
    rows = next((n for n in range(EXPENSE_ROWS, MAX_EXPENSES) if f"expense_description_{n}" not in request.params),
                MAX_EXPENSES)
    values["expenses"] = [{"description": param(request, f"expense_description_{n}").strip(),
                           "amount": param(request, f"expense_amount_{n}").strip(),
                           "taxable": bool(param(request, f"expense_taxable_{n}"))} for n in range(rows)]
    return values


def raw_inputs(values: dict) -> dict:
    """What ``inputs.read`` takes from the form: empty options fall back to the Order's defaults, empty
    expense rows are left out."""
    raw = {name: values[name] or None for name in FORM_FIELDS}
    raw.update({flag: values[flag] for flag in FLAGS})
    raw["expenses"] = [row for row in values["expenses"] if row["description"] or row["amount"]]
    return raw


def blank_form(request, **given) -> dict:
    prefs = preferences_of(request.tenant)
    values = {"attivo": "", "passivo": "", "reading": prefs.reading,
              "reduction_percent": fmt_number(prefs.reduction_percent), "attributed": "",
              "general_expenses_percent": fmt_number(prefs.general_expenses_percent), "proposed": prefs.proposed,
              "incapiente": "", "liquidation": "", "expenses": expense_rows([])}
    return {**values, **given}


def expense_rows(rows: list[dict]) -> list[dict]:
    """The expenses as the form shows them, with blank rows up to the form's size."""
    shown = [{"description": row["description"], "amount": fmt_amount(row["amount"]), "taxable": row["taxable"]}
             for row in rows]
    return shown + [{"description": "", "amount": "", "taxable": False}] * (EXPENSE_ROWS - len(shown))


def estimate_form(inputs: dict, proposed: str) -> dict:
    """The form filled with the inputs of a saved estimate (``FeeInputs.as_json``), to estimate it again."""
    return {"attivo": fmt_amount(inputs["attivo"]), "passivo": fmt_amount(inputs["passivo"]),
            "attributed": fmt_amount(inputs.get("attributed")), "reading": inputs["reading"],
            "reduction_percent": fmt_number(inputs["reduction_percent"]),
            "general_expenses_percent": fmt_number(inputs["general_expenses_percent"]), "proposed": proposed,
            "incapiente": "1" if inputs["incapiente"] else "", "liquidation": "1" if inputs["liquidation"] else "",
            "expenses": expense_rows(inputs.get("expenses") or [])}


def form_context(request, values: dict, asked: inputs.Request | None, error=None) -> dict:
    """What the estimate form and its result need."""
    return {"values": values, "body": asked.result.as_json() if asked else None,
            "proposed_value": asked.proposed if asked else values.get("proposed"),
            "error": error.message if error else None, "error_field": error.field if error else None,
            "readings": READINGS, "roundings": ROUNDINGS, "proposals": PROPOSED,
            "prefs": preferences_of(request.tenant), "fee_macros": macros(), "euro": euro, "percent": percent}


def euro(text) -> str:
    """An amount of the estimate's JSON (a string with two decimals) the Italian way."""
    return "—" if text is None else fmt_money(Decimal(text))


def percent(text) -> str:
    return "—" if text is None else fmt_number(text) + " %"


def macros():
    from pyramid.renderers import get_renderer

    return get_renderer(TEMPLATES + "macros.pt").implementation()
