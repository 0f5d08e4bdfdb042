"""The dossier's «Preventivo» tab: the estimate form prefilled from the dossier, its saved versions, and the
printable preventivo of a version (DM 202/2014 art. 10 co. 3: communicated to the debtor before the
engagement)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config

from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.errors import UserError
from occ_core.fees import inputs, services
from occ_core.fees.calculation import READINGS
from occ_core.fees.preferences import PROPOSED
from occ_core.fees.views import (
    TEMPLATES, blank_form, estimate_form, euro, form_context, form_values, macros, percent, raw_inputs)
from occ_core.web.forms import posted, refuse
from occ_core.web.ui import fmt_amount


def includeme(config):
    config.add_tenant_route("dossier_fee_estimates", r"/dossiers/{id:\d{1,9}}/fees")
    config.add_tenant_route("dossier_fee_estimate_print", r"/dossiers/{id:\d{1,9}}/fees/{version:\d{1,6}}/print")
    config.scan("occ_core.fees.views.dossier")


def prefilled(request, dossier, latest) -> dict:
    """The inputs of the estimate last saved, so that after saving the form shows what was saved; without one,
    the dossier's figures and the Order's defaults."""
    if latest is not None:
        return estimate_form(latest.inputs, latest.proposed)
    defaults = services.dossier_defaults(dossier)
    return blank_form(request, attivo=fmt_amount(defaults["attivo"]), passivo=fmt_amount(defaults["passivo"]),
                      liquidation="1" if defaults["liquidation"] else "",
                      incapiente="1" if defaults["incapiente"] else "")


def tab(request, dossier, values: dict, asked=None, error=None) -> dict:
    return dossier_page(request, dossier, **form_context(request, values, asked, error),
                        estimates=services.estimates_of(request.dbsession, dossier),
                        can_create=request.has_permission(services.CREATE))


@view_config(route_name="dossier_fee_estimates", request_method="GET", renderer=TEMPLATES + "dossier_tab.pt",
             permission=services.VIEW)
def dossier_estimates(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "fees")
    latest = services.latest_estimate(request.dbsession, dossier)
    values = prefilled(request, dossier, latest)
    # The dossier's declared figures (or the last estimate's inputs) are estimated at once, so the tab never
    # opens on a form without its result; stored figures always pass the estimate's checks.
    declared = latest is not None or dossier.attivo is not None or bool(dossier.passivo)
    asked = inputs.read(raw_inputs(values), request.tenant) if declared else None
    return tab(request, dossier, values, asked)


@view_config(route_name="dossier_fee_estimates", request_method="POST", renderer=TEMPLATES + "dossier_tab.pt",
             permission=services.CREATE)
def dossier_estimate_save(request):
    dossier = dossier_from_url(request)
    values = form_values(request)
    try:
        asked = inputs.read(raw_inputs(values), request.tenant)
        estimate = services.save_estimate(request, dossier, asked, posted(request, "notes"))
    except UserError as error:
        return tab(request, dossier, values, error=UserError(refuse(request, error), error.field))
    request.flash(f"Preventivo versione {estimate.version} salvato.")
    return HTTPFound(request.route_url("dossier_fee_estimates", tenant=request.tenant.slug, id=dossier.id,
                                       _anchor=f"estimate-{estimate.version}"))


@view_config(route_name="dossier_fee_estimate_print", renderer=TEMPLATES + "print.pt", permission=services.VIEW)
def estimate_print(request):
    dossier = dossier_from_url(request)
    estimate = services.estimate_version(request.dbsession, dossier, int(request.matchdict["version"]))
    if estimate is None:
        raise HTTPNotFound()
    audit_read(request, dossier, "fees.print")
    return {"dossier": dossier, "estimate": estimate, "body": estimate.result, "tenant": request.tenant,
            "readings": READINGS, "proposals": PROPOSED, "fee_macros": macros(), "euro": euro, "percent": percent,
            "page_title": f"Preventivo della pratica {dossier.reference} (versione {estimate.version})"}
