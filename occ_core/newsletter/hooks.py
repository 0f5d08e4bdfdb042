"""Core feature: newsletters to registrants, gestori and custom lists, sent in batches by the outbox."""
from occ_core.background import PeriodicTask
from occ_core.hookspecs import hookimpl
from occ_core.newsletter import models  # noqa: F401  (the feature's tables on the metadata)
from occ_core.newsletter.services import MANAGE, VIEW
from occ_core.plugins import NavItem, PermissionSpec

GROUP = "Newsletter"
STAFF = ("amministratore", "segreteria")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare le newsletter inviate e il loro archivio", GROUP,
                       (*STAFF, "referente", "consultazione")),
        PermissionSpec(MANAGE, "Scrivere, programmare e inviare newsletter; gestire liste e disiscrizioni", GROUP,
                       STAFF),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.newsletter.views")


@hookimpl
def occ_celery_configure(celery_app):
    import occ_core.newsletter.tasks  # noqa: F401  (registers the tasks)


@hookimpl
def occ_periodic_tasks():
    return [PeriodicTask("newsletter-start-due", "newsletter.start_due", 60, per_tenant=False)]


@hookimpl
def occ_dispatch_message_done(env, message):
    from occ_core.newsletter.services import finish

    finish(env, message)


@hookimpl
def occ_navigation_items(request):
    if not request.has_permission(VIEW):
        return []
    slug = request.tenant.slug
    return [NavItem("Newsletter", request.route_url("newsletters", tenant=slug), icon="it-mail", order=85,
                    active_prefix=f"/{slug}/newsletter")]
