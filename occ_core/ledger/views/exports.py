"""«Esportazioni»: a period's movements and prima nota for the accountant, and links to the other
accounting features' exports (invoices' XML zip, gestori's compensation) where they are installed."""
from __future__ import annotations

from datetime import date

from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.ledger import listing, primanota, services
from occ_core.ledger.views import TEMPLATES, url_if
from occ_core.web import ui
from occ_core.web.forms import param

EXPORTS = TEMPLATES + "exports.pt"


def chosen_period(request) -> tuple[dict, dict, date, date]:
    """The period of the query string, the current year by default; wrong dates are reported."""
    year = today().year
    raw = {"from": param(request, "from").strip()[:40] or f"{year}-01-01",
           "to": param(request, "to").strip()[:40] or f"{year}-12-31"}
    errors: dict[str, str] = {}
    start, end = listing.period(raw["from"], raw["to"], errors)
    return raw, errors, start or date(year, 1, 1), end or date(year, 12, 31)


@view_config(route_name="accounting_exports", renderer=EXPORTS, permission=services.EXPORT)
def exports(request):
    raw, errors, start, end = chosen_period(request)
    if errors:
        request.response.status = 400
    query = {"from": start.isoformat(), "to": end.isoformat()}
    slug = request.tenant.slug
    return {
        "page_title": "Esportazioni",
        "raw": raw,
        "errors": errors,
        "start": start,
        "end": end,
        "movements_url": request.route_url("accounting_export_movements", tenant=slug, _query=query),
        "primanota_url": request.route_url("accounting_export_primanota", tenant=slug, _query=query),
        "invoices_url": url_if(request, "invoices_export", _query=query),
        "compensation_url": url_if(request, "compensation_export", _query=query),
    }


def _download(request, kind: str, rows, filename: str):
    raw, errors, start, end = chosen_period(request)
    if errors:
        return exports(request)
    audit(request, f"ledger.export.{kind}", object_type="Export",
          details={"from": start.isoformat(), "to": end.isoformat()})
    return ui.csv_response(rows(start, end), f"{filename}-{start.isoformat()}-{end.isoformat()}.csv")


@view_config(route_name="accounting_export_movements", renderer=EXPORTS, permission=services.EXPORT)
def export_movements(request):
    return _download(request, "movements",
                     lambda start, end: listing.csv_rows(request.dbsession, listing.period_criteria(start, end)),
                     "movimenti")


@view_config(route_name="accounting_export_primanota", renderer=EXPORTS, permission=services.EXPORT)
def export_primanota(request):
    return _download(request, "primanota", lambda start, end: primanota.csv_rows(
        primanota.operations(request.dbsession, request.tenant.id, start, end)), "prima-nota")


def includeme(config):
    config.add_tenant_route("accounting_exports", "/accounting/exports")
    config.add_tenant_route("accounting_export_movements", "/accounting/exports/movimenti.csv")
    config.add_tenant_route("accounting_export_primanota", "/accounting/exports/prima-nota.csv")
    config.scan("occ_core.ledger.views.exports")
