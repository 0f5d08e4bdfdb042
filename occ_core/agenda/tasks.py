from occ_core.agenda import reminders
from occ_core.background import occ_task


@occ_task("agenda.send_reminders")
def send_reminders(env):
    return reminders.send_reminders(env)
