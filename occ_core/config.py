"""Building the Pyramid application: settings, plugins, database, security, features."""
from __future__ import annotations

from pyramid.config import Configurator

from occ_core.plugins import OccPluginManager
from occ_core.settings import build_settings


def make_configurator(settings: dict | None = None, extra_plugins=()) -> Configurator:
    """``extra_plugins``: (name, plugin) pairs registered beside the installed entry points."""
    pm = OccPluginManager().load(extra_plugins)
    settings = build_settings(settings)
    for defaults in pm.hook.occ_settings_defaults():
        for key, value in (defaults or {}).items():
            settings.setdefault(key, value)
    config = Configurator(settings=settings)
    config.registry.occ_plugins = pm
    config.add_request_method(lambda request: request.registry.occ_plugins, "occ_plugins", reify=True)
    config.include("pyramid_chameleon")
    config.include("occ_core.db")
    config.include("occ_core.tenants.request")
    config.include("occ_core.security")
    config.include("occ_core.audit.tracking")
    config.include("occ_core.web")
    pm.hook.occ_pyramid_configure(config=config)
    return config


def make_app(settings: dict | None = None, extra_plugins=()):
    from occ_core.background import configure_celery

    config = make_configurator(settings, extra_plugins)
    app = config.make_wsgi_app()
    configure_celery(config.registry)
    return app
