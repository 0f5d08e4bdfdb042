"""The «Protocollo» tab of a dossier: its registrations, and links to register new ones already filed in it."""
from __future__ import annotations

from pyramid.view import view_config

from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.protocol import search, services
from occ_core.protocol.views import TEMPLATES, page_values, url


@view_config(route_name="dossier_protocol", renderer=TEMPLATES + "dossier_tab.pt", permission=services.VIEW)
def dossier_protocol(request):
    dossier = dossier_from_url(request)
    rows = request.dbsession.execute(search.statement(search.Filters(dossier=dossier.reference))).all()
    query = {"dossier": dossier.reference}
    return dossier_page(request, dossier, **page_values(
        request, rows=rows, new_url=url(request, "protocol_new", _query=query),
        pec_url=url(request, "protocol_pec", _query=query)))


def includeme(config):
    config.add_tenant_route("dossier_protocol", "/dossiers/{id}/protocol")
    config.scan("occ_core.protocol.views.dossier_tab")
