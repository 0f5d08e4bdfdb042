"""Core feature: the dossier list, the parties and creditors tabs, and the read API of dossiers."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem

VIEW = "dossier:dossier:view"


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.dossiers.api_read")


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission(VIEW):
        return []
    slug = request.tenant.slug
    return [NavItem("Pratiche", request.route_url("dossiers", tenant=slug), icon="it-folder", order=10,
                    active_prefix=f"/{slug}/dossiers")]


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, VIEW, ("Parti", "dossier_parties", 20), ("Creditori", "dossier_creditors", 30))


@hookimpl
def occ_openapi_paths():
    from occ_core.dossiers.api_read import openapi_paths

    return openapi_paths()
