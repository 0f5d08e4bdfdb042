"""Security policy: session login for people, JWT bearer tokens for the JSON API.

Permissions are strings ``scope:resource:action``. ``platform:*`` belongs to the platform operator;
``authenticated`` to anybody logged in; every other permission is looked up in the role the user
holds in the Order of the request."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
from pyramid.security import Allowed, Denied
from pyramid.authentication import SessionAuthenticationHelper
from pyramid.session import JSONSerializer, SignedCookieSessionFactory
from sqlalchemy import bindparam, select

from occ_core.accounts import roles
from occ_core.accounts.links import subject_id
from occ_core.accounts.models import User
from occ_core.accounts.services import password_stamp
from occ_core.settings import as_bool

API_MARKER = "/api/v1/"
AUTHENTICATED = "authenticated"
API_AUDIENCE = "occ-api"
# The password stamp of the user when the session logged in: once the password changes (a reset after
# a theft, say), the sessions opened with the old one end.
SESSION_STAMP = "auth.password_stamp"
# Built once, as every request runs it. Users belong to no Order and the class has no relationships,
# so the Order scoping of occ_core.db would add nothing to this statement but its cost.
_USER_BY_ID = select(User).where(User.id == bindparam("id")).execution_options(all_tenants=True)
# request.__dict__ key of (user id, User or None) read along with another row, see preload_user.
_PRELOADED_USER = "occ.preloaded_user"
_SESSION_HELPER = SessionAuthenticationHelper()


def is_api_request(request) -> bool:
    return API_MARKER in request.path


def make_api_token(secret: str, user: User, tenant_slug: str | None, minutes: int) -> str:
    now = datetime.now(timezone.utc)
    payload = {"sub": str(user.id), "aud": API_AUDIENCE, "iat": now, "exp": now + timedelta(minutes=minutes)}
    if tenant_slug:
        payload["tenant"] = tenant_slug
    return jwt.encode(payload, secret, algorithm="HS256")


def _bearer_user_id(request):
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    try:
        payload = jwt.decode(header[7:].strip(), request.registry.settings["occ.secret"],
                             algorithms=["HS256"], audience=API_AUDIENCE, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        return None
    # The slug of the URL, not request.tenant: pyramid_tm asks for the user before routing, and
    # request.tenant, reified then, would stay empty for the whole request.
    if payload.get("tenant") and (request.matchdict or {}).get("tenant") != payload["tenant"]:
        return None
    return subject_id(payload)


def session_user_id(request) -> int | None:
    """The user id that the browser session names, not checked yet (the API never uses the session)."""
    return None if is_api_request(request) else _SESSION_HELPER.authenticated_userid(request)


def preload_user(request, user_id: int, user: User | None) -> None:
    """Hand over the row of ``session_user_id`` (None: no such user), read in the same query as the
    Order of the URL: one database round trip less on every page of an Order. It is checked as usual."""
    request.__dict__[_PRELOADED_USER] = (user_id, user)


class OccSecurityPolicy:
    def __init__(self):
        self.helper = _SESSION_HELPER

    def _user_id(self, request):
        if is_api_request(request):
            # The API never honours the session cookie, so it needs no CSRF token.
            return _bearer_user_id(request)
        return self.helper.authenticated_userid(request)

    def identity(self, request):
        # Pyramid's request.identity is a plain property: once the route is known the user is
        # cached in the request's __dict__, where the audit tracking reads it during a flush (when
        # no query may run). Before routing (pyramid_tm asks) a bearer token cannot be checked yet.
        if "identity" in request.__dict__:
            return request.__dict__["identity"]
        user = self._load_identity(request)
        if request.matched_route is not None:
            request.__dict__["identity"] = user
        return user

    def _load_identity(self, request):
        user_id = self._user_id(request)
        if user_id is None:
            return None
        preloaded_id, user = request.__dict__.get(_PRELOADED_USER, (None, None))
        if preloaded_id != user_id:
            user = request.dbsession.scalar(_USER_BY_ID, {"id": user_id})
        if user is None or not user.active:
            return None
        if not is_api_request(request) and request.session.get(SESSION_STAMP) != password_stamp(user):
            return None
        return user

    def authenticated_userid(self, request):
        user = request.identity
        return None if user is None else user.id

    def permits(self, request, context, permission):
        user = request.identity
        if user is None:
            return Denied("not logged in")
        if permission == AUTHENTICATED:
            return Allowed("logged in")
        if permission.startswith("platform:"):
            return Allowed("operator") if user.is_operator else Denied("operator only")
        if permission in request.effective_permissions:
            return Allowed(permission)
        return Denied(permission)

    def remember(self, request, userid, **kw):
        """Log ``userid`` in (or keep it logged in after it changed its own password)."""
        user = request.dbsession.get(User, userid)
        request.session[SESSION_STAMP] = password_stamp(user) if user is not None else ""
        return self.helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        return self.helper.forget(request, **kw)


def role_id(request) -> int | None:
    """The id of the user's role in the Order of the request; None for a non-member."""
    tenant = request.tenant
    user = request.identity
    if tenant is None or user is None:
        return None
    return request.order_config.role_of(request.dbsession, tenant.id, user.id)


def membership(request):
    """The user's ``Membership`` row in the Order of the request (loaded only when asked for)."""
    if request.role_id is None:
        return None
    return roles.membership_of(request.dbsession, request.tenant, request.identity.id)


def effective_permissions(request) -> frozenset:
    if request.role_id is None:
        return frozenset()
    return request.order_config.permissions_of(request.role_id)


def includeme(config):
    settings = config.get_settings()
    config.set_session_factory(SignedCookieSessionFactory(
        settings["occ.secret"],
        cookie_name="occ_session",
        secure=as_bool(settings["occ.secure_cookies"]),
        httponly=True,
        samesite="Lax",
        timeout=int(settings["occ.session_max_age"]),
        reissue_time=600,
        serializer=JSONSerializer(),
    ))
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(OccSecurityPolicy())
    config.add_request_method(role_id, reify=True)
    config.add_request_method(membership, reify=True)
    config.add_request_method(effective_permissions, reify=True)
