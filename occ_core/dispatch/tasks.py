from occ_core.background import occ_task
from occ_core.dispatch import services


@occ_task("dispatch.deliver", max_retries=services.MAX_ATTEMPTS)
def deliver(env, delivery_id):
    return services.deliver(env, delivery_id)


@occ_task("dispatch.requeue_stale")
def requeue_stale(env):
    return services.requeue_stale(env)
