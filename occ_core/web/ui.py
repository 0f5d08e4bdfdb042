"""Helpers for templates and views: flash messages, dates and money in Italian, CSV for Excel."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pyramid.response import Response

ROME = ZoneInfo("Europe/Rome")


def flash(request, message: str, kind: str = "success"):
    request.session.flash({"text": message, "kind": kind})


def messages(request) -> list[dict]:
    return request.session.pop_flash()


def fmt_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(ROME).strftime("%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value) -> str:
    return "" if value is None else value.astimezone(ROME).strftime("%d/%m/%Y %H:%M")


def fmt_money(value) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    return "€ " + text.replace(",", "X").replace(".", ",").replace("X", ".")


def fmt_decimal(value) -> str:
    return "" if value is None else format(value, "f").replace(".", ",")


def iso(value) -> str:
    return "" if value is None else value.isoformat()


def csv_response(rows, filename: str) -> Response:
    """CSV that Excel opens correctly in Italy: UTF-8 with BOM, semicolon separator."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([fmt_decimal(v) if isinstance(v, Decimal) else v for v in row])
    response = Response(body=("\ufeff" + buffer.getvalue()).encode("utf-8"),
                        content_type="text/csv", charset="utf-8")
    response.content_disposition = f'attachment; filename="{filename}"'
    return response


def is_active(request, url: str, prefix: str = "") -> bool:
    target = prefix or url
    return request.path_url == url or (bool(prefix) and request.path.startswith(prefix))


def today() -> date:
    return date.today()


def nav_items(request) -> list:
    """The menu: the Order's (filled by hooks of the core and of the active modules) or the operator's."""
    if request.identity is None:
        return []
    if request.tenant is not None and request.membership is not None:
        groups = request.hooks.occ_navigation_items(request=request)
        return sorted((item for group in groups for item in group or ()), key=lambda item: item.order)
    if request.path.startswith("/admin") and request.identity.is_operator:
        from occ_core.plugins import NavItem

        return [NavItem("Ordini", "/admin", order=10, active_prefix="/admin/tenants"),
                NavItem("Posta in uscita", "/admin/outbox", order=20, active_prefix="/admin/outbox"),
                NavItem("Registro accessi", "/admin/audit", order=30, active_prefix="/admin/audit")]
    return []
