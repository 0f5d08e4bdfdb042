from occ_core.background import occ_task
from occ_core.newsletter import services


@occ_task("newsletter.start")
def start(env, newsletter_id):
    return services.start(env, newsletter_id)


@occ_task("newsletter.start_due")
def start_due(env):
    return services.start_due(env)
