"""Core feature: modulistica, the Order's ODT templates and the documents generated from them."""
from occ_core.dossiers.pages import tabs
from occ_core.forms import models  # noqa: F401  (the feature's tables on the metadata)
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

GROUP = "Modulistica"


@hookimpl
def occ_permissions():
    from occ_core.forms.services import GENERATE, MANAGE

    return [
        PermissionSpec(MANAGE, "Gestire i modelli dell'Ordine: caricare, attivare e ripristinare versioni", GROUP,
                       ("amministratore", "segreteria")),
        PermissionSpec(GENERATE, "Generare documenti dai modelli per le pratiche", GROUP,
                       ("amministratore", "segreteria", "referente", "gestore")),
    ]


@hookimpl
def occ_settings_defaults():
    from occ_core.forms.services import DEFAULT_MAX_BYTES, MAX_BYTES_SETTING

    return {MAX_BYTES_SETTING: str(DEFAULT_MAX_BYTES)}


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.forms.views")


@hookimpl
def occ_dossier_tabs(request, dossier):
    from occ_core.forms.services import GENERATE

    return tabs(request, dossier, GENERATE, ("Modulistica", "dossier_forms", 80))
