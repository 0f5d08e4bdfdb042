from occ_core.background import occ_task
from occ_core.dispatch import services


@occ_task("dispatch.deliver", max_retries=services.MAX_ATTEMPTS)
def deliver(env, delivery_id):
    return services.deliver(env, delivery_id)
