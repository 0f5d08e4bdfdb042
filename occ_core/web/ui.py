"""Helpers for templates and views: flash messages, dates and money in Italian, CSV for Excel."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pyramid.renderers import get_renderer
from pyramid.response import Response

from shared_registry.services import FORMULA_GUARD, FORMULA_STARTS
from sqlalchemy import func, select

from occ_core.clock import ROME


def flash(request, message: str, kind: str = "success"):
    request.session.flash({"text": message, "kind": kind})


def messages(request) -> list[dict]:
    # Popping marks the session changed, which signs and sends the cookie again: only pop what is there.
    return request.session.pop_flash() if request.session.peek_flash() else []


def fmt_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(ROME).strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value) -> str:
    return "" if value is None else value.astimezone(ROME).strftime("%d/%m/%Y %H:%M")


def fmt_decimal(value) -> str:
    return "" if value is None else format(value, "f").replace(".", ",")


def fmt_money(value) -> str:
    """``Decimal("1234.5")`` -> ``"€ 1.234,50"``; empty for None."""
    if value is None:
        return ""
    text = f"{value:,.2f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"€ {text}"


def fmt_amount(value) -> str:
    """An amount as a form shows it, the Italian way and without the euro sign: ``"20.000,00"``."""
    return "" if value in (None, "") else fmt_money(Decimal(value))[2:]


def fmt_number(value) -> str:
    """A rate or a quantity as a form shows it, without trailing zeros: ``"15"``, ``"12,5"``."""
    return "" if value in (None, "") else fmt_decimal(Decimal(value).normalize())


def iso(value) -> str:
    return "" if value is None else value.isoformat()


def date_input_type(value) -> str:
    """``"date"`` for an empty or ISO value, ``"text"`` otherwise: a date input shows a wrong value as empty,
    so a form shown again after an error could not show what the user typed."""
    if not value:
        return "date"
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return "text"
    return "date" if len(str(value)) == 10 else "text"


def csv_cell(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe, as Excel
    itself writes it; the registry import removes it again (shared_registry.services.FORMULA_GUARD)."""
    if isinstance(value, Decimal):
        return fmt_decimal(value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return FORMULA_GUARD + value
    return value


def csv_bytes(rows) -> bytes:
    """CSV that Excel opens correctly in Italy: UTF-8 with BOM, semicolon separator."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_response(rows, filename: str) -> Response:
    response = Response(body=csv_bytes(rows), content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="{filename}"'
    return response


PER_PAGE = 50


@dataclass
class Pager:
    """One page of a list; ``url(n)`` keeps the list's other query parameters (filters)."""

    request: object
    number: int
    total: int
    items: list
    per_page: int = PER_PAGE
    # The list's address with its filters, for a list shown at another address (a form's refused POST).
    list_url: str | None = None

    @property
    def pages(self) -> int:
        return _page_count(self.total, self.per_page)

    def url(self, number: int) -> str:
        if self.list_url is not None:
            return f"{self.list_url}{'&' if '?' in self.list_url else '?'}page={number}"
        query = [(key, value) for key, value in self.request.GET.items() if key != "page"]
        return self.request.current_route_url(_query=query + [("page", str(number))])


def _page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _page_number(request, total: int, per_page: int) -> int:
    """``?page=N`` clamped to the existing pages: a stale or hand-typed number is not an error."""
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    return min(max(number, 1), _page_count(total, per_page))


def paginate(request, statement, per_page: int = PER_PAGE) -> Pager:
    """One page of an ORM select; ``items`` are the rows as ``execute`` returns them."""
    db = request.dbsession
    total = db.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    number = _page_number(request, total, per_page)
    rows = db.execute(statement.limit(per_page).offset((number - 1) * per_page)).all()
    return Pager(request, number, total, rows, per_page)


def paginate_list(request, items: list, per_page: int = PER_PAGE) -> Pager:
    number = _page_number(request, len(items), per_page)
    return Pager(request, number, len(items), items[(number - 1) * per_page:number * per_page], per_page)


def pagination_macro():
    """The ``pagination`` macro (it needs ``pager``), for the templates of the core and of the modules."""
    return get_renderer("occ_core:web/templates/pagination.pt").implementation().macros["pagination"]
