"""Celery tasks of the deadlines engine."""
from occ_core.background import occ_task
from occ_core.deadlines import reminders


@occ_task("deadlines.digest")
def digest(env):
    return reminders.send_digests(env)
