"""Core feature: fee estimates (preventivi, DM 202/2014 art. 10 co. 3 and art. 14-18)."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

GROUP = "Compensi"


@hookimpl
def occ_permissions():
    from occ_core.fees.services import CREATE, SETTINGS, VIEW

    return [
        PermissionSpec(VIEW, "Calcolare e consultare i preventivi dei compensi", GROUP,
                       ("amministratore", "segreteria", "referente", "consultazione")),
        PermissionSpec(CREATE, "Salvare i preventivi delle pratiche", GROUP,
                       ("amministratore", "segreteria", "referente")),
        PermissionSpec(SETTINGS, "Impostare i compensi dell'Ordine (riduzione, spese generali, minimi, quota "
                                 "del gestore)", GROUP, ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.fees.views")


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, "fees:estimate:view", ("Preventivo", "dossier_fee_estimates", 65))


@hookimpl
def occ_openapi_paths():
    from occ_core.fees.views.api import openapi_paths

    return openapi_paths()


@hookimpl
def occ_cli_commands(cli):
    from occ_core.fees.cli import preventivo

    cli.add_command(preventivo)


@hookimpl
def occ_demo_data(dbsession, tenant, registry):
    from occ_core.fees.demo import load_demo

    return load_demo(dbsession, tenant)


@hookimpl
def occ_template_slot(slot, request):
    from occ_core.tenants.views import FEES_SLOT

    if slot == FEES_SLOT:
        from occ_core.fees.views.settings import settings_summary

        return settings_summary(request)
    return None
