"""/accounting/compensation: per gestore, what the period's collected fees gave him and where his invoices
stand; and the same figures per gestore and dossier as CSV for Excel."""
from __future__ import annotations

from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.audit.services import audit
from occ_core.compensation import collected, services
from occ_core.compensation.views import TEMPLATES, page_values, requested_period
from occ_core.dossiers.models import Dossier
from occ_core.gestori.models import Gestore
from occ_core.gestori.screening import gestore_name
from occ_core.web.ui import csv_response

CSV_HEADER = ("Gestore", "Codice fiscale", "Pratica", "Compensi incassati", "Quota del gestore",
              "Fatturato (compenso)", "Fatturato netto da pagare", "Pagato", "Da fatturare", "Da pagare",
              "Ritenute trattenute")


def includeme(config):
    config.add_tenant_route("compensation", "/accounting/compensation")
    config.add_tenant_route("compensation_export", "/accounting/compensation/export")
    config.scan("occ_core.compensation.views.overview")


def _gestori(request, ids) -> dict[int, Gestore]:
    return {g.id: g for g in request.dbsession.scalars(select(Gestore).where(Gestore.id.in_(list(ids))))}


@view_config(route_name="compensation", renderer=TEMPLATES + "overview.pt", permission=services.VIEW)
def overview(request):
    period, error = requested_period(request)
    result = services.compensation(request.dbsession, request.tenant, period)
    gestori = _gestori(request, result.gestore_ids())
    rows = sorted(((gestori[i], result.of_gestore(i)) for i in result.gestore_ids()),
                  key=lambda row: gestore_name(row[0]))
    pending = collected.unmatched(request.dbsession, period.start, period.end)
    return page_values(request, page_title="Compensi dei gestori", period=period, rows=rows, error=error,
                       unmatched=pending, all_gestori=sorted(request.dbsession.scalars(select(Gestore)),
                                                             key=gestore_name))


def csv_rows(request, period: services.Period) -> list:
    result = services.compensation(request.dbsession, request.tenant, period)
    gestori = _gestori(request, result.gestore_ids())
    dossier_ids = {dossier_id for _gestore, dossier_id in result.figures if dossier_id is not None}
    references = {d.id: d.reference for d in request.dbsession.scalars(
        select(Dossier).where(Dossier.id.in_(list(dossier_ids))))}
    rows = [CSV_HEADER]
    ordered = sorted(result.figures.items(), key=lambda item: (gestore_name(gestori[item[0][0]]),
                                                              references.get(item[0][1], "")))
    for (gestore_id, dossier_id), figures in ordered:
        gestore = gestori[gestore_id]
        rows.append((gestore_name(gestore), gestore.registrant.codice_fiscale if gestore.registrant else "",
                     references.get(dossier_id, "(fatture non riferite a una pratica)"), figures.collected, figures.share,
                     figures.invoiced, figures.invoiced_total, figures.paid, figures.to_invoice, figures.to_pay,
                     figures.withheld))
    return rows


@view_config(route_name="compensation_export", request_method="GET", permission=services.VIEW)
def export(request):
    period, error = requested_period(request)
    if error:
        return Response(error, status=400, content_type="text/plain", charset="utf-8")
    rows = csv_rows(request, period)
    audit(request, "compensation.exported", object_type="Tenant", object_id=request.tenant.id,
          details={"from": period.start.isoformat(), "to": period.end.isoformat(), "rows": len(rows) - 1})
    return csv_response(rows, f"compensi-gestori-{period.start.isoformat()}-{period.end.isoformat()}.csv")
