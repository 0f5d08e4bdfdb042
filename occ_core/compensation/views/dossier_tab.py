"""The «Compensi» tab of a dossier: the split that applies (the Order's rule or the dossier's override), the
collections with the gestori's shares, the receipts still to be linked to an invoice, and the override form."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.compensation import collected, services, shares
from occ_core.compensation.views import TEMPLATES, page_values, url
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.gestori.models import Gestore
from occ_core.web.forms import posted, refuse


def includeme(config):
    config.add_tenant_route("dossier_compensation", r"/dossiers/{id:\d{1,9}}/compensation")
    config.scan("occ_core.compensation.views.dossier_tab")


def _tab_values(request, dossier, error=None, values=None) -> dict:
    db = request.dbsession
    items = shares.split_collections(db, request.tenant, dossier_ids={dossier.id})
    gestori = {g.id: g for g in db.scalars(select(Gestore).where(Gestore.id.in_(
        {share.gestore_id for item in items for share in item.shares})))}
    override = services.override_of(db, dossier)
    return dossier_page(request, dossier, **page_values(
        request, items=items, gestori=gestori, override=override, rule=shares.rule_percent(request.tenant),
        unmatched=collected.unmatched(db, dossier_ids={dossier.id}), error=error,
        values=values or {"gestore_percent": "", "reason": ""}))


@view_config(route_name="dossier_compensation", renderer=TEMPLATES + "dossier_tab.pt", permission=services.VIEW,
             request_method="GET")
def dossier_compensation(request):
    return _tab_values(request, dossier_from_url(request))


@view_config(route_name="dossier_compensation", renderer=TEMPLATES + "dossier_tab.pt",
             permission=services.MANAGE, request_method="POST")
def change_split(request):
    dossier = dossier_from_url(request)
    values = {"gestore_percent": posted(request, "gestore_percent"), "reason": posted(request, "reason")}
    try:
        if posted(request, "action") == "remove":
            if services.remove_override(request, dossier):
                request.flash("Ripristinata la ripartizione stabilita dall'Ordine.", "success")
        else:
            services.set_override(request, dossier, values["gestore_percent"], values["reason"])
            request.flash("Ripartizione della pratica salvata.", "success")
    except UserError as error:
        return _tab_values(request, dossier, refuse(request, error), values)
    return HTTPFound(url(request, "dossier_compensation", id=dossier.id))
