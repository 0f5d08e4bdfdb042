"""JSON API: bearer tokens, the OpenAPI document, and JSON for every error on an API path.

Every API view uses ``renderer="json"`` and ``require_csrf=False``: the security policy reads only
the ``Authorization: Bearer`` header on API paths, never the session cookie, so there is nothing
for a cross-site request to ride on."""
from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPException, HTTPForbidden
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from occ_core.accounts import roles, services as accounts
from occ_core.api.errors import ApiError, json_body
from occ_core.api.openapi import build_document
from occ_core.audit.services import audit
from occ_core.errors import UserError
from occ_core.security import make_api_token
from occ_core.tenants.services import get_tenant
from occ_core.web.views import is_outsider

log = logging.getLogger(__name__)

# Same rule as occ_core.security.is_api_request, as a path_info predicate for the error views.
API_PATHS = r".*/api/v1/"
API = {"renderer": "json", "require_csrf": False}


def _refuse(request, status: int, message: str) -> dict:
    """A refusal that still commits, so the failed attempt counts for login throttling."""
    request.response.status = status
    return {"error": message}


@view_config(route_name="api_token", request_method="POST", permission=NO_PERMISSION_REQUIRED, **API)
def token(request):
    body = json_body(request)
    settings = request.registry.settings
    db = request.dbsession
    email = body.get("email")
    password = body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise ApiError(400, {"error": "Indicare «email» e «password» come testo."})
    ip = request.client_addr or ""
    if accounts.throttled(db, settings, email.strip().lower(), ip):
        return _refuse(request, 429, "Troppi tentativi di accesso non riusciti: riprovare tra "
                                     f"{settings['occ.login_throttle_minutes']} minuti.")
    try:
        user = accounts.authenticate(db, settings, email, password, ip)
    except UserError as error:
        return _refuse(request, 401, error.message)
    if user.totp_enabled and not accounts.second_factor_ok(db, user, str(body.get("totp") or ""), ip):
        return _refuse(request, 401, "Serve il codice valido della verifica in due passaggi (campo «totp»).")
    tenant = None
    if body.get("tenant") is not None:
        slug = str(body["tenant"]).strip().lower()
        tenant = get_tenant(db, slug)
        if tenant is None or not tenant.active or roles.membership_of(db, tenant, user.id) is None:
            return _refuse(request, 403, f"Il suo utente non ha accesso all'Ordine «{slug[:40]}».")
    minutes = int(settings["occ.api_token_minutes"])
    audit(request, "api.token", object_type="User", object_id=user.id, user=user, tenant=tenant)
    return {
        "access_token": make_api_token(settings["occ.secret"], user, tenant.slug if tenant else None, minutes),
        "token_type": "bearer",
        "expires_in": minutes * 60,
    }


@view_config(route_name="api_openapi", request_method="GET", permission=NO_PERMISSION_REQUIRED, **API)
def openapi(request):
    return build_document(request.occ_plugins, request.application_url)


# --- errors on API paths: always JSON --------------------------------------------------------------

@view_config(context=ApiError, **API)
def api_error(error, request):
    request.response.status = error.status
    return error.body


@view_config(context=HTTPForbidden, path_info=API_PATHS, **API)
def api_forbidden(error, request):
    if request.identity is None:
        request.response.status = 401
        request.response.headers["WWW-Authenticate"] = 'Bearer realm="occ"'
        return {"error": "Autenticazione richiesta: inviare un token valido per questo Ordine "
                         "nell'intestazione «Authorization: Bearer <token>»."}
    if is_outsider(request):
        # As on the pages: to a non-member an Order's resources do not exist.
        request.response.status = 404
        return {"error": "Risorsa non trovata."}
    request.response.status = 403
    return {"error": "Il suo profilo non ha il permesso per questa operazione."}


@view_config(context=HTTPException, path_info=API_PATHS, **API)
def api_http_error(error, request):
    request.response.status = error.status_int
    if error.status_int == 404:
        return {"error": "Risorsa non trovata."}
    return {"error": error.explanation or error.title}


@view_config(context=Exception, path_info=API_PATHS, last_retry_attempt=True, **API)
def api_unexpected(error, request):
    log.exception("API request %s %s failed", request.method, request.path)
    request.response.status = 500
    return {"error": "Errore interno: la richiesta non è stata eseguita. Se il problema persiste, "
                     "contatti l'assistenza."}


def includeme(config):
    config.add_route("api_token", "/api/v1/auth/token")
    config.add_route("api_openapi", "/api/v1/openapi.json")
    config.scan("occ_core.api.views")
