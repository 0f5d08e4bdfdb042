"""Queueing messages in the outbox and delivering them (called by the ``dispatch.deliver`` task)."""
from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import func, select, update

from occ_core.background import send_after_commit
from occ_core.db import utcnow
from occ_core.dispatch.channels import PermanentFailure, TemporaryFailure
from occ_core.dispatch.models import (
    FAILED, QUEUED, SENDING, SENT, Delivery, DeliveryEvent, OutboxMessage,
)
from occ_core.errors import UserError

MAX_ATTEMPTS = 6
STALE_MINUTES = 10


def channels(registry) -> dict:
    """Installed channels by name (cached on the registry)."""
    found = registry.get("dispatch.channels")
    if found is None:
        found = {}
        for specs in registry.occ_plugins.hook.occ_dispatch_channels():
            for spec in specs or ():
                found[spec.name] = spec
        registry["dispatch.channels"] = found
    return found


def queue_message(db, transaction_manager, registry, *, tenant_id, channel, subject, body_text,
                  recipients, body_html="", purpose="", created_by_id=None, attachments=()) -> OutboxMessage:
    """Store a message with one delivery per (name, address) and send it once the transaction commits.

    ``attachments`` are small ``(filename, content type, bytes)`` files, for channels that carry them."""
    if channel not in channels(registry):
        raise UserError(f"Canale di invio «{channel}» non disponibile.")
    if not recipients:
        raise UserError("Indicare almeno un destinatario.")
    message = OutboxMessage(tenant_id=tenant_id, channel=channel, subject=subject, body_text=body_text,
                            body_html=body_html, purpose=purpose, created_by_id=created_by_id,
                            attachments=[{"filename": name, "content_type": content_type,
                                          "data": base64.b64encode(data).decode("ascii")}
                                         for name, content_type, data in attachments])
    db.add(message)
    for name, address in recipients:
        message.deliveries.append(Delivery(tenant_id=tenant_id, recipient_name=name or "", address=address))
    db.flush()
    from occ_core.dispatch.tasks import deliver

    for delivery in message.deliveries:
        send_after_commit(transaction_manager, deliver, tenant_id, delivery.id)
    return message


def retry_delay(attempts: int) -> timedelta:
    """How long a delivery waits for its next try after ``attempts`` tries: doubling, at most an hour."""
    return timedelta(seconds=min(30 * 2 ** attempts, 3600))


def requeue_stale(env, minutes: int = STALE_MINUTES) -> int:
    """Send again the task of deliveries still queued after ``minutes``: the broker may have been
    unreachable when their transaction committed. A delivery waiting for the retry of a failed try is
    stale only ``minutes`` after that retry was due, so that the back-off is kept. A duplicate task is
    harmless (see ``deliver``)."""
    from occ_core.dispatch.tasks import deliver as deliver_task

    now, grace = utcnow(), timedelta(minutes=minutes)
    queued = env.dbsession.execute(
        select(Delivery.id, Delivery.tenant_id, Delivery.attempts, Delivery.updated_at)
        .where(Delivery.status == QUEUED, Delivery.updated_at < now - grace)
    ).all()
    stale = [(delivery_id, tenant_id) for delivery_id, tenant_id, attempts, updated_at in queued
             if updated_at + (retry_delay(attempts) if attempts else timedelta()) + grace < now]
    for delivery_id, tenant_id in stale:
        send_after_commit(env.tm, deliver_task, tenant_id, delivery_id)
    return len(stale)


def _set_status(env, delivery, new, detail=""):
    old = delivery.status
    delivery.status = new
    env.dbsession.add(DeliveryEvent(tenant_id=delivery.tenant_id, delivery_id=delivery.id, status=new, detail=detail))
    env.dbsession.flush()
    if old != new and env.tenant is not None:
        env.hooks.occ_dispatch_status_changed(delivery=delivery, old=old, new=new)


def deliver(env, delivery_id: int) -> str:
    """Send one delivery at most once: the claim from ``queued`` to ``sending`` is a single UPDATE, so
    a duplicate or concurrent task finds nothing to claim. A crash after the claim leaves the delivery
    in ``sending`` for the operator to look at, rather than risking a second copy."""
    db = env.dbsession
    claimed = db.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == QUEUED)
        .values(status=SENDING, attempts=Delivery.attempts + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    env.tm.commit()
    env.tm.begin()
    if not claimed:
        return "nothing to send"
    delivery = db.scalar(select(Delivery).where(Delivery.id == delivery_id))
    spec = channels(env.registry)[delivery.message.channel]
    try:
        provider_id = spec.factory(env.settings).send(delivery.message, delivery)
    except TemporaryFailure as error:
        delivery.last_error = str(error)
        if delivery.attempts >= MAX_ATTEMPTS:
            _set_status(env, delivery, FAILED, str(error))
            return "failed"
        _set_status(env, delivery, QUEUED, f"Tentativo {delivery.attempts} non riuscito: {error}")
        env.tm.commit()
        env.tm.begin()
        raise env.task.retry(countdown=retry_delay(delivery.attempts).total_seconds())
    except PermanentFailure as error:
        delivery.last_error = str(error)
        _set_status(env, delivery, FAILED, str(error))
        return "failed"
    delivery.provider_id = provider_id
    delivery.sent_at = utcnow()
    delivery.last_error = ""
    _set_status(env, delivery, SENT)
    return "sent"


def sent_recently(db, purpose: str, address: str, minutes: int) -> int:
    """How many messages for ``purpose`` were queued to ``address`` (as normalised, lower case) in the
    last ``minutes``: public forms that email a link check it, so that nobody can flood a mailbox."""
    since = utcnow() - timedelta(minutes=minutes)
    return db.scalar(
        select(func.count(Delivery.id)).join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(OutboxMessage.purpose == purpose, Delivery.address == address, OutboxMessage.created_at >= since)
    )


def queue_email(request, *, subject, body_text, to, purpose="", tenant_id=None, attachments=()):
    """Email one address from a web request, after the request's transaction commits."""
    return queue_message(
        request.dbsession, request.tm, request.registry, tenant_id=tenant_id, channel="email",
        subject=subject, body_text=body_text, recipients=to, purpose=purpose,
        created_by_id=request.identity.id if request.identity is not None else None, attachments=attachments,
    )
