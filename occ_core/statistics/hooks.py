"""Core feature: statistics (dashboard, the Ministry's yearly monitoring, the register's reports, ``occ stats``)."""
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Statistiche"
VIEW, REGISTER = "statistics:dashboard:view", "statistics:register:view"
ROLES = ("amministratore", "segreteria", "referente", "consultazione")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare le statistiche e il monitoraggio ministeriale", GROUP, ROLES),
        PermissionSpec(REGISTER, "Stampare il registro degli affari (riepilogo e dettaglio con i dati delle parti)",
                       GROUP, ROLES),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.statistics.views")


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission(VIEW):
        return []
    slug = request.tenant.slug
    return [NavItem("Statistiche", request.route_url("statistics", tenant=slug), icon="it-chart-line", order=80,
                    active_prefix=f"/{slug}/statistics")]


@hookimpl
def occ_cli_commands(cli):
    from occ_core.statistics.cli import stats

    cli.add_command(stats)
