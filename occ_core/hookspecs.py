"""The public contract between the core and the modules (pluggy project ``occ``).

Startup hooks are called once per process through ``registry.occ_plugins.hook`` for every installed
distribution. Per-request and per-task hooks are called through the tenant relay
(``request.hooks``, or ``env.hooks`` in a task), which leaves out the modules the tenant has
not activated: a module that is not active for an Order is never called for it.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("occ")
hookimpl = pluggy.HookimplMarker("occ")


# --- bootstrap (global, once per process) -------------------------------------------------------

@hookspec(historic=True)
def occ_addhooks(pluginmanager):
    """Add hookspecs of a module's own (``pluginmanager.add_hookspecs(module)``). Global."""


@hookspec
def occ_settings_defaults():
    """Return a dict of default settings for the module's ``<name>.*`` keys. Global."""


@hookspec
def occ_pyramid_configure(config):
    """Configure Pyramid: routes, views, static views, request methods. Global, at startup.

    Route names of an optional module must start with ``<module>.`` so that the core answers 404
    for Orders where the module is not active."""


@hookspec
def occ_migrations():
    """Return a ``MigrationStream`` (or a list) describing the distribution's alembic stream. Global."""


@hookspec
def occ_celery_configure(celery_app):
    """Adjust the Celery application (queues, routes, imports of task modules). Global."""


@hookspec
def occ_periodic_tasks():
    """Return ``PeriodicTask`` entries for celery beat. Global; the task fans out per tenant itself."""


@hookspec
def occ_cli_commands(cli):
    """Add click commands or groups to the ``occ`` command group. Global."""


@hookspec
def occ_permissions():
    """Return ``PermissionSpec`` entries: permission name, label, group and default roles. Global."""


@hookspec
def occ_dispatch_channels():
    """Return ``ChannelSpec`` entries (name, label, capabilities, sender factory). Global.

    Whether a channel may be used for a tenant is decided per request through the relay."""


@hookspec
def occ_openapi_paths():
    """Return a dict of OpenAPI path items served under ``/{tenant}/api/v1``. Global."""


@hookspec
def occ_demo_data(dbsession, tenant, registry):
    """Add the module's demo data to the demo Order, after the core's demo dossiers. Global (called by
    ``occ demo``). ``registry`` gives the settings and the document storage. Return lines to show, or None."""


# --- tenant lifecycle (per tenant, through the relay unless stated) ------------------------------

@hookspec
def occ_tenant_created(tenant, dbsession):
    """A new Order was created (all installed modules are called). Return nothing."""


@hookspec(firstresult=True)
def occ_module_available(tenant, module, dbsession):
    """Return False to veto the activation of ``module`` for ``tenant``; None to abstain."""


@hookspec
def occ_module_enabled(tenant, module, dbsession):
    """``module`` was enabled for ``tenant``: provision defaults. Called on every installed module."""


@hookspec
def occ_module_disabled(tenant, module, dbsession):
    """``module`` was disabled for ``tenant``: data is kept, so enabling it again loses nothing."""


# --- user interface (per request, through the relay) ---------------------------------------------

@hookspec
def occ_navigation_items(request):
    """Return ``NavItem`` entries for the Order's menu; check ``request.has_permission`` yourself.

    The menu depends only on the Order's configuration (active modules, permissions of each role) and the
    user's role: it is built once for each of them per web process and reused until that configuration
    changes. Read nothing else here; a live figure goes in ``NavItem.count``."""


@hookspec
def occ_dashboard_widgets(request):
    """Return ``Widget`` entries for the Order's dashboard (title, body HTML, order)."""


@hookspec
def occ_template_slot(slot, request):
    """Return HTML (markupsafe.Markup) to insert in the named layout slot, or None."""


@hookspec
def occ_registrant_menu(request, registrant):
    """Return ``NavItem`` entries shown on a registrant's page (links into modules)."""


@hookspec
def occ_dossier_tabs(request, dossier):
    """Return ``NavItem`` entries for the tabs of a dossier's page (summary, parties, documents ...),
    ordered by ``order``; check ``request.has_permission`` yourself."""


# --- dispatch and domain events (per tenant, through the relay) ----------------------------------

@hookspec
def occ_dispatch_status_changed(delivery, old, new):
    """A delivery of the outbox changed status (queued, sending, sent, delivered, failed)."""


@hookspec
def occ_dispatch_message_done(env, message):
    """Every delivery of an outbox message sent in batches (``dispatch.services.queue_batched``) has been
    handled: none is left in the queue. Called once, inside the task's transaction (``env`` is its
    ``TaskEnv``). Return nothing."""


@hookspec
def occ_domain_event(event):
    """A domain event, called after the transaction that produced it committed."""


@hookspec
def occ_dossier_act(env, dossier, kind, name, on, ref):
    """A dated act happened on a dossier, inside its transaction (per tenant, through the relay).

    ``env`` is the request or task environment; ``kind`` is "stato" (the dossier reached state ``name``),
    "evento" (an agenda event of kind ``name`` was saved or moved) or "atto" (a milestone of kind ``name``
    was recorded); ``on`` is the date of the act, or None when the event was cancelled; ``ref`` names its
    origin ("transition:<id>", "event:<id>", "milestone:<id>"), the same for every call about one act.
    The deadlines engine creates or re-computes the terms the act starts. Return nothing."""
