"""Core feature: deadlines (scadenze). Rules seeded for every new Order, deadlines created by the dated acts of
dossiers (``occ_dossier_act``), the dossier tab, the Order's list and rules, the daily digest."""
from celery.schedules import crontab

from occ_core.background import PeriodicTask
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Scadenze"
VIEW, MANAGE, RULES = "deadlines:deadline:view", "deadlines:deadline:manage", "deadlines:rules:edit"


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare le scadenze delle pratiche", GROUP,
                       ("amministratore", "segreteria", "referente", "consultazione")),
        PermissionSpec(MANAGE, "Segnare le scadenze come fatte, aggiungerle e registrare atti", GROUP,
                       ("amministratore", "segreteria", "referente")),
        PermissionSpec(RULES, "Modificare le regole delle scadenze e il calendario", GROUP, ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.deadlines.views")


@hookimpl
def occ_celery_configure(celery_app):
    import occ_core.deadlines.tasks  # noqa: F401  (registers the task)


@hookimpl
def occ_periodic_tasks():
    # Early morning, before the secretariat's day begins (celery beat runs on Europe/Rome time).
    return [PeriodicTask("deadlines-digest", "deadlines.digest", crontab(hour=6, minute=30))]


@hookimpl
def occ_tenant_created(tenant, dbsession):
    from occ_core.deadlines.catalogue import ensure_rules

    ensure_rules(dbsession, tenant)


@hookimpl
def occ_dossier_act(env, dossier, kind, name, on, ref):
    from occ_core.deadlines.engine import apply_act

    apply_act(env, dossier, kind, name, on, ref)


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, VIEW, ("Scadenze", "dossier_deadlines", 60))


@hookimpl
def occ_navigation_items(request):
    if request.has_permission(VIEW):
        return [NavItem("Scadenze", request.route_url("deadlines", tenant=request.tenant.slug), icon="it-clock",
                        order=30, active_prefix=f"/{request.tenant.slug}/deadlines")]
    return []


@hookimpl
def occ_demo_data(dbsession, tenant):
    from occ_core.deadlines.demo import load_demo

    load_demo(dbsession, tenant)
