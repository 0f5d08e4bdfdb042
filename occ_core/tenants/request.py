"""Per-request tenancy: the Order of the URL, its active modules, the hook relay, module gating."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound
from pyramid.viewderivers import INGRESS

from occ_core.db import bind_tenant
from occ_core.tenants import services


def tenant(request):
    """The Order named by the first path segment of a tenant route, or None."""
    slug = (request.matchdict or {}).get("tenant")
    if not slug:
        return None
    found = services.get_tenant(request.dbsession, slug)
    if found is None or not found.active:
        return None
    bind_tenant(request.dbsession, found.id)
    return found


def active_modules(request) -> frozenset:
    if request.tenant is None:
        return frozenset()
    return services.active_modules(request.dbsession, request.occ_plugins, request.tenant)


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
    config.add_request_method(tenant, reify=True)
    config.add_request_method(active_modules, reify=True)
    config.add_request_method(hooks, reify=True)
    # Outside the security check: an inactive module's page is "not found", not "forbidden".
    config.add_view_deriver(module_gate, under=INGRESS, over="secured_view")
    config.add_directive("add_tenant_route", add_tenant_route)
