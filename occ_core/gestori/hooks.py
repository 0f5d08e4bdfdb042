"""Core feature: the list of gestori and their appointment."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Gestori della crisi"


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("gestori:gestore:view", "Consultare l'elenco dei gestori", GROUP,
                       ("amministratore", "segreteria", "referente", "consultazione")),
        PermissionSpec("gestori:gestore:edit", "Gestire l'elenco dei gestori", GROUP, ("amministratore", "segreteria")),
        PermissionSpec("gestori:appointment:propose", "Chiedere la proposta di nomina", GROUP,
                       ("amministratore", "segreteria", "referente")),
        PermissionSpec("gestori:appointment:decide", "Nominare e sostituire i gestori (referente)", GROUP,
                       ("amministratore", "referente")),
        PermissionSpec("gestori:log:view", "Consultare e verificare il registro delle nomine", GROUP,
                       ("amministratore", "segreteria", "referente", "consultazione")),
        PermissionSpec("gestori:settings:edit", "Stabilire i criteri di nomina dei gestori", GROUP,
                       ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.gestori.views")


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission("gestori:gestore:view"):
        return []
    return [NavItem("Gestori", request.route_url("gestori", tenant=request.tenant.slug), icon="it-user",
                    order=30, active_prefix=f"/{request.tenant.slug}/gestori")]


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, "gestori:gestore:view", ("Gestore", "dossier_gestore", 50))


@hookimpl
def occ_cli_commands(cli):
    from occ_core.gestori.cli import appointments

    cli.add_command(appointments)
