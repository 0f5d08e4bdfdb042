"""A tiny optional module used by the test suites to prove the plugin contract with no module installed.

It has a route, a menu entry, a dashboard widget, a permission, a periodic task and a domain-event
listener, and records every hook call it receives in ``CALLS``."""
from __future__ import annotations

from pyramid.view import view_config

from occ_core.background import PeriodicTask, occ_task
from occ_core.hookspecs import hookimpl
from occ_core.plugins import ModuleInfo, NavItem, PermissionSpec, Widget

MODULE = ModuleInfo(name="prova", label="Modulo di prova", description="Solo per i test", distribution="occ-core")
CALLS: list[tuple] = []


@view_config(route_name="prova.home", renderer="json", permission="prova:page:view")
def home(request):
    return {"module": "prova", "tenant": request.tenant.slug}


@occ_task("prova.tick", module="prova")
def tick(env):
    CALLS.append(("task", env.tenant.slug))
    return "ran"


@hookimpl
def occ_pyramid_configure(config):
    config.add_tenant_route("prova.home", "/prova/")
    config.scan("occ_core.testing.sample_module")


@hookimpl
def occ_permissions():
    return [PermissionSpec("prova:page:view", "Vedere la pagina di prova", "Prova", ("segreteria",), module="prova")]


@hookimpl
def occ_navigation_items(request):
    CALLS.append(("nav", request.tenant.slug))
    return [NavItem("Prova", request.route_url("prova.home", tenant=request.tenant.slug), order=50,
                    count=events_heard)]


def events_heard(request) -> int:
    """The menu entry's live figure: the domain events of the Order that the module has heard."""
    return sum(1 for call in CALLS if call[0] == "event" and call[2] == request.tenant.id)


@hookimpl
def occ_dashboard_widgets(request):
    return [Widget(title="Widget di prova", body="prova")]


@hookimpl
def occ_periodic_tasks():
    return [PeriodicTask("prova-tick", "prova.tick", 3600, module="prova")]


@hookimpl
def occ_domain_event(event):
    CALLS.append(("event", event.name, event.tenant_id))
