"""Core feature: the electronic file of each dossier."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

GROUP = "Fascicolo elettronico"


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("dossier:document:view", "Consultare e scaricare i documenti delle pratiche", GROUP,
                       ("amministratore", "segreteria", "referente", "consultazione")),
        PermissionSpec("dossier:document:upload", "Caricare documenti e nuove versioni", GROUP,
                       ("amministratore", "segreteria", "referente")),
        PermissionSpec("dossier:document:manage", "Cambiare visibilità e ritirare documenti", GROUP,
                       ("amministratore", "segreteria")),
    ]


@hookimpl
def occ_settings_defaults():
    from occ_core.documents.services import DEFAULT_MAX_BYTES, MAX_BYTES_SETTING

    return {MAX_BYTES_SETTING: str(DEFAULT_MAX_BYTES)}


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.documents.storage")
    config.include("occ_core.documents.views")


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, "dossier:document:view", ("Documenti", "dossier_documents", 40))
