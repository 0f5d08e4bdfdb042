"""Pages of the deadlines engine: the dossier's tab, the Order's list, the rules and calendar settings."""

TEMPLATES = "occ_core:deadlines/templates/"


def includeme(config):
    config.include("occ_core.deadlines.views.dossier")
    config.include("occ_core.deadlines.views.listing")
    config.include("occ_core.deadlines.views.settings")
