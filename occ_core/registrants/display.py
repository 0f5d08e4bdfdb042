"""Registry values as the secretariat reads them, for pages, import previews and the change history.

Values arrive either as Python objects (from the database or a parsed record) or as the plain JSON
that the audit log stores (ISO dates, decimals as text)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from occ_core.web import ui
from shared_registry.models import CATEGORIES, STATUSES
from shared_registry.services import format_credits

EMPTY = "—"
CHOICES = {"category": CATEGORIES, "status": STATUSES, "gender": {"M": "Maschile", "F": "Femminile"}}


def display_value(name: str, value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if name in CHOICES:
        return CHOICES[name].get(value, str(value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, date):
        return ui.fmt_date(value)
    if name.endswith("_date") and isinstance(value, str):
        try:
            return ui.fmt_date(date.fromisoformat(value))
        except ValueError:
            return value
    if name == "credits" or name.startswith("credits_"):
        try:
            return format_credits(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    return str(value)
