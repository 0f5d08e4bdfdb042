"""Core feature: the dossier register, parties, creditors and lifecycle."""
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

VIEWERS = ("amministratore", "segreteria", "referente", "consultazione")
EDITORS = ("amministratore", "segreteria")
GROUP = "Pratiche"


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("dossier:dossier:view", "Consultare le pratiche", GROUP, VIEWERS),
        PermissionSpec("dossier:dossier:create", "Registrare nuove pratiche", GROUP, EDITORS),
        PermissionSpec("dossier:dossier:edit", "Modificare pratiche, debitori e creditori", GROUP, EDITORS),
        PermissionSpec("dossier:dossier:transition", "Far avanzare lo stato delle pratiche", GROUP,
                       (*EDITORS, "referente")),
        PermissionSpec("dossier:settings:edit", "Rinominare gli stati delle pratiche", GROUP, ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.dossiers.views")
    config.include("occ_core.dossiers.api")


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, "dossier:dossier:view",
                ("Riepilogo", "dossier", 10), ("Storico", "dossier_history", 90))


@hookimpl
def occ_openapi_paths():
    from occ_core.dossiers.api import openapi_paths

    return openapi_paths()
