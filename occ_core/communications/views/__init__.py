"""The communications' screens: the dossier's «Comunicazioni» tab (the log), composing and sending, a
communication's page with each recipient's status, and the Order's settings of notices and tax offices."""
from __future__ import annotations

from pyramid.renderers import get_renderer

from occ_core.dispatch.views import status_view

TEMPLATES = "occ_core:communications/templates/"
PARTS = ("dossier", "settings")


def includeme(config):
    for part in PARTS:
        config.include(f"occ_core.communications.views.{part}")


def shared_values(request) -> dict:
    """What the pages showing communications share: the macros and the delivery statuses' badges."""
    return {"communication_macros": get_renderer(TEMPLATES + "macros.pt").implementation(),
            "status_view": status_view}
