"""The Order's open deadlines (/deadlines): filters by status, who must act and procedure; CSV export."""
from __future__ import annotations

from dataclasses import dataclass

from pyramid.renderers import render_to_response
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.deadlines import catalogue, preferences, queries
from occ_core.deadlines.views import TEMPLATES
from occ_core.dossiers.procedures import PROCEDURES, procedure_label
from occ_core.errors import UserError
from occ_core.web import ui
from occ_core.web.forms import param

TEMPLATE = TEMPLATES + "list.pt"
VIEW = "deadlines:deadline:view"
STATUSES = {"in_scadenza": "In scadenza", "scadute": "Scadute"}


def includeme(config):
    config.add_tenant_route("deadlines", "/deadlines")
    config.add_tenant_route("deadlines_export", "/deadlines/export.csv")
    config.scan("occ_core.deadlines.views.listing")


@dataclass(frozen=True)
class Filters:
    status: str = ""
    who: str = ""
    procedure: str = ""

    @classmethod
    def read(cls, request) -> Filters:
        filters = cls(param(request, "status"), param(request, "who"), param(request, "procedure"))
        for value, choices, label in ((filters.status, STATUSES, "Stato"), (filters.who, catalogue.WHO, "A cura di"),
                                      (filters.procedure, PROCEDURES, "Procedura")):
            if value and value not in choices:
                raise UserError(f"{label}: scelta non valida.")
        return filters

    def query(self) -> dict:
        return {key: value for key, value in vars(self).items() if value}


def found(request, filters: Filters) -> list[tuple]:
    """(deadline, status) of the open deadlines the filters keep, earliest first."""
    db, now, days = request.dbsession, today(), preferences.window_days(request.tenant)
    if filters.status == "in_scadenza":
        rows = queries.due_soon(db, now, days)
    elif filters.status == "scadute":
        rows = queries.overdue(db, now)
    else:
        rows = queries.open_deadlines(db)
    return [(d, queries.status_of(d, now, days)) for d in rows
            if (not filters.who or d.who == filters.who)
            and (not filters.procedure or d.dossier.procedure == filters.procedure)]


def _values(request, filters: Filters, rows: list, error: str | None = None) -> dict:
    return {
        "page_title": "Scadenze delle pratiche", "filters": filters, "error": error,
        "pager": ui.paginate_list(request, rows), "statuses": STATUSES, "who": catalogue.WHO,
        "procedures": {code: spec.label for code, spec in PROCEDURES.items()}, "procedure_label": procedure_label,
        "labels": queries.STATUS_LABELS, "badges": queries.STATUS_BADGES,
        "export_url": request.route_url("deadlines_export", tenant=request.tenant.slug, _query=filters.query()),
        "can_edit_rules": request.has_permission("deadlines:rules:edit"),
    }


def _read(request):
    """The filters, or None and the unfiltered page with the message (400)."""
    try:
        return Filters.read(request), None
    except UserError as error:
        request.response.status = 400
        values = _values(request, Filters(), found(request, Filters()), error.message)
        return None, render_to_response(TEMPLATE, values, request, response=request.response)


@view_config(route_name="deadlines", renderer=TEMPLATE, permission=VIEW)
def deadline_list(request):
    filters, refusal = _read(request)
    return refusal if filters is None else _values(request, filters, found(request, filters))


@view_config(route_name="deadlines_export", permission=VIEW)
def deadline_export(request):
    filters, refusal = _read(request)
    if filters is None:
        return refusal
    table = [["Data", "Tipo", "Pratica", "Debitore", "Procedura", "Adempimento", "A cura di", "Stato", "Regola"]]
    for d, status in found(request, filters):
        table.append([ui.fmt_date(d.due_on), d.kind, d.dossier.reference, d.dossier.debtor_name,
                      procedure_label(d.dossier.procedure), d.label, catalogue.WHO.get(d.who, d.who),
                      queries.STATUS_LABELS[status], d.rule.code if d.rule is not None else "manuale"])
    audit(request, "deadline.list_exported", object_type="Deadline",
          details={"filters": filters.query(), "rows": len(table) - 1})
    return ui.csv_response(table, f"scadenze-{request.tenant.slug}.csv")
