"""Reading posted forms and refusing bad input, the same way on every page.

A crafted request may send a file where a text field is expected (multipart forms) or repeat a
field: neither may break a page, so views read text fields through these helpers."""
from __future__ import annotations

import re

from datetime import date, datetime
from decimal import Decimal

from occ_core.errors import UserError


def posted(request, name: str) -> str:
    """A posted text field; a file sent in its place counts as empty rather than breaking the page."""
    value = request.POST.get(name, "")
    return value if isinstance(value, str) else ""


def param(request, name: str) -> str:
    """A text value of the query string or, failing that, of the posted form (links carry tokens in
    the query string, their forms post them back)."""
    value = request.params.get(name, "")
    return value if isinstance(value, str) else ""


def posted_all(request, name: str) -> list[str]:
    """Every value of a repeated text field, files counted as empty."""
    return [value if isinstance(value, str) else "" for value in request.POST.getall(name)]


def read_upload(field, limit: int) -> bytes | None:
    """At most ``limit + 1`` bytes of an uploaded file: enough to tell that it is too large."""
    stream = getattr(field, "file", None)
    return stream.read(limit + 1) if stream is not None else None


def refuse(request, error: UserError) -> str:
    """Answer 400 and make sure nothing of the failed request is committed, even if already flushed."""
    request.response.status = 400
    request.tm.doom()
    return error.message


# Dates far from today cannot be meant, and at the ends of the calendar converting them between time
# zones overflows.
MIN_YEAR, MAX_YEAR = 1900, 2999


def parse_date(text: str, label: str) -> date | None:
    """A date typed in a form: ISO (what a date field sends) or the Italian gg/mm/aaaa; empty is None."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if MIN_YEAR <= parsed.year <= MAX_YEAR:
            return parsed
        break
    raise UserError(f"{label}: la data «{text[:40]}» non è valida, usare il formato gg/mm/aaaa.")


MONEY_LIMIT = Decimal("999999999999.99")  # what NUMERIC(14,2) holds
AMOUNT = re.compile(r"-?\d+(\.\d+)?")


def parse_money(text: str, label: str) -> Decimal | None:
    """An amount in euro as people type it: "1.234,56", "1234,56", "1234.56" or "€ 1 234"; empty is None.

    A single dot followed by exactly three digits is read as a thousands separator (Italian habit)."""
    cleaned = (text or "").replace("€", "").replace(" ", "").replace("\u00a0", "").strip()
    if not cleaned:
        return None
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1 or (cleaned.count(".") == 1 and len(cleaned.split(".")[1]) == 3):
        cleaned = cleaned.replace(".", "")
    if not AMOUNT.fullmatch(cleaned):
        raise UserError(f"{label}: importo non valido (esempio: 1.234,56).", field=label)
    amount = Decimal(cleaned)
    if amount.as_tuple().exponent < -2:
        raise UserError(f"{label}: indicare al massimo due decimali.", field=label)
    if abs(amount) > MONEY_LIMIT:
        raise UserError(f"{label}: importo troppo grande.", field=label)
    return amount.quantize(Decimal("0.01"))
