from occ_core.background import occ_task
from occ_core.communications import notices

ANSWERS = {"transition": notices.on_transition, "meeting": notices.on_meeting}


@occ_task("communications.notice")
def notice(env, origin, object_id):
    """The notice of a dossier's state change or of a meeting, after the transaction that made it committed."""
    sent = ANSWERS[origin](env, object_id)
    return "sent" if sent is not None and not sent.problem else "nothing sent"


@occ_task("communications.reminders")
def reminders(env):
    return notices.send_reminders(env)
