"""Login, second factor, logout, password reset, email verification and the personal profile."""
from __future__ import annotations

import pyotp
import segno
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from occ_core.accounts import services
from occ_core.accounts.models import User
from occ_core.accounts.passwords import hash_password, verify_password
from occ_core.audit.services import audit
from occ_core.db import utcnow
from occ_core.dispatch.services import queue_email
from occ_core.errors import UserError
from occ_core.web.forms import param, posted

TEMPLATES = "occ_core:accounts/templates/"


def safe_next(value: str | None) -> str:
    """Only local paths: an open redirect would make phishing links look like ours. Control characters
    are refused too: browsers drop tabs and newlines from addresses (a tab between two slashes makes
    "//evil"), and in a header they would break the response."""
    if (value and value.startswith("/") and not value.startswith("//") and "\\" not in value
            and value.isprintable()):
        return value
    return "/"


def _login_done(request, user: User, next_url: str):
    request.session.invalidate()
    user.last_login_at = utcnow()
    audit(request, "login", object_type="User", object_id=user.id, user=user, tenant=None)
    return HTTPFound(safe_next(next_url), headers=remember(request, user.id))


@view_config(route_name="login", renderer=TEMPLATES + "login.pt", permission=NO_PERMISSION_REQUIRED)
def login(request):
    next_url = safe_next(param(request, "next"))
    values = {"email": "", "next": next_url, "error": None, "page_title": "Accesso"}
    if request.method != "POST":
        return values
    values["email"] = posted(request, "email")
    try:
        user = services.authenticate(request.dbsession, request.registry.settings, values["email"],
                                     posted(request, "password"), request.client_addr or "")
    except UserError as error:
        values["error"] = error.message
        request.response.status = 400
        return values
    if user.totp_enabled:
        request.session["totp_pending"] = {"user_id": user.id, "next": next_url}
        return HTTPFound(request.route_url("login_totp"))
    return _login_done(request, user, next_url)


@view_config(route_name="login_totp", renderer=TEMPLATES + "totp.pt", permission=NO_PERMISSION_REQUIRED)
def login_totp(request):
    pending = request.session.get("totp_pending")
    if not pending:
        return HTTPFound(request.route_url("login"))
    values = {"error": None, "page_title": "Verifica in due passaggi"}
    if request.method != "POST":
        return values
    db, ip = request.dbsession, request.client_addr or ""
    user = db.get(User, pending["user_id"])

    def throttled():
        return services.throttled(db, request.registry.settings, user.email, ip)

    # Wrong codes are counted in the database (see second_factor_ok), so replaying an older session
    # cookie does not buy more guesses; once throttled, not even a right code is looked at.
    if user is not None and user.active and not throttled():
        if services.second_factor_ok(db, user, posted(request, "code"), ip):
            return _login_done(request, user, pending["next"])
        if not throttled():
            values["error"] = "Codice non valido o scaduto."
            request.response.status = 400
            return values
    request.session.pop("totp_pending", None)
    request.flash("Troppi codici errati: ripetere l'accesso.", "danger")
    return HTTPFound(request.route_url("login"))


@view_config(route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout(request):
    headers = forget(request)
    request.session.invalidate()
    return HTTPFound(request.route_url("login"), headers=headers)


@view_config(route_name="password_forgot", renderer=TEMPLATES + "password_forgot.pt", permission=NO_PERMISSION_REQUIRED)
def password_forgot(request):
    values = {"sent": False, "error": None, "page_title": "Password dimenticata"}
    if request.method != "POST":
        return values
    try:
        email = services.normalize_email(posted(request, "email"))
    except UserError as error:
        values["error"] = error.message
        request.response.status = 400
        return values
    user = services.user_by_email(request.dbsession, email)
    if user is not None and user.active and not services.links_exhausted(
            request.dbsession, request.registry.settings, "password-reset", user.email):
        token = services.password_reset_token(request.registry.settings, user)
        link = request.route_url("password_reset", _query={"token": token})
        queue_email(request, to=[(user.full_name, user.email)], purpose="password-reset",
                    subject="Reimpostazione della password",
                    body_text=f"Gentile {user.full_name or user.email},\n\n"
                              f"per scegliere una nuova password apra questo collegamento entro un'ora:\n{link}\n\n"
                              "Se non ha chiesto lei la reimpostazione, ignori questo messaggio.\n")
    # The same answer whether the address is known or not, so that accounts cannot be discovered.
    values["sent"] = True
    return values


@view_config(route_name="password_reset", renderer=TEMPLATES + "password_reset.pt", permission=NO_PERMISSION_REQUIRED)
def password_reset(request):
    token = param(request, "token")
    values = {"token": token, "error": None, "page_title": "Nuova password"}
    if request.method != "POST":
        return values
    if posted(request, "password") != posted(request, "password_confirm"):
        values["error"] = "Le due password non coincidono."
        request.response.status = 400
        return values
    try:
        user = services.reset_password(request.dbsession, request.registry.settings, token,
                                       posted(request, "password"))
    except UserError as error:
        values["error"] = error.message
        request.response.status = 400
        return values
    audit(request, "password.reset", object_type="User", object_id=user.id, user=user, tenant=None)
    request.flash("Password aggiornata: ora può accedere.")
    return HTTPFound(request.route_url("login"))


@view_config(route_name="verify_email", renderer="occ_core:web/templates/error.pt", permission=NO_PERMISSION_REQUIRED)
def verify_email(request):
    try:
        user = services.verify_email(request.dbsession, request.registry.settings, param(request, "token"))
    except UserError as error:
        request.response.status = 400
        return {"page_title": "Verifica dell'email", "message": error.message}
    audit(request, "email.verified", object_type="User", object_id=user.id, user=user, tenant=None)
    request.flash("Indirizzo email verificato.")
    return HTTPFound(request.route_url("account") if request.identity else request.route_url("login"))


@view_config(route_name="account", renderer=TEMPLATES + "account.pt", permission="authenticated")
def account(request):
    user = request.identity
    values = {"user": user, "error": None, "page_title": "Il mio profilo", "totp_uri": None, "totp_qr": None}
    action = posted(request, "action") if request.method == "POST" else None
    try:
        if action == "password":
            if not verify_password(user.password_hash, posted(request, "current_password")):
                raise UserError("La password attuale non è corretta.")
            if posted(request, "password") != posted(request, "password_confirm"):
                raise UserError("Le due password non coincidono.")
            user.password_hash = hash_password(posted(request, "password"))
            audit(request, "password.changed", object_type="User", object_id=user.id, tenant=None)
            request.flash("Password aggiornata.")
            # The change ends the account's other sessions (see occ_core.security), not this one.
            return HTTPFound(request.route_url("account"), headers=remember(request, user.id))
        if action == "verify":
            link = request.route_url("verify_email", _query={"token": services.verification_token(request.registry.settings, user)})
            queue_email(request, to=[(user.full_name, user.email)], purpose="verify-email",
                        subject="Verifica dell'indirizzo email",
                        body_text=f"Per confermare il suo indirizzo apra questo collegamento:\n{link}\n")
            request.flash("Le abbiamo inviato un messaggio con il collegamento di verifica.")
            return HTTPFound(request.route_url("account"))
        if action == "totp-start":
            request.session["totp_setup"] = pyotp.random_base32()
        if action == "totp-confirm":
            secret = request.session.get("totp_setup", "")
            if not secret or not pyotp.TOTP(secret).verify(posted(request, "code").replace(" ", ""), valid_window=1):
                raise UserError("Codice non valido: controllare l'ora del telefono e riprovare.")
            user.totp_secret, user.totp_enabled = secret, True
            request.session.pop("totp_setup", None)
            audit(request, "totp.enabled", object_type="User", object_id=user.id, tenant=None)
            request.flash("Verifica in due passaggi attivata.")
            return HTTPFound(request.route_url("account"))
        if action == "totp-disable":
            if not services.check_totp(user, posted(request, "code")):
                raise UserError("Codice non valido.")
            user.totp_secret, user.totp_enabled = "", False
            audit(request, "totp.disabled", object_type="User", object_id=user.id, tenant=None)
            request.flash("Verifica in due passaggi disattivata.")
            return HTTPFound(request.route_url("account"))
    except UserError as error:
        values["error"] = error.message
        request.response.status = 400
    secret = request.session.get("totp_setup")
    if secret and not user.totp_enabled:
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="OCC")
        values["totp_uri"] = uri
        values["totp_secret"] = secret
        values["totp_qr"] = segno.make(uri).svg_inline(scale=4)
    return values


def includeme(config):
    config.add_route("login", "/login")
    config.add_route("login_totp", "/login/totp")
    config.add_route("logout", "/logout")
    config.add_route("password_forgot", "/password/forgot")
    config.add_route("password_reset", "/password/reset")
    config.add_route("verify_email", "/verify")
    config.add_route("account", "/account")
    config.scan("occ_core.accounts.views")
