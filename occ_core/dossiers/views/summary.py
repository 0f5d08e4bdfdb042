"""The summary tab of a dossier (register data, figures, income and expenses, next steps, what the modules
add) and its printable summary."""
from __future__ import annotations

from pyramid.view import view_config

from occ_core.db import utcnow
from occ_core.dossiers import lifecycle, procedures, registration
from occ_core.dossiers.actions import audit_read
from occ_core.dossiers.pages import dossier_from_url, dossier_page
from occ_core.ledger.services import VIEW as ACCOUNTING_VIEW, dossier_balance

TEMPLATES = "occ_core:dossiers/templates/"
SUMMARY = TEMPLATES + "summary.pt"
EDIT = "dossier:dossier:edit"


def describe(request, dossier) -> dict:
    """Labels of the dossier's codes, in the Order's own names for the states."""
    procedure = procedures.PROCEDURES.get(dossier.procedure)
    return {
        "state_name": lambda code: procedures.state_label(request.tenant, code),
        "category_label": procedures.DEBTOR_CATEGORIES.get(dossier.debtor_category, dossier.debtor_category),
        "regime_label": procedures.REGIMES.get(procedure.regime, "") if procedure else "",
        "procedure_reference": procedure.reference if procedure else "",
        "figures": registration.figures(dossier),
        # The ledger keeps the movements; the summary shows its totals only to who may see the accounting.
        "totals": dossier_balance(request.dbsession, dossier) if request.has_permission(ACCOUNTING_VIEW) else None,
    }


# Template slot where the modules add their own sections to the summary (the agenda's next appointments);
# the dossier is the one of the URL.
SUMMARY_SLOT = "dossier.summary"


def summary_values(request, dossier, **forms) -> dict:
    """The summary tab; ``forms`` carries what a refused transition posted, to show it again."""
    return dossier_page(
        request, dossier, **describe(request, dossier),
        options=lifecycle.available_transitions(request.dbsession, dossier),
        can_edit=request.has_permission(EDIT),
        can_transition=request.has_permission("dossier:dossier:transition"),
        refusal=forms.get("refusal"),
        module_sections=[html for html in request.hooks.occ_template_slot(slot=SUMMARY_SLOT, request=request)
                         if html],
    )


@view_config(route_name="dossier", renderer=SUMMARY, permission="dossier:dossier:view")
def dossier_summary(request):
    dossier = dossier_from_url(request)
    audit_read(request, dossier, "riepilogo")
    return summary_values(request, dossier)


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
    config.scan("occ_core.dossiers.views.summary")
