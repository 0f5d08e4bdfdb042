from occ_core.background import occ_task
from occ_core.dispatch import services


@occ_task("dispatch.deliver", max_retries=services.MAX_ATTEMPTS)
def deliver(env, delivery_id):
    return services.deliver(env, delivery_id)


@occ_task("dispatch.requeue_stale")
def requeue_stale(env):
    return services.requeue_stale(env)


@occ_task("dispatch.deliver_batch")
def deliver_batch(env, message_id, batch_round=0):
    result = services.deliver_batch(env, message_id, batch_round)
    if result.next_round is not None:
        tenant_id = env.tenant.id if env.tenant is not None else None

        def next_batch(committed):
            if committed:
                deliver_batch.apply_async(args=(tenant_id, message_id, result.next_round), countdown=result.countdown)

        env.tm.get().addAfterCommitHook(next_batch)
    return f"{result.sent} sent, {result.failed} failed, {result.requeued} to retry, {result.remaining} queued"
