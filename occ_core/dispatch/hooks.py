"""Core feature: the outbox and the email channel."""
from occ_core.background import PeriodicTask
from occ_core.dispatch.channels import EMAIL_CHANNEL
from occ_core.hookspecs import hookimpl
from occ_core.plugins import NavItem, PermissionSpec


@hookimpl
def occ_dispatch_channels():
    return [EMAIL_CHANNEL]


@hookimpl
def occ_celery_configure(celery_app):
    import occ_core.dispatch.tasks  # noqa: F401  (registers the task)


@hookimpl
def occ_periodic_tasks():
    return [PeriodicTask("dispatch-requeue-stale", "dispatch.requeue_stale", 300, per_tenant=False)]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.dispatch.views")


@hookimpl
def occ_permissions():
    return [PermissionSpec("core:outbox:view", "Consultare la posta in uscita", "Comunicazioni",
                           ("amministratore", "segreteria"))]


@hookimpl
def occ_navigation_items(request):
    if request.has_permission("core:outbox:view"):
        return [NavItem("Posta in uscita", request.route_url("tenant_outbox", tenant=request.tenant.slug),
                        icon="it-mail", order=700, active_prefix=f"/{request.tenant.slug}/outbox")]
    return []
