"""Per-request tenancy: the Order of the URL, its active modules, the hook relay, module gating."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.viewderivers import INGRESS
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import defer

from occ_core.accounts.models import User
from occ_core.db import bind_tenant
from occ_core.security import preload_user, session_user_id
from occ_core.tenants import cache
from occ_core.tenants.models import Tenant

# Built once (building a statement costs more than running it). The logo, up to 512 KB, is loaded only
# by the pages that show it; the layout tells from ``logo_type`` whether there is one.
_TENANT_OF_REQUEST = select(Tenant).where(Tenant.slug == bindparam("slug")).options(defer(Tenant.logo))
# The same with the user that the session names, which the security check asks for next.
_TENANT_AND_USER = (select(Tenant, User).outerjoin(User, User.id == bindparam("user_id"))
                    .where(Tenant.slug == bindparam("slug")).options(defer(Tenant.logo)))


def tenant(request):
    """The Order named by the first path segment of a tenant route, or None."""
    slug = (request.matchdict or {}).get("tenant")
    if not slug:
        return None
    db = request.dbsession
    user_id = session_user_id(request)
    if user_id is None:
        found = db.scalar(_TENANT_OF_REQUEST, {"slug": slug})
    else:
        found, user = db.execute(_TENANT_AND_USER, {"slug": slug, "user_id": user_id}).first() or (None, None)
        if found is not None:
            preload_user(request, user_id, user)
    if found is None or not found.active:
        return None
    bind_tenant(db, found.id)
    return found


def order_config(request) -> cache.OrderConfig | None:
    """The Order's active modules, role permissions and members' roles (cached per process)."""
    if request.tenant is None:
        return None
    return request.registry[cache.REGISTRY_KEY].config(request.dbsession, request.tenant)


def active_modules(request) -> frozenset:
    config = request.order_config
    return frozenset() if config is None else config.active_modules


def hooks(request):
    """Hook caller for this request: modules not active for the Order are left out."""
    return request.occ_plugins.relay(request.active_modules)


class TenantContext:
    """Route factory of every ``/{tenant}/...`` route: unknown or inactive Orders are a 404."""

    def __init__(self, request):
        if request.tenant is None:
            raise HTTPNotFound()
        self.tenant = request.tenant


def module_of_route(route_name: str, modules) -> str | None:
    prefix = route_name.split(".", 1)[0]
    return prefix if prefix in modules else None


def module_gate(view, info):
    """View deriver: a module's routes answer 404 where the module is not active."""

    def gated(context, request):
        route = request.matched_route
        # Exception views (the 404 page itself) run with the same matched route: let them through.
        if route is not None and request.exception is None:
            module = module_of_route(route.name, request.occ_plugins.modules)
            if module is not None and module not in request.active_modules:
                raise HTTPNotFound()
        return view(context, request)

    return gated


def add_tenant_route(config, name, pattern, **kw):
    """``config.add_tenant_route('x.y', '/path')`` registers ``/{tenant}/path`` with the tenant context."""
    config.add_route(name, "/{tenant}" + pattern, factory=TenantContext, **kw)


def includeme(config):
    # Every session (requests, tasks, the command line) restamps the Orders whose configuration it changes.
    factory = config.registry["db.session_factory"]
    event.listen(factory, "after_flush", cache.restamp_after_flush)
    event.listen(factory, "do_orm_execute", cache.restamp_on_bulk_change)
    config.registry[cache.REGISTRY_KEY] = cache.OrderCache(config.registry.occ_plugins)
    config.add_request_method(tenant, reify=True)
    config.add_request_method(order_config, reify=True)
    config.add_request_method(active_modules, reify=True)
    config.add_request_method(hooks, reify=True)
    # Outside the security check: an inactive module's page is "not found", not "forbidden".
    config.add_view_deriver(module_gate, under=INGRESS, over="secured_view")
    config.add_directive("add_tenant_route", add_tenant_route)
