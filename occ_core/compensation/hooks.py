"""Core feature: the gestori's compensation (hook implementations). The «Contabilità» menu item and its
sub-menu belong to the ledger; this feature adds its pages and the dossier's «Compensi» tab."""
from occ_core.compensation.services import MANAGE, VIEW
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

GROUP = "Contabilità"


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare i compensi dei gestori, i prospetti e le loro fatture", GROUP,
                       ("amministratore", "segreteria", "referente")),
        PermissionSpec(MANAGE, "Gestire i compensi dei gestori: ripartizione per pratica, profili fiscali, "
                               "fatture dei gestori e loro pagamento", GROUP, ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.compensation.views")


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, VIEW, ("Compensi", "dossier_compensation", 75))
