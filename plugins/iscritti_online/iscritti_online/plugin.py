"""Registration with the OCC platform (entry point ``occ.plugins``): the module's hook implementations."""
from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from occ_core.db import Base
from occ_core.hookspecs import hookimpl
from occ_core.plugins import ModuleInfo, NavItem, PermissionSpec, Widget

from iscritti_online import models  # noqa: F401  (tables on the metadata)
from iscritti_online.demo import load_demo
from iscritti_online.policies import ensure_defaults
from iscritti_online.services import pending_count

MODULE = ModuleInfo(
    name="iscritti_online",
    label="Area riservata iscritti",
    description="Gli iscritti all'Ordine consultano i propri dati anagrafici e i crediti formativi e ne "
                "chiedono l'aggiornamento, che la segreteria approva.",
    distribution="occ-iscritti-online",
)
PROFILE = "iscritti_online:profile:view"
REVIEW = "iscritti_online:requests:review"
SETTINGS = "iscritti_online:settings:edit"


def _pending_count(request) -> int:
    # Menu, widget and quick links all show it: count once per request.
    if "_iscritti_online_pending" not in request.__dict__:
        request.__dict__["_iscritti_online_pending"] = pending_count(request.dbsession, request.tenant)
    return request.__dict__["_iscritti_online_pending"]


def _pending_text(count: int) -> str:
    return "1 richiesta in attesa" if count == 1 else f"{count} richieste in attesa"


@hookimpl
def occ_pyramid_configure(config):
    config.include("iscritti_online.views")


@hookimpl
def occ_migrations():
    return {"name": MODULE.name, "script_location": str(Path(__file__).parent / "migrations"),
            "metadata": Base.metadata, "table_prefix": "iscritti_online_"}


@hookimpl
def occ_permissions():
    group = MODULE.label
    return [
        PermissionSpec(PROFILE, "Consultare e aggiornare i propri dati di iscritto", group, ("iscritto",),
                       module=MODULE.name),
        PermissionSpec(REVIEW, "Esaminare le richieste di modifica degli iscritti", group,
                       ("amministratore", "segreteria"), module=MODULE.name),
        PermissionSpec(SETTINGS, "Scegliere i dati che gli iscritti possono modificare", group,
                       ("amministratore",), module=MODULE.name),
    ]


@hookimpl
def occ_navigation_items(request):
    slug = request.tenant.slug
    items = []
    if request.has_permission(PROFILE):
        items.append(NavItem("I miei dati", request.route_url("iscritti_online.profile", tenant=slug),
                             icon="it-user", order=15, active_prefix=f"/{slug}/iscritti/profilo"))
    if request.has_permission(REVIEW):
        items.append(NavItem("Richieste iscritti", request.route_url("iscritti_online.requests", tenant=slug),
                             icon="it-inbox", order=25, active_prefix=f"/{slug}/iscritti/",
                             count=_pending_count))
    elif request.has_permission(SETTINGS):
        items.append(NavItem("Area riservata iscritti", request.route_url("iscritti_online.settings", tenant=slug),
                             icon="it-settings", order=25, active_prefix=f"/{slug}/iscritti/impostazioni"))
    return items


@hookimpl
def occ_dashboard_widgets(request):
    slug = request.tenant.slug
    widgets = []
    if request.has_permission(PROFILE):
        widgets.append(Widget(
            title="I miei dati",
            body=Markup("<p>Consulti i suoi dati nell'anagrafica dell'Ordine e i crediti formativi, "
                        "e ne chieda l'aggiornamento.</p>"),
            order=10, url=request.route_url("iscritti_online.profile", tenant=slug)))
    if request.has_permission(REVIEW):
        widgets.append(Widget(
            title="Richieste degli iscritti",
            body=Markup("<p>{} di approvazione.</p>").format(_pending_text(_pending_count(request))),
            order=30, url=request.route_url("iscritti_online.requests", tenant=slug)))
    return widgets


@hookimpl
def occ_registrant_menu(request, registrant):
    if not request.has_permission(REVIEW):
        return []
    url = request.route_url("iscritti_online.registrant_requests", tenant=request.tenant.slug,
                            registrant_id=registrant.id)
    return [NavItem("Richieste di modifica dall'area riservata", url, icon="it-inbox", order=50)]


@hookimpl
def occ_module_enabled(tenant, module, dbsession):
    if module == MODULE.name:
        ensure_defaults(tenant)


@hookimpl
def occ_demo_data(dbsession, tenant):
    load_demo(dbsession, tenant)
