"""Screens of the list of gestori and of their appointment; each part registers its own routes."""
from __future__ import annotations

from occ_core.web.forms import posted, posted_all

PARTS = ("roster", "appointment", "log", "settings")
TEMPLATES = "occ_core:gestori/templates/"


def form_reader(request):
    """``value(name)`` and ``values(name)`` over the posted form, files counted as empty."""
    return (lambda name: posted(request, name)), (lambda name: posted_all(request, name))


def includeme(config):
    for part in PARTS:
        config.include(f"occ_core.gestori.views.{part}")
