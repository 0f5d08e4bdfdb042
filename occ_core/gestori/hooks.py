"""Core feature: the list of gestori and their appointment."""
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

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
    ]
