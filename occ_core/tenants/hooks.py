"""Core feature: Orders, contracts and modules. Also declares the core's own migration stream."""
from pathlib import Path

from occ_core.accounts.roles import seed_roles
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

ADMIN = ("amministratore",)


@hookimpl
def occ_migrations():
    from occ_core.db import Base
    from occ_core import models  # noqa: F401  (every core table on the metadata)

    return {"name": "occ_core", "script_location": str(Path(__file__).parent.parent / "alembic"),
            "metadata": Base.metadata, "table_prefix": None}


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.tenants.views")
    config.include("occ_core.tenants.admin")


@hookimpl
def occ_tenant_created(tenant, dbsession):
    seed_roles(dbsession, tenant)


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("core:settings:edit", "Modificare i parametri dell'Ordine", "Ordine", ADMIN),
        PermissionSpec("core:modules:manage", "Attivare e disattivare i moduli", "Ordine", ADMIN),
    ]


@hookimpl
def occ_navigation_items(request):
    if request.has_permission("core:settings:edit"):
        return [NavItem("Impostazioni", request.route_url("tenant_settings", tenant=request.tenant.slug),
                        icon="it-settings", order=900, active_prefix=f"/{request.tenant.slug}/settings")]
    return []
