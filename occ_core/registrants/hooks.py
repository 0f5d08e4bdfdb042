"""Core feature: screens and API of the registrant registry (shared_registry)."""
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

VIEWERS = ("amministratore", "segreteria", "referente", "consultazione")
EDITORS = ("amministratore", "segreteria")


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.registrants.views")
    config.include("occ_core.registrants.api")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("registry:registrant:view", "Consultare l'anagrafica degli iscritti", "Iscritti", VIEWERS),
        PermissionSpec("registry:registrant:edit", "Modificare l'anagrafica degli iscritti", "Iscritti", EDITORS),
        PermissionSpec("registry:registrant:import", "Importare l'anagrafica dall'Albo", "Iscritti", EDITORS),
    ]


@hookimpl
def occ_navigation_items(request):
    if request.has_permission("registry:registrant:view"):
        return [NavItem("Iscritti", request.route_url("registrants", tenant=request.tenant.slug), icon="it-user",
                        order=20, active_prefix=f"/{request.tenant.slug}/registrants")]
    return []


@hookimpl
def occ_openapi_paths():
    from occ_core.registrants.api import openapi_paths

    return openapi_paths()
