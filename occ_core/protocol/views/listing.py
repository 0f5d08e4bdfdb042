"""The protocol's list: search, filters, pages and the CSV export of what the filters select."""
from __future__ import annotations

from urllib.parse import urlencode

from pyramid.renderers import render_to_response
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from occ_core.audit.services import audit
from occ_core.dossiers.listing import InvalidFilters
from occ_core.protocol import search, services
from occ_core.protocol.models import Registration
from occ_core.protocol.views import TEMPLATES, page_values, url
from occ_core.web import ui

TEMPLATE = TEMPLATES + "list.pt"
PER_PAGE = 25
CSV_HEADER = ["Registro", "Anno", "Numero", "Data e ora di registrazione", "Direzione", "Oggetto", "Mittente",
              "Destinatari", "Mezzo", "Data del documento ricevuto", "Numero del documento ricevuto", "Pratica",
              "Classificazione", "Assegnatario", "Ufficio", "Documenti", "Annullata il", "Motivo dell'annullamento",
              "Provvedimento di annullamento"]


def _values(request, **extra) -> dict:
    values = {"page_title": "Protocollo", "errors": {}, "rows": [], "pager": None, "filtered": False,
              "export_url": "", "annulled_choices": search.ANNULLED,
              "assignees": services.staff_members(request.dbsession, request.tenant.id),
              "form": {name: request.GET.get(name, "") for name in search.Filters.__dataclass_fields__}}
    return page_values(request, **{**values, **extra})


@view_config(route_name="protocol", renderer=TEMPLATE, permission=services.VIEW)
def protocol_list(request):
    try:
        filters = search.Filters.from_params(request.GET)
    except InvalidFilters as error:
        request.response.status = 400
        return _values(request, errors=error.errors)
    pager = ui.paginate(request, search.statement(filters), PER_PAGE)
    query = filters.params()
    return _values(request, rows=pager.items, pager=pager, filtered=filters.active,
                   export_url=url(request, "protocol_export") + (f"?{urlencode(query)}" if query else ""))


@view_config(route_name="protocol_export", permission=services.VIEW)
def protocol_export(request):
    try:
        filters = search.Filters.from_params(request.GET)
    except InvalidFilters as error:
        request.response.status = 400
        return render_to_response(TEMPLATE, _values(request, errors=error.errors), request, response=request.response)
    db = request.dbsession
    rows = db.execute(search.statement(filters).options(
        selectinload(Registration.correspondents), selectinload(Registration.files),
        selectinload(Registration.annulment))).all()
    people = services.user_names(db, [row[0].assigned_to_id for row in rows])
    table = [CSV_HEADER]
    for registration, code, dossier_year, dossier_number, _annulled_at in rows:
        annulment = registration.annulment
        table.append([
            code, registration.year, services.numbering.format_number(registration.number),
            ui.fmt_datetime(registration.registered_at), services.DIRECTIONS[registration.direction],
            registration.subject, services.shown("mittente", services.current_value(registration, "mittente")),
            services.shown("destinatari", services.current_value(registration, "destinatari")),
            services.MEANS.get(registration.means, registration.means), ui.fmt_date(registration.received_doc_date),
            registration.received_doc_number, f"{dossier_number}/{dossier_year}" if dossier_number else "",
            registration.classification, people.get(registration.assigned_to_id, ""), registration.assigned_office,
            len(registration.files),
            ui.fmt_datetime(annulment.annulled_at) if annulment else "", annulment.reason if annulment else "",
            f"{annulment.act_reference} del {ui.fmt_date(annulment.act_date)}" if annulment else "",
        ])
    audit(request, "protocol.list_exported", object_type="Registration",
          details={"filters": filters.params(), "rows": len(table) - 1})
    return ui.csv_response(table, f"protocollo-{request.tenant.slug}.csv")


def includeme(config):
    config.add_tenant_route("protocol", "/protocol")
    config.add_tenant_route("protocol_export", "/protocol/export.csv")
    config.scan("occ_core.protocol.views.listing")
