"""Core feature: the agenda, the meeting rooms, reminders and calendar feeds."""
from occ_core.background import PeriodicTask
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Agenda"
VIEW, MANAGE, ROOMS = "agenda:event:view", "agenda:event:manage", "agenda:room:manage"
# The deadlines engine's own permission: the agenda shows deadlines only to whoever may see them.
DEADLINES = "deadlines:deadline:view"
# Where the dossier's summary shows the next appointments (occ_core.dossiers.views.summary.SUMMARY_SLOT).
SUMMARY_SLOT = "dossier.summary"


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare l'agenda, gli avvisi e il proprio calendario", GROUP,
                       ("amministratore", "segreteria", "referente", "gestore", "consultazione")),
        PermissionSpec(MANAGE, "Fissare, modificare e annullare gli appuntamenti", GROUP,
                       ("amministratore", "segreteria")),
        PermissionSpec(ROOMS, "Gestire le sale riunioni e i promemoria dell'agenda", GROUP,
                       ("amministratore", "segreteria")),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.agenda.views")


@hookimpl
def occ_celery_configure(celery_app):
    import occ_core.agenda.tasks  # noqa: F401  (registers the task)


@hookimpl
def occ_periodic_tasks():
    return [PeriodicTask("agenda-reminders", "agenda.send_reminders", 300)]


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission(VIEW):
        return []
    slug = request.tenant.slug
    return [NavItem("Agenda", request.route_url("agenda", tenant=slug), icon="it-calendar", order=40,
                    active_prefix=f"/{slug}/agenda/"),
            NavItem("Avvisi", request.route_url("agenda_alerts", tenant=slug), icon="it-warning-circle",
                    order=45, active_prefix=request.route_path("agenda_alerts", tenant=slug))]


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, VIEW, ("Agenda", "dossier_agenda", 55))


@hookimpl
def occ_template_slot(slot, request):
    if slot == SUMMARY_SLOT and request.has_permission(VIEW):
        from occ_core.agenda.views.calendar import next_appointments

        return next_appointments(request)
    return None


@hookimpl
def occ_dashboard_widgets(request):
    if not request.has_permission(VIEW):
        return []
    from occ_core.agenda.views.alerts import widget

    return [widget(request)]


@hookimpl
def occ_demo_data(dbsession, tenant):
    from occ_core.agenda.demo import load_demo_agenda

    load_demo_agenda(dbsession, tenant)
