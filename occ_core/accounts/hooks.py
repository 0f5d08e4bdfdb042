"""Core feature: accounts, roles and the permission matrix."""
from occ_core.accounts.roles import STAFF_ROLES
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.accounts.views")
    config.include("occ_core.accounts.members")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("core:dashboard:view", "Vedere il cruscotto", "Ordine",
                       STAFF_ROLES + ("iscritto", "debitore", "creditore")),
        PermissionSpec("core:users:manage", "Gestire gli utenti dell'Ordine", "Utenti e ruoli", ("amministratore",)),
        PermissionSpec("core:roles:manage", "Modificare ruoli e livelli di accesso", "Utenti e ruoli", ("amministratore",)),
    ]


@hookimpl
def occ_navigation_items(request):
    items = [NavItem("Cruscotto", request.route_url("dashboard", tenant=request.tenant.slug), icon="it-chart-line", order=1)]
    if request.has_permission("core:users:manage"):
        items.append(NavItem("Utenti", request.route_url("tenant_members", tenant=request.tenant.slug), icon="it-user",
                             order=800, active_prefix=f"/{request.tenant.slug}/members"))
    return items
