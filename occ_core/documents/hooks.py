"""Core feature: the electronic file of each dossier."""
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
