"""Moving a dossier to its next state (from the summary tab) and the history tab of its states."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.dossiers import lifecycle, procedures
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.dossiers.views.summary import SUMMARY, summary_values
from occ_core.errors import UserError
from occ_core.web.forms import parse_date, posted, refuse


@view_config(route_name="dossier_transition", request_method="POST", renderer=SUMMARY,
             permission="dossier:dossier:transition")
def dossier_transition(request):
    dossier = dossier_from_url(request)
    to_state, reason = posted(request, "to_state"), posted(request, "reason")
    effective_on = posted(request, "effective_on")
    try:
        lifecycle.move(request, dossier, to_state, reason, expected_from=posted(request, "from_state") or None,
                       effective_on=parse_date(effective_on, "Data dell'atto"))
    except UserError as error:
        return summary_values(request, dossier, refusal={
            "state": to_state, "message": refuse(request, error), "missing": getattr(error, "missing", []),
            "reason": reason, "effective_on": effective_on})
    request.flash(f"La pratica {dossier.reference} è passata allo stato "
                  f"«{procedures.state_label(request.tenant, dossier.state)}».")
    return HTTPFound(request.route_url("dossier", tenant=request.tenant.slug, id=dossier.id))


@view_config(route_name="dossier_history", renderer="occ_core:dossiers/templates/history.pt",
             permission="dossier:dossier:view")
def dossier_history(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "storico")
    return dossier_page(request, dossier, transitions=lifecycle.history(request.dbsession, dossier),
                        state_name=lambda code: procedures.state_label(request.tenant, code))


def includeme(config):
    config.add_tenant_route("dossier_transition", r"/dossiers/{id:\d{1,9}}/transition")
    config.add_tenant_route("dossier_history", r"/dossiers/{id:\d{1,9}}/history")
    config.scan("occ_core.dossiers.views.lifecycle")
