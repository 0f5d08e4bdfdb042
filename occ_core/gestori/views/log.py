"""The appointment log with its verification, and the report on how assignments were distributed."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from pyramid.view import view_config
from sqlalchemy import select

from occ_core.accounts.models import User
from occ_core.clock import ROME, today
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.gestori import chain, screening
from occ_core.gestori.models import AppointmentLogEntry
from occ_core.gestori.screening import STATUSES, gestore_name
from occ_core.gestori.views import TEMPLATES
from occ_core.web import ui
from occ_core.web.forms import parse_date, refuse


def includeme(config):
    config.add_tenant_route("gestori_log", "/gestori/log")
    config.add_tenant_route("gestori_report", "/gestori/report")
    config.add_tenant_route("gestori_report_export", "/gestori/report.csv")
    config.scan("occ_core.gestori.views.log")


def _names(items) -> str:
    return ", ".join(item.get("name", "") for item in items)


def describe_entry(entry: AppointmentLogEntry) -> str:
    """One line saying what the entry records, from its payload."""
    p = entry.payload or {}
    if entry.kind == "proposal":
        proposed = p.get("proposed_name") or "nessun gestore idoneo"
        return f"Proposto: {proposed} ({len(p.get('ranked', []))} idonei, {len(p.get('excluded', []))} esclusi)"
    if entry.kind == "draw":
        return (f"Sorteggiato {p.get('chosen_name', '')} tra {len(p.get('candidates', []))} gestori "
                f"(seme {p.get('seed', '')})")
    if entry.kind == "appointment":
        reason = f"; motivo della scelta: {p['reason']}" if p.get("reason") else ""
        return f"Nominato: {_names(p.get('gestori', []))}{reason}"
    if entry.kind == "replacement":
        return f"{p.get('name', '')} sostituito da {p.get('new', {}).get('name', '')}: {p.get('reason', '')}"
    if entry.kind == "decline":
        return f"{p.get('name', '')} ha rifiutato" + (f": {p['reason']}" if p.get("reason") else "")
    if entry.kind in ("acceptance", "independence"):
        return p.get("name", "")
    return ""


@view_config(route_name="gestori_log", renderer=TEMPLATES + "log.pt", permission="gestori:log:view")
def log_page(request):
    db = request.dbsession
    verification = chain.verification_message(db, request.tenant.id) if request.GET.get("verify") else None
    pager = ui.paginate(request, select(AppointmentLogEntry, Dossier, User.full_name)
                        .outerjoin(Dossier, Dossier.id == AppointmentLogEntry.dossier_id)
                        .outerjoin(User, User.id == AppointmentLogEntry.user_id)
                        .order_by(AppointmentLogEntry.seq.desc()))
    return {"page_title": "Registro delle nomine", "pager": pager, "kinds": chain.KINDS,
            "describe": describe_entry, "verification": verification}


def _period(request) -> tuple[date, date]:
    """The report's period (default: from 1 January to today); both ends included."""
    day = today()
    start = parse_date(request.GET.get("from", ""), "Dal") or date(day.year, 1, 1)
    end = parse_date(request.GET.get("to", ""), "Al") or day
    if end < start:
        raise UserError("Il periodo finisce prima di cominciare: controlli le date.")
    return start, end


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, ROME).astimezone(timezone.utc)


def report_rows(db, tenant_id: int, start: date, end: date) -> list[dict]:
    counted = screening.loads(db, tenant_id, _utc_midnight(start), _utc_midnight(end + timedelta(days=1)))
    rows = []
    for gestore in screening.all_gestori(db, tenant_id):
        count, weighted = counted.get(gestore.id, (0, Decimal("0.00")))
        rows.append({"name": gestore_name(gestore), "status": STATUSES.get(gestore.status, gestore.status),
                     "count": count, "weighted": weighted, "gestore": gestore})
    return sorted(rows, key=lambda row: row["name"].casefold())


def _report(request):
    start, end = _period(request)
    return start, end, report_rows(request.dbsession, request.tenant.id, start, end)


@view_config(route_name="gestori_report", renderer=TEMPLATES + "report.pt", permission="gestori:log:view")
def report_page(request):
    error = None
    try:
        start, end, rows = _report(request)
    except UserError as refused:
        error = refuse(request, refused)
        start, end, rows = None, None, []
    active = [row for row in rows if row["gestore"].status == "attivo"]
    spread = {key: max(r[key] for r in active) - min(r[key] for r in active) for key in ("count", "weighted")} \
        if active else None
    return {
        "page_title": "Distribuzione degli incarichi", "rows": rows, "error": error, "spread": spread,
        "start": ui.iso(start) if start else request.GET.get("from", "")[:20],
        "end": ui.iso(end) if end else request.GET.get("to", "")[:20],
        "total": sum(r["count"] for r in rows), "total_weighted": sum((r["weighted"] for r in rows), Decimal("0.00")),
        "export_url": request.route_url("gestori_report_export", tenant=request.tenant.slug,
                                        _query={"from": ui.iso(start), "to": ui.iso(end)}) if start else None,
    }


@view_config(route_name="gestori_report_export", permission="gestori:log:view")
def report_export(request):
    try:
        start, end, rows = _report(request)
    except UserError as refused:
        request.response.status = 400
        request.response.text = refused.message
        return request.response
    lines = [["Gestore", "Stato", f"Incarichi dal {start:%d/%m/%Y} al {end:%d/%m/%Y}", "Incarichi pesati"]]
    lines += [[row["name"], row["status"], row["count"], row["weighted"]] for row in rows]
    return ui.csv_response(lines, f"distribuzione-incarichi-{start}-{end}.csv")
