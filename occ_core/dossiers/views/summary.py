"""The summary tab of a dossier (register data, figures, movements, next steps, what the modules add) and
its printable summary."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config

from occ_core.db import utcnow
from occ_core.dossiers import lifecycle, procedures, registration
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.fields import InvalidData
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.dossiers.views.registration import form_field, form_macros
from occ_core.errors import UserError
from occ_core.web.forms import posted, refuse

TEMPLATES = "occ_core:dossiers/templates/"
SUMMARY = TEMPLATES + "summary.pt"
EDIT = "dossier:dossier:edit"
MOVE = registration.MOVEMENT_FIELDS
MOVEMENT_FORM = (
    form_field(MOVE, "on", input="date", width="col-md-3"),
    form_field(MOVE, "direction", input="select", options=registration.DIRECTIONS, width="col-md-3"),
    form_field(MOVE, "amount", width="col-md-3", hint="In euro, ad esempio 1.250,00."),
    form_field(MOVE, "description", width="col-md-12"),
)


def describe(request, dossier) -> dict:
    """Labels of the dossier's codes, in the Order's own names for the states."""
    procedure = procedures.PROCEDURES.get(dossier.procedure)
    return {
        "state_name": lambda code: procedures.state_label(request.tenant, code),
        "category_label": procedures.DEBTOR_CATEGORIES.get(dossier.debtor_category, dossier.debtor_category),
        "regime_label": procedures.REGIMES.get(procedure.regime, "") if procedure else "",
        "procedure_reference": procedure.reference if procedure else "",
        "figures": registration.figures(dossier),
        "totals": registration.movement_totals(dossier),
        "directions": registration.DIRECTIONS,
    }


# Template slot where the modules add their own sections to the summary (the agenda's next appointments);
# the dossier is the one of the URL.
SUMMARY_SLOT = "dossier.summary"


def summary_values(request, dossier, **forms) -> dict:
    """The summary tab; ``forms`` carries what a refused form posted (values, errors), to show it again."""
    return dossier_page(
        request, dossier, **describe(request, dossier),
        options=lifecycle.available_transitions(request.dbsession, dossier),
        can_edit=request.has_permission(EDIT),
        can_transition=request.has_permission("dossier:dossier:transition"),
        movement_form=forms.get("movement_form", {"values": {"direction": "entrata"}, "errors": {}}),
        refusal=forms.get("refusal"),
        problem=forms.get("problem"),
        manual=registration.MANUAL,
        movement_fields=MOVEMENT_FORM,
        module_sections=[html for html in request.hooks.occ_template_slot(slot=SUMMARY_SLOT, request=request)
                         if html],
        form=form_macros(),
    )


@view_config(route_name="dossier", renderer=SUMMARY, permission="dossier:dossier:view")
def dossier_summary(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "riepilogo")
    return summary_values(request, dossier)


def _back(request, dossier, anchor: str) -> HTTPFound:
    return HTTPFound(request.route_url("dossier", tenant=request.tenant.slug, id=dossier.id, _anchor=anchor))


def _add(request, add, fields, form_key: str, anchor: str, done: str):
    """Add a movement from the summary's form; a refused one shows the form again (400)."""
    dossier = dossier_from_url(request)
    data = {name: posted(request, name) for name in fields}
    try:
        add(request, dossier, data)
    except InvalidData as error:
        refuse(request, error)
        return summary_values(request, dossier, **{form_key: {"values": data, "errors": error.errors}})
    request.flash(done)
    return _back(request, dossier, anchor)


def _remove(request, remove, items_of, anchor: str, done: str):
    dossier = dossier_from_url(request)
    item = registration.find_child(items_of(dossier), request.matchdict["item_id"])
    if item is None:
        raise HTTPNotFound()
    try:
        remove(request, dossier, item)
    except UserError as error:
        return summary_values(request, dossier, problem=refuse(request, error))
    request.flash(done)
    return _back(request, dossier, anchor)


@view_config(route_name="dossier_movement_add", request_method="POST", renderer=SUMMARY, permission=EDIT)
def movement_add(request):
    return _add(request, registration.add_movement, registration.MOVEMENT_FIELDS, "movement_form", "movements",
                "Movimento registrato.")


@view_config(route_name="dossier_movement_remove", request_method="POST", renderer=SUMMARY, permission=EDIT)
def movement_remove(request):
    return _remove(request, registration.remove_movement, lambda d: d.movements, "movements",
                   "Movimento eliminato.")


@view_config(route_name="dossier_print", renderer=TEMPLATES + "print.pt", permission="dossier:dossier:view")
def dossier_print(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "stampa")
    return {
        **describe(request, dossier),
        "dossier": dossier,
        "page_title": f"Pratica {dossier.reference}",
        "state_label": procedures.state_label(request.tenant, dossier.state),
        "procedure_label": procedures.procedure_label(dossier.procedure),
        "transitions": lifecycle.history(request.dbsession, dossier),
        "now": utcnow(),
    }


def includeme(config):
    config.add_tenant_route("dossier", r"/dossiers/{id:\d{1,9}}")
    config.add_tenant_route("dossier_print", r"/dossiers/{id:\d{1,9}}/print")
    config.add_tenant_route("dossier_movement_add", r"/dossiers/{id:\d{1,9}}/movements")
    config.add_tenant_route("dossier_movement_remove", r"/dossiers/{id:\d{1,9}}/movements/{item_id:\d{1,9}}/delete")
    config.scan("occ_core.dossiers.views.summary")
