"""Pages of the module: activation, «I miei dati», the secretariat's review and the settings."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import select

from occ_core.accounts.services import links_exhausted
from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.events import DomainEvent, emit
from occ_core.web import forms
from occ_core.web.forms import param, posted
from shared_registry.fields import FIELDS
from shared_registry.models import Registrant
from shared_registry.services import format_credits

from iscritti_online import policies, services
from iscritti_online.models import PENDING

TEMPLATES = "iscritti_online:templates/"
SUBMIT_MESSAGES = {
    "created": "La richiesta di modifica è stata inviata alla segreteria, che la esaminerà al più presto.",
    "updated": "La richiesta in attesa di approvazione è stata aggiornata.",
    "withdrawn": "La richiesta in attesa di approvazione è stata ritirata.",
}


def refuse(request, values: dict, error: UserError) -> dict:
    """Bad input: nothing of this request is written and the form comes back with the message."""
    values["error"] = forms.refuse(request, error)
    values["errors"] = getattr(error, "errors", None) or ({error.field: error.message} if error.field else {})
    return values


def tenant_url(request, name: str, **kw) -> str:
    return request.route_url(name, tenant=request.tenant.slug, **kw)


# --- activation (public) -----------------------------------------------------------------------

@view_config(route_name="iscritti_online.activate", renderer=TEMPLATES + "activate.pt",
             permission=NO_PERMISSION_REQUIRED)
def activate(request):
    values = {"page_title": "Attivazione dell'area riservata iscritti", "codice_fiscale": "", "email": "",
              "sent": False, "error": None, "errors": {}}
    if request.method != "POST":
        return values
    values.update(codice_fiscale=posted(request, "codice_fiscale"), email=posted(request, "email"))
    try:
        code, address = services.parse_activation_request(values["codice_fiscale"], values["email"])
    except UserError as error:
        return refuse(request, values, error)
    registrant = services.find_for_activation(request.dbsession, request.tenant, code, address)
    if registrant is not None and not links_exhausted(request.dbsession, request.registry.settings,
                                                      services.ACTIVATION_PURPOSE, address):
        services.send_activation(request, registrant, address)
    # The same answer whether the data matched or not, so that nobody learns who is registered.
    values["sent"] = True
    return values


@view_config(route_name="iscritti_online.activate_confirm", renderer=TEMPLATES + "activate_confirm.pt",
             permission=NO_PERMISSION_REQUIRED)
def activate_confirm(request):
    token = param(request, "token")
    values = {"page_title": "Scelta della password", "token": token, "email": "", "error": None, "errors": {}}
    settings = request.registry.settings
    try:
        payload, _registrant = services.check_activation(request.dbsession, settings, request.tenant, token)
        values["email"] = payload["email"]
        if request.method != "POST":
            return values
        if posted(request, "password") != posted(request, "password_confirm"):
            raise UserError("Le due password non coincidono.", field="password_confirm")
        user, registrant = services.activate(request.dbsession, settings, request.tenant, token,
                                             posted(request, "password"))
    except UserError as error:
        return refuse(request, values, error)
    audit(request, "iscritti_online.account.activated", object_type="Registrant", object_id=registrant.id,
          user=user, details={"email": user.email})
    request.flash("Area riservata attivata: acceda con il suo indirizzo email e la password appena scelta.")
    next_url = request.route_path("iscritti_online.profile", tenant=request.tenant.slug)
    return HTTPFound(request.route_url("login", _query={"next": next_url}))


# --- the registrant's own data -----------------------------------------------------------------

@view_config(route_name="iscritti_online.profile", renderer=TEMPLATES + "profile.pt",
             permission="iscritti_online:profile:view")
def profile(request):
    db = request.dbsession
    account = services.account_of(db, request.tenant, request.identity)
    values = {"page_title": "I miei dati", "registrant": None, "error": None, "errors": {}}
    if account is None:
        return values
    registrant = account.registrant
    editable = services.policies_for(request.tenant, registrant)
    pending = services.pending_request(db, registrant)
    shown = pending.requested if pending is not None else {}
    form = {name: services.form_value(name, shown[name] if name in shown and policy == policies.APPROVAL
                                      else getattr(registrant, name))
            for name, policy in editable.items()}
    values.update(registrant=registrant, editable=editable, form=form, pending=pending, fields=FIELDS,
                  rows=services.registry_rows(registrant), history=services.history(db, registrant),
                  diff_rows=services.diff_rows, format_credits=format_credits, APPROVAL=policies.APPROVAL)
    if request.method != "POST":
        return values
    data = {key: value for key, value in request.POST.items() if key != "csrf_token"}
    form.update({key: value for key, value in data.items() if key in form})
    try:
        direct, approval = services.split_changes(registrant, editable, data)
        db.info["audit_details"] = {"via": "iscritti_online"}
        services.apply_values(db, registrant, direct)
        outcome = services.submit_request(db, registrant, approval, request.identity)
    except UserError as error:
        return refuse(request, values, error)
    if direct:
        request.flash("Dati aggiornati.")
    if outcome in SUBMIT_MESSAGES:
        request.flash(SUBMIT_MESSAGES[outcome], "info")
    if not direct and outcome == "unchanged":
        request.flash("Nessuna modifica da salvare.", "info")
    return HTTPFound(tenant_url(request, "iscritti_online.profile"))


# --- the secretariat ---------------------------------------------------------------------------

@view_config(route_name="iscritti_online.requests", renderer=TEMPLATES + "requests.pt",
             permission="iscritti_online:requests:review")
def pending_list(request):
    return {"page_title": "Richieste di modifica degli iscritti",
            "requests": services.pending_requests(request.dbsession, request.tenant), "fields": FIELDS}


def _change_request_or_404(request):
    found = services.get_request(request.dbsession, request.tenant, int(request.matchdict["id"]))
    if found is None:
        raise HTTPNotFound()
    return found


@view_config(route_name="iscritti_online.request", renderer=TEMPLATES + "request.pt",
             permission="iscritti_online:requests:review")
def review(request):
    db = request.dbsession
    change_request = _change_request_or_404(request)
    values = {"page_title": f"Richiesta di {change_request.registrant.full_name}", "item": change_request,
              "rows": services.diff_rows(change_request), "reason": "", "error": None, "errors": {},
              "PENDING": PENDING}
    if request.method != "POST":
        return values
    action = posted(request, "action")
    values["reason"] = posted(request, "reason")
    try:
        if action == "approve":
            db.info["audit_details"] = {"via": "iscritti_online", "change_request": change_request.id}
            services.approve(db, change_request, request.identity)
        elif action == "reject":
            services.reject(db, change_request, request.identity, values["reason"])
        else:
            raise UserError("Scelga se approvare o respingere la richiesta.")
    except UserError as error:
        return refuse(request, values, error)
    audit(request, f"iscritti_online.request.{change_request.status}", object_type="ChangeRequest",
          object_id=change_request.id, details={"registrant_id": change_request.registrant_id,
                                                "fields": sorted(change_request.requested)})
    services.notify_decision(request, change_request)
    if action == "approve":
        emit(request.tm, request.hooks, DomainEvent(
            "iscritti_online.request.approved", request.tenant.id, "Registrant", str(change_request.registrant_id),
            {"change_request_id": change_request.id, "fields": sorted(change_request.requested)}))
        request.flash("Richiesta approvata: l'anagrafica è aggiornata e l'iscritto ne è stato informato.")
    else:
        request.flash("Richiesta respinta: l'iscritto ne è stato informato.")
    return HTTPFound(tenant_url(request, "iscritti_online.requests"))


@view_config(route_name="iscritti_online.registrant_requests", renderer=TEMPLATES + "registrant_requests.pt",
             permission="iscritti_online:requests:review")
def registrant_requests(request):
    registrant = request.dbsession.scalar(select(Registrant).where(
        Registrant.tenant_id == request.tenant.id, Registrant.id == int(request.matchdict["registrant_id"])))
    if registrant is None:
        raise HTTPNotFound()
    return {"page_title": f"Richieste di modifica di {registrant.full_name}", "registrant": registrant,
            "history": services.history(request.dbsession, registrant), "diff_rows": services.diff_rows,
            "pending": services.pending_request(request.dbsession, registrant)}


@view_config(route_name="iscritti_online.settings", renderer=TEMPLATES + "settings.pt",
             permission="iscritti_online:settings:edit")
def settings(request):
    tenant = request.tenant
    values = {"page_title": "Area riservata iscritti: dati modificabili", "current": policies.field_policies(tenant),
              "labels": policies.POLICY_LABELS, "fields": FIELDS, "error": None, "errors": {}}
    if request.method != "POST":
        return values
    wanted = {key: value for key, value in request.POST.items() if key != "csrf_token"}
    try:
        changes = policies.set_field_policies(tenant, wanted)
    except UserError as error:
        values["current"] = {**values["current"], **{k: v for k, v in wanted.items() if k in values["current"]}}
        return refuse(request, values, error)
    if changes:
        audit(request, "iscritti_online.settings.changed", object_type="Tenant", object_id=tenant.id,
              details={"fields": changes})
    request.flash("Impostazioni salvate.")
    return HTTPFound(tenant_url(request, "iscritti_online.settings"))


def includeme(config):
    config.add_tenant_route("iscritti_online.activate", "/iscritti/attiva")
    config.add_tenant_route("iscritti_online.activate_confirm", "/iscritti/attiva/conferma")
    config.add_tenant_route("iscritti_online.profile", "/iscritti/profilo")
    config.add_tenant_route("iscritti_online.requests", "/iscritti/richieste")
    config.add_tenant_route("iscritti_online.request", r"/iscritti/richieste/{id:\d{1,9}}")
    config.add_tenant_route("iscritti_online.registrant_requests", r"/iscritti/richieste/iscritto/{registrant_id:\d{1,9}}")
    config.add_tenant_route("iscritti_online.settings", "/iscritti/impostazioni")
    config.scan("iscritti_online.views")
