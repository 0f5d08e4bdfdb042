"""OCC platform core: the Pyramid application."""
from __future__ import annotations


def main(global_config, **settings):
    """PasteDeploy application factory (``pserve development.ini``)."""
    from occ_core.config import make_app

    return make_app(settings)
