"""Core feature: invoices to the parties with FatturaPA (hook implementations)."""
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

GROUP = "Contabilità"
STAFF = ("amministratore", "segreteria")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec("accounting:invoice:view", "Consultare le fatture e scaricarne i file XML", GROUP,
                       (*STAFF, "referente", "consultazione")),
        PermissionSpec("accounting:invoice:manage",
                       "Preparare le bozze di fattura e registrarne i pagamenti", GROUP, STAFF),
        PermissionSpec("accounting:invoice:issue", "Emettere fatture e note di credito", GROUP, STAFF),
        PermissionSpec("accounting:settings:edit", "Modificare le impostazioni contabili e di fatturazione", GROUP,
                       ("amministratore",)),
    ]


@hookimpl
def occ_settings_defaults():
    from occ_core.invoicing.fatturapa import SCHEMA_SETTING

    # Empty: the official schema is not shipped, so files are validated only where an installation points
    # at its copy (OCC_FATTURAPA_SCHEMA_DIR).
    return {SCHEMA_SETTING: ""}


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.invoicing.views")


@hookimpl
def occ_cli_commands(cli):
    from occ_core.invoicing.cli import invoices

    cli.add_command(invoices)
