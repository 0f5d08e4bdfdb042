"""Core feature: the protocollo informatico (hook implementations)."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Protocollo"
STAFF = ("amministratore", "segreteria")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("protocol:registration:view", "Consultare il protocollo e scaricarne documenti e segnature",
                       GROUP, (*STAFF, "referente", "consultazione")),
        PermissionSpec("protocol:registration:create",
                       "Protocollare la corrispondenza, classificarla, assegnarla e collegarla alle pratiche",
                       GROUP, STAFF),
        PermissionSpec("protocol:registration:correct", "Correggere le registrazioni di protocollo", GROUP, STAFF),
        # DPR 445/2000 art. 61: the responsabile della gestione documentale authorises annulments.
        PermissionSpec("protocol:registration:annul", "Annullare le registrazioni di protocollo", GROUP,
                       ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.protocol.views")


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission("protocol:registration:view"):
        return []
    return [NavItem("Protocollo", request.route_url("protocol", tenant=request.tenant.slug), icon="it-inbox",
                    order=15, active_prefix=f"/{request.tenant.slug}/protocol")]


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, "protocol:registration:view", ("Protocollo", "dossier_protocol", 45))


@hookimpl
def occ_cli_commands(cli):
    from occ_core.protocol.cli import protocol

    cli.add_command(protocol)
