"""The Order's criteria of appointment and its reading of the training rule (/settings/appointments)."""
from __future__ import annotations

from decimal import Decimal

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.gestori import chain, policy as policies, training
from occ_core.gestori.views import TEMPLATES, form_reader
from occ_core.web import ui
from occ_core.web.forms import refuse

EMPTY_ROWS = 2


def includeme(config):
    config.add_tenant_route("appointment_settings", "/settings/appointments")
    config.scan("occ_core.gestori.views.settings")


def _values(request, policy: policies.Policy, rule: str) -> dict:
    """What the form shows: the posted values after an error, else the stored ones."""
    if request.method == "POST":
        value, values = form_reader(request)
        data = {name: value(name) for name in (
            "rotation", "rotation_months", "competence", "territory", "workload", "max_open", "draw", "draw_size",
            "passivo_over", "creditor_over", "training_rule")}
        data["passivo"] = list(zip(values("passivo_limit"), values("passivo_weight")))
        data["creditors"] = list(zip(values("creditor_limit"), values("creditor_weight")))
        return data
    stored = policy.as_preference()
    return {
        **{key: str(stored[key]) for key in ("rotation", "rotation_months", "competence", "territory", "max_open",
                                              "draw", "draw_size", "passivo_over", "creditor_over")},
        "workload": "1" if policy.workload else "",
        "passivo": [(ui.fmt_money(Decimal(limit)).removeprefix("€ "), weight.replace(".", ","))
                    for limit, weight in stored["passivo_brackets"]]
        + [("", "")] * EMPTY_ROWS,
        "creditors": [(limit.split(".")[0], weight.replace(".", ",")) for limit, weight in stored["creditor_brackets"]]
        + [("", "")] * EMPTY_ROWS,
        "training_rule": rule,
    }


@view_config(route_name="appointment_settings", renderer=TEMPLATES + "settings.pt", permission="gestori:settings:edit")
def appointment_settings(request):
    tenant = request.tenant
    current, rule = policies.policy_of(tenant), training.rule_of(tenant)
    error = None
    if request.method == "POST":
        value, values = form_reader(request)
        try:
            new = policies.parse_form(value, values)
            new_rule = value("training_rule")
            if new_rule not in training.RULES:
                raise UserError("Lettura dell'obbligo formativo: scelta non valida.", field="training_rule")
        except UserError as refused:
            error = refuse(request, refused)
        else:
            if new == current and new_rule == rule:
                request.flash("Nessuna modifica da salvare.", "info")
            else:
                tenant.preferences = {**(tenant.preferences or {}), policies.PREFERENCE: new.as_preference(),
                                      training.RULE_PREFERENCE: new_rule}
                payload = {"policy": new.as_preference(), "training_rule": new_rule}
                chain.append(request.dbsession, tenant.id, "policy", payload, user_id=request.identity.id)
                audit(request, "gestori.policy.changed", object_type="Tenant", object_id=tenant.id, details=payload)
                request.flash("Criteri di nomina salvati: valgono per le prossime proposte.")
            return HTTPFound(request.route_url("appointment_settings", tenant=tenant.slug))
    return {
        "page_title": "Criteri di nomina dei gestori", "values": _values(request, current, rule), "error": error,
        "rotation": policies.ROTATION, "modes": policies.MODES, "draws": policies.DRAW, "rules": training.RULES,
    }
