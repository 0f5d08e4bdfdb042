"""Dossier screens, one module per part of the work; each registers its own routes."""

PARTS = ("listing", "registration", "summary", "lifecycle", "parties", "creditors", "settings")


def includeme(config):
    for part in PARTS:
        config.include(f"occ_core.dossiers.views.{part}")
