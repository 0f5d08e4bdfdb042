"""The Order's deadline rules and calendar preferences (/settings/deadlines)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.audit.services import audit
from occ_core.deadlines import calendar, catalogue, preferences, services
from occ_core.deadlines.models import DeadlineRule
from occ_core.deadlines.views import TEMPLATES
from occ_core.dossiers.procedures import PROCEDURES, STATES
from occ_core.errors import UserError
from occ_core.web.forms import posted, posted_all, refuse

EDIT = "deadlines:rules:edit"
PREFERENCE_FIELDS = ("patron_mode", "patron_day", "patron_month", "patron_name", "backward", "window_days")
NUMBERS = {"patron_day": "Giorno del santo patrono", "patron_month": "Mese del santo patrono",
           "window_days": "Giorni di preavviso"}


def includeme(config):
    config.add_tenant_route("deadline_settings", "/settings/deadlines")
    config.add_tenant_route("deadline_rule_new", "/settings/deadlines/rules/new")
    config.add_tenant_route("deadline_rule_edit", r"/settings/deadlines/rules/{rule_id:\d{1,9}}")
    config.add_tenant_route("deadline_rule_restore", r"/settings/deadlines/rules/{rule_id:\d{1,9}}/restore")
    config.scan("occ_core.deadlines.views.settings")


def _number(text: str, field: str) -> int:
    text = (text or "").strip() or "0"
    if not text.isdecimal() or len(text) > 4:
        raise UserError(f"{NUMBERS[field]}: indicare un numero intero.", field=field)
    return int(text)


def _settings_values(request, values: dict, error: UserError | None = None) -> dict:
    tenant = request.tenant
    rules = list(request.dbsession.scalars(select(DeadlineRule).order_by(DeadlineRule.builtin.desc(), DeadlineRule.id)))
    return {
        "page_title": "Regole delle scadenze e calendario", "values": values, "rules": rules,
        "error": error.message if error else None, "error_field": error.field if error else None,
        "patron_modes": preferences.PATRON_MODES, "readings": calendar.BACKWARD_READINGS,
        "province": tenant.province, "province_patron": calendar.province_patron((tenant.province or "").upper()),
        "describe": describe, "who": catalogue.WHO,
    }


def describe(rule: DeadlineRule) -> dict:
    """How a rule reads in the table: trigger, term, procedures."""
    if rule.trigger_kind == "stato":
        trigger = f"Stato «{STATES.get(rule.trigger, rule.trigger)}»"
    elif rule.trigger_kind == "evento":
        trigger = f"Evento «{catalogue.EVENT_KINDS.get(rule.trigger, rule.trigger)}»"
    elif rule.trigger_kind == "atto":
        trigger = f"Atto «{catalogue.MILESTONES.get(rule.trigger, rule.trigger)}»"
    else:
        trigger = f"Scadenza della regola {rule.trigger}"
    term = calendar.Term(rule.amount, rule.unit).describe()
    return {
        "trigger": trigger,
        "term": f"{'dal termine di' if rule.kind == 'dal' else 'entro'} {term} "
                f"{'prima' if rule.direction == 'ritroso' else 'dopo'}" + (" (ricorrente)" if rule.recurring else ""),
        "procedures": ", ".join(PROCEDURES[p].label for p in rule.procedures if p in PROCEDURES) or "Tutte",
    }


@view_config(route_name="deadline_settings", renderer=TEMPLATES + "settings.pt", permission=EDIT)
def deadline_settings(request):
    tenant = request.tenant
    catalogue.ensure_rules(request.dbsession, tenant)
    current = preferences.preferences_of(tenant)
    if request.method != "POST":
        return _settings_values(request, {key: str(value) for key, value in vars(current).items()})
    values = {name: posted(request, name) for name in PREFERENCE_FIELDS}
    try:
        new = preferences.Preferences(
            patron_mode=values["patron_mode"], patron_day=_number(values["patron_day"], "patron_day"),
            patron_month=_number(values["patron_month"], "patron_month"), patron_name=values["patron_name"].strip(),
            backward=values["backward"], window_days=_number(values["window_days"], "window_days"))
        preferences.save(tenant, new)
    except UserError as error:
        refuse(request, error)
        return _settings_values(request, values, error)
    audit(request, "deadline.preferences_changed", object_type="Tenant", object_id=tenant.id, details=vars(new))
    request.flash("Preferenze del calendario salvate: valgono per le scadenze calcolate da ora.")
    return HTTPFound(request.route_url("deadline_settings", tenant=tenant.slug))


def _rule(request) -> DeadlineRule:
    rule = request.dbsession.scalar(select(DeadlineRule).where(DeadlineRule.id == int(request.matchdict["rule_id"])))
    if rule is None:
        raise HTTPNotFound()
    return rule


def _rule_values(request, rule: DeadlineRule | None, values: dict, error: UserError | None = None) -> dict:
    db = request.dbsession
    return {
        "page_title": f"Regola {rule.code}" if rule is not None else "Nuova regola di scadenza",
        "rule": rule, "values": values, "error": error.message if error else None,
        "error_field": error.field if error else None,
        "procedures": {code: spec.label for code, spec in PROCEDURES.items()},
        "trigger_kinds": catalogue.TRIGGER_KINDS, "units": catalogue.UNITS, "directions": catalogue.DIRECTIONS,
        "kinds": catalogue.KINDS, "who": catalogue.WHO,
        "triggers": {**STATES, **catalogue.EVENT_KINDS, **catalogue.milestone_kinds(db),
                     **{code: f"Regola {code}" for code in db.scalars(select(DeadlineRule.code))}},
    }


def _stored(rule: DeadlineRule) -> dict:
    values = {name: str(getattr(rule, name)) for name in services.RULE_FIELDS}
    values.update(procedures=list(rule.procedures), flags={flag for flag in services.RULE_FLAGS if getattr(rule, flag)})
    return values


def _posted(request) -> dict:
    values = {name: posted(request, name) for name in services.RULE_FIELDS}
    values.update(procedures=posted_all(request, "procedures"),
                  flags={flag for flag in services.RULE_FLAGS if posted(request, flag)})
    return values


def _save_rule(request, rule: DeadlineRule | None):
    values = _posted(request)
    try:
        code = rule.code if rule is not None else values["code"].strip().upper()
        parsed = services.parse_rule(request.dbsession, values, values["procedures"], values["flags"], code)
        if rule is None:
            rule = services.add_rule(request, request.tenant, code, parsed)
        else:
            services.update_rule(request, rule, parsed)
    except UserError as error:
        refuse(request, error)
        return _rule_values(request, rule, values, error)
    request.flash(f"Regola {rule.code} salvata: vale per gli atti registrati da ora; le scadenze già calcolate "
                  "restano invariate.")
    return HTTPFound(request.route_url("deadline_settings", tenant=request.tenant.slug, _anchor=f"rule-{rule.id}"))


@view_config(route_name="deadline_rule_new", renderer=TEMPLATES + "rule.pt", permission=EDIT)
def rule_new(request):
    if request.method == "POST":
        return _save_rule(request, None)
    return _rule_values(request, None, {"unit": "giorni", "direction": "avanti", "kind": "entro", "who": "occ",
                                        "trigger_kind": "stato", "procedures": [],
                                        "flags": {"outside_hearing", "active"}})


@view_config(route_name="deadline_rule_edit", renderer=TEMPLATES + "rule.pt", permission=EDIT)
def rule_edit(request):
    rule = _rule(request)
    if request.method == "POST":
        return _save_rule(request, rule)
    return _rule_values(request, rule, _stored(rule))


@view_config(route_name="deadline_rule_restore", request_method="POST", renderer=TEMPLATES + "rule.pt",
             permission=EDIT)
def rule_restore(request):
    rule = _rule(request)
    try:
        services.restore_rule(request, rule)
    except UserError as error:
        refuse(request, error)
        return _rule_values(request, rule, _stored(rule), error)
    request.flash(f"Regola {rule.code} riportata ai valori predefiniti.")
    return HTTPFound(request.route_url("deadline_settings", tenant=request.tenant.slug, _anchor=f"rule-{rule.id}"))
