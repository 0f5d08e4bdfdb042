"""Core feature: communications to the parties of a dossier and the automatic notices (avvisi)."""
from occ_core.background import PeriodicTask
from occ_core.communications import models  # noqa: F401  (the feature's tables on the metadata)
from occ_core.dossiers.pages import tabs
from occ_core.hookspecs import hookimpl
from occ_core.plugins import PermissionSpec

GROUP = "Comunicazioni"
SEND, VIEW, MANAGE = ("communications:message:send", "communications:message:view",
                      "communications:notice:manage")


@hookimpl
def occ_permissions():
    return [
        PermissionSpec(VIEW, "Consultare le comunicazioni e gli avvisi delle pratiche", GROUP,
                       ("amministratore", "segreteria", "referente", "consultazione")),
        PermissionSpec(SEND, "Protocollare e inviare comunicazioni alle parti delle pratiche", GROUP,
                       ("amministratore", "segreteria")),
        PermissionSpec(MANAGE, "Modificare gli avvisi automatici e gli uffici fiscali destinatari", GROUP,
                       ("amministratore",)),
    ]


@hookimpl
def occ_pyramid_configure(config):
    config.include("occ_core.communications.views")


@hookimpl
def occ_celery_configure(celery_app):
    import occ_core.communications.tasks  # noqa: F401  (registers the tasks)


@hookimpl
def occ_periodic_tasks():
    return [PeriodicTask("communications-reminders", "communications.reminders", 3600)]


@hookimpl
def occ_dossier_tabs(request, dossier):
    return tabs(request, dossier, VIEW, ("Comunicazioni", "dossier_communications", 47))


@hookimpl
def occ_dossier_act(env, dossier, kind, name, on, ref):
    """A state reached or a meeting fixed: its notice is sent by a task once the change is committed (a notice
    never holds up, nor undoes, the change itself)."""
    from occ_core.background import send_after_commit
    from occ_core.communications import notices
    from occ_core.communications.tasks import notice

    origin, _, object_id = ref.partition(":")
    if kind == "stato" and origin == "transition" and notices.enabled(env.dbsession, notices.STATE):
        send_after_commit(env.tm, notice, dossier.tenant_id, "transition", int(object_id))
    elif kind == "evento" and origin == "event" and name in notices.MEETING_KINDS and on is not None \
            and notices.enabled(env.dbsession, notices.CONVOCATION):
        send_after_commit(env.tm, notice, dossier.tenant_id, "meeting", int(object_id))


@hookimpl
def occ_demo_data(dbsession, tenant):
    from occ_core.communications.parties import load_demo_offices

    load_demo_offices(dbsession, tenant)
