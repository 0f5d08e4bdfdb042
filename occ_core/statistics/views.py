"""The «Statistiche» pages: the dashboard with its CSV exports, the Ministry's yearly monitoring (page, CSV,
ODT and PDF) and the printable reports of the register of the year."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.dossiers.procedures import PROCEDURES, procedure_label, state_label
from occ_core.errors import UserError
from occ_core.statistics import charts, dashboard, ministry, queries, report
from occ_core.statistics.hooks import REGISTER, VIEW
from occ_core.web import ui

TEMPLATES = "occ_core:statistics/templates/"
MINISTRY_TEMPLATE = TEMPLATES + "ministry.pt"
# The detailed register prints every party and step of each dossier: beyond this many, a procedure filter.
DETAILED_LIMIT = 500


def _url(request, route: str, query: dict | None = None, **parts) -> str:
    return request.route_url(route, tenant=request.tenant.slug, _query={k: v for k, v in (query or {}).items() if v},
                             **parts)


def chart_of(table: dashboard.Table):
    draw = {"columns": charts.columns, "bars": charts.bars}.get(table.chart)
    if draw is None:
        return None
    return draw(f"chart-{table.key}", table.title, table.points(), cell_formatter(table, table.value_column))


def cell_formatter(table: dashboard.Table, column: int):
    return ui.fmt_money if column in table.money_columns else format_number


def format_number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return ui.fmt_decimal(value)


def format_cell(table: dashboard.Table, column: int, value) -> str:
    if isinstance(value, str):
        return value
    return cell_formatter(table, column)(value)


def _refused(*messages: str) -> Response:
    """A CSV or document asked with wrong filters: the messages, as plain text, and nothing else."""
    return Response("\n".join(messages), status=400, content_type="text/plain", charset="utf-8")


@view_config(route_name="statistics", renderer=TEMPLATES + "dashboard.pt", permission=VIEW)
def dashboard_page(request):
    filters = dashboard.read_filters(request.GET, request.tenant.id)
    tables = {}
    if filters.scope is None:
        request.response.status = 400
    else:
        tables = dashboard.all_tables(request.dbsession, request.tenant, filters.scope)
    return {
        "page_title": "Statistiche", "filters": filters, "tables": tables, "procedures": PROCEDURES,
        "chart_of": chart_of, "format_cell": format_cell, "format_number": format_number,
        "export_url": lambda key: _url(request, "statistics_export", filters.raw, table=key),
        "ministry_url": _url(request, "statistics_ministry"),
    }


@view_config(route_name="statistics_export", permission=VIEW)
def export(request):
    build = dashboard.TABLES.get(request.matchdict["table"])
    if build is None:
        raise HTTPNotFound()
    filters = dashboard.read_filters(request.GET, request.tenant.id)
    if filters.scope is None:
        return _refused(*filters.errors.values())
    table = build(request.dbsession, request.tenant, filters.scope)
    audit(request, "statistics.exported", object_type="Tenant", object_id=request.tenant.id,
          details={"table": table.key, **filters.raw})
    scope = filters.scope
    return ui.csv_response(table.csv_rows(), f"statistiche-{table.key}-{scope.start.isoformat()}-"
                                             f"{scope.end.isoformat()}.csv")


# --- the Ministry's monitoring --------------------------------------------------------------------------------

def _year(request) -> tuple[int | None, str]:
    try:
        return ministry.parse_year(request.GET.get("year")), ""
    except UserError as error:
        return None, error.message


def ministry_values(request, year: int | None, error: str = "", notice: str = "") -> dict:
    db = request.dbsession
    built = ministry.build(db, request.tenant.id, year) if year is not None else None
    links = {name: _url(request, f"statistics_{name}", {"year": str(year)}) for name in
             ("ministry_csv", "ministry_odt", "ministry_pdf", "register", "register_detailed", "register_csv")
             } if built is not None else {}
    return {"page_title": "Monitoraggio ministeriale", "year": year, "report": built, "error": error,
            "notice": notice, "years": list(range(today().year, ministry.FIRST_YEAR - 1, -1)), "links": links,
            "dashboard_url": _url(request, "statistics"), "format_number": format_number, "notes": report.NOTES,
            "court_columns": ministry.COURT_COLUMNS}


@view_config(route_name="statistics_ministry", renderer=MINISTRY_TEMPLATE, permission=VIEW)
def ministry_page(request):
    year, error = _year(request)
    if error:
        request.response.status = 400
    return ministry_values(request, year, error)


@view_config(route_name="statistics_ministry_csv", permission=VIEW)
def ministry_csv(request):
    year, error = _year(request)
    if error:
        return _refused(error)
    audit(request, "statistics.ministry_exported", object_type="Tenant", object_id=request.tenant.id,
          details={"year": year, "format": "csv"})
    return ui.csv_response(ministry.build(request.dbsession, request.tenant.id, year).csv_rows(),
                           f"monitoraggio-{request.tenant.slug}-{year}.csv")


def _document(request, media_type: str, suffix: str, make):
    year, error = _year(request)
    if error:
        return _refused(error)
    built = ministry.build(request.dbsession, request.tenant.id, year)
    try:
        content = make(built)
    except UserError as error:
        # LibreOffice absent or failing: the page, with what to do instead.
        return render_to_response(MINISTRY_TEMPLATE, ministry_values(request, year, notice=error.message), request)
    audit(request, "statistics.ministry_exported", object_type="Tenant", object_id=request.tenant.id,
          details={"year": year, "format": suffix})
    response = Response(body=content, content_type=media_type)
    response.content_disposition = f'attachment; filename="monitoraggio-{request.tenant.slug}-{year}.{suffix}"'
    return response


@view_config(route_name="statistics_ministry_odt", permission=VIEW)
def ministry_odt(request):
    return _document(request, report.ODT_MEDIA_TYPE, "odt", lambda built: report.odt(request.tenant, built))


@view_config(route_name="statistics_ministry_pdf", permission=VIEW)
def ministry_pdf(request):
    return _document(request, "application/pdf", "pdf",
                     lambda built: report.pdf(request.registry.settings, request.tenant, built))


# --- the register's reports -----------------------------------------------------------------------------------

def _register(request, report_kind: str) -> dict:
    """The register of the year asked for, as ``report_kind`` (summary | detailed | csv) shows it."""
    year, error = _year(request)
    procedure = request.GET.get("procedure", "")
    procedure = procedure if isinstance(procedure, str) else ""
    if not error and procedure and procedure not in PROCEDURES:
        error = "Procedura: scegliere una procedura dell'elenco."
    values = {"year": year, "error": error, "procedure": procedure, "procedure_label": procedure_label,
              "state_label": lambda state: state_label(request.tenant, state), "tenant": request.tenant,
              "printed_on": today(), "back_url": _url(request, "statistics_ministry", {"year": str(year or "")}),
              "dossiers": [], "appointments": {}, "cut": False, "limit": DETAILED_LIMIT}
    if error:
        request.response.status = 400
        return values
    db = request.dbsession
    detailed = report_kind == "detailed"
    found = queries.register_dossiers(db, request.tenant.id, year, procedure, detailed=detailed,
                                      limit=DETAILED_LIMIT + 1 if detailed else None)
    if detailed:
        values["cut"] = len(found) > DETAILED_LIMIT
        found = found[:DETAILED_LIMIT]
        values["appointments"] = queries.appointments_of(db, [dossier.id for dossier in found])
    values["dossiers"] = found
    audit(request, "statistics.register_printed", object_type="Tenant", object_id=request.tenant.id,
          details={"year": year, "procedure": procedure, "report": report_kind, "dossiers": len(found)})
    return values


@view_config(route_name="statistics_register", renderer=TEMPLATES + "register.pt", permission=REGISTER)
def register_summary(request):
    return {"page_title": "Registro degli affari: riepilogo", **_register(request, "summary")}


@view_config(route_name="statistics_register_detailed", renderer=TEMPLATES + "register_detailed.pt",
             permission=REGISTER)
def register_detailed(request):
    return {"page_title": "Registro degli affari: dettaglio", **_register(request, "detailed")}


REGISTER_HEADERS = ("Numero", "Anno", "Data dell'istanza", "Debitore", "Codice fiscale o P. IVA", "Procedura",
                    "Gestore", "Stato", "Esito", "Data dell'esito")


@view_config(route_name="statistics_register_csv", permission=REGISTER)
def register_csv(request):
    values = _register(request, "csv")
    if values["error"]:
        return _refused(values["error"])
    rows = [REGISTER_HEADERS] + [
        (d.number, d.year, ui.fmt_date(d.filed_on), d.debtor_name, d.debtor_tax_code, procedure_label(d.procedure),
         d.gestore_names, values["state_label"](d.state), values["state_label"](d.outcome) if d.outcome else "",
         ui.fmt_date(d.outcome_on)) for d in values["dossiers"]]
    return ui.csv_response(rows, f"registro-{request.tenant.slug}-{values['year']}.csv")


def includeme(config):
    config.add_tenant_route("statistics", "/statistics")
    config.add_tenant_route("statistics_export", r"/statistics/export/{table:[a-z]{1,20}}.csv")
    config.add_tenant_route("statistics_ministry", "/statistics/ministry")
    config.add_tenant_route("statistics_ministry_csv", "/statistics/ministry.csv")
    config.add_tenant_route("statistics_ministry_odt", "/statistics/ministry.odt")
    config.add_tenant_route("statistics_ministry_pdf", "/statistics/ministry.pdf")
    config.add_tenant_route("statistics_register", "/statistics/register")
    config.add_tenant_route("statistics_register_detailed", "/statistics/register/detailed")
    config.add_tenant_route("statistics_register_csv", "/statistics/register.csv")
    config.scan("occ_core.statistics.views")
