"""Home, Order dashboard, logo and error pages."""
from __future__ import annotations

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import forbidden_view_config, notfound_view_config, view_config
from sqlalchemy import select

from occ_core.accounts.models import Membership
from occ_core.tenants.models import Tenant
from occ_core.web import ui


@view_config(route_name="home", renderer="occ_core:web/templates/home.pt", permission="authenticated")
def home(request):
    """The Orders the user belongs to; with only one, go straight to it."""
    memberships = list(request.dbsession.execute(
        select(Membership, Tenant).join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == request.identity.id, Membership.active.is_(True), Tenant.active.is_(True))
        .order_by(Tenant.name)
    ))
    if len(memberships) == 1 and not request.identity.is_operator:
        return HTTPFound(request.route_url("dashboard", tenant=memberships[0].Tenant.slug))
    return {"memberships": memberships, "page_title": "I miei Ordini"}


@view_config(route_name="dashboard", renderer="occ_core:web/templates/dashboard.pt", permission="core:dashboard:view")
def dashboard(request):
    widgets = [w for group in request.hooks.occ_dashboard_widgets(request=request) for w in group or ()]
    return {"widgets": sorted(widgets, key=lambda w: w.order), "page_title": "Cruscotto"}


@view_config(route_name="tenant_logo", permission=NO_PERMISSION_REQUIRED)
def logo(request):
    if not request.tenant.logo:
        raise HTTPNotFound()
    response = Response(body=request.tenant.logo, content_type=request.tenant.logo_type)
    response.cache_control.max_age = 3600
    return response


@forbidden_view_config(renderer="occ_core:web/templates/error.pt")
def forbidden(request):
    if request.identity is None and "/api/v1/" not in request.path:
        return HTTPFound(request.route_url("login", _query={"next": request.path_qs}))
    if is_outsider(request):
        return notfound(request)
    return _error(request, 403, "Accesso non consentito.", "Accesso non consentito",
                  "Il suo profilo non ha i permessi per questa pagina. Se le servono, li chieda "
                  "all'amministratore dell'Ordine.")


def _error(request, status: int, api_message: str, title: str, message: str) -> dict:
    """An error answered as JSON to the API's clients, as a page of the layout to everyone else."""
    request.response.status = status
    if "/api/v1/" in request.path:
        request.override_renderer = "json"
        return {"error": api_message}
    return {"page_title": title, "message": message}


def is_outsider(request) -> bool:
    user = request.identity
    return request.tenant is not None and request.role_id is None and not (user is not None and user.is_operator)


@notfound_view_config(renderer="occ_core:web/templates/error.pt")
def notfound(request):
    if is_outsider(request):
        # To a non-member an Order's missing or forbidden pages look alike: not even its name is shown.
        request.tenant = None
    return _error(request, 404, "Risorsa non trovata.", "Pagina non trovata",
                  "La pagina richiesta non esiste o non è disponibile.")


@view_config(context=BadCSRFToken, renderer="occ_core:web/templates/error.pt")
def stale_form(request):
    """A form sent without its token, or with one of an expired session (the page stayed open through a
    logout): nothing done, and said in words the user can act on."""
    return _error(request, 400, "Richiesta senza il token di sicurezza del modulo: nessuna modifica salvata.",
                  "Modulo scaduto", "Il modulo non è stato accettato: la pagina era stata aperta prima dell'ultimo "
                  "accesso o è scaduta. Non è stato salvato nulla: torni alla pagina, la ricarichi e ripeta "
                  "l'operazione.")


def includeme(config):
    config.add_route("home", "/")
    config.add_tenant_route("dashboard", "/")
    config.add_tenant_route("tenant_logo", "/logo")
    config.include("occ_core.web.menu")
    config.scan("occ_core.web.views")
