"""Core feature: the audit log."""
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.audit.views")


@hookimpl
def occ_permissions():
    return [PermissionSpec("core:audit:view", "Consultare il registro delle attività", "Ordine",
                           ("amministratore", "referente"))]


@hookimpl
def occ_navigation_items(request):
    if request.has_permission("core:audit:view"):
        return [NavItem("Attività", request.route_url("tenant_audit", tenant=request.tenant.slug), icon="it-list",
                        order=850, active_prefix=f"/{request.tenant.slug}/audit")]
    return []
