"""Queueing messages in the outbox and delivering them (called by the ``dispatch.deliver`` task)."""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, func, insert, or_, select, update

from occ_core.background import send_after_commit
from occ_core.db import utcnow
from occ_core.dispatch.channels import TemporaryFailure, outcome_of
from occ_core.dispatch.models import (
    CANCELLED, FAILED, QUEUED, SENDING, SENT, Delivery, DeliveryEvent, OutboxMessage,
)
from occ_core.errors import UserError

MAX_ATTEMPTS = 6
STALE_MINUTES = 10
# A batch records its outcomes long before this after claiming its deliveries (200 at most, each bounded by
# the SMTP timeout): a delivery still "sending" by then belongs to a batch that died.
LOST_MINUTES = 60
UNKNOWN_OUTCOME = ("Esito sconosciuto: l'invio si è interrotto dopo la presa in carico e il messaggio potrebbe "
                   "essere partito; non viene ripetuto, per non recapitarlo due volte.")
# Deliveries per batch at most: a batch is one transaction, and the progress of a sending moves by batches.
MAX_BATCH = 200


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
    _check_message(registry, channel, recipients)
    message = OutboxMessage(tenant_id=tenant_id, channel=channel, subject=subject, body_text=body_text,
                            body_html=body_html, purpose=purpose, created_by_id=created_by_id,
                            attachments=[{"filename": name, "content_type": content_type,
                                          "data": base64.b64encode(data).decode("ascii")}
                                         for name, content_type, data in attachments])
    db.add(message)
    for name, address in recipients:
        message.deliveries.append(Delivery(tenant_id=tenant_id, recipient_name=_one_line(name), address=address))
    db.flush()
    from occ_core.dispatch.tasks import deliver

    for delivery in message.deliveries:
        send_after_commit(transaction_manager, deliver, tenant_id, delivery.id)
    return message


def _one_line(name: str | None) -> str:
    """A recipient's name as the To header can carry it: on one line (a line break would let the name add
    headers, and the email could not be built) and within its column."""
    return " ".join((name or "").split())[:Delivery.recipient_name.type.length]


def _check_message(registry, channel, recipients) -> None:
    if channel not in channels(registry):
        raise UserError(f"Canale di invio «{channel}» non disponibile.")
    if not recipients:
        raise UserError("Indicare almeno un destinatario.")


def batch_size_for(rate_per_minute: int | None) -> int:
    return min(rate_per_minute or MAX_BATCH, MAX_BATCH)


def batch_interval(message) -> float:
    """Seconds between the starts of two batches of ``message`` that keep it within its rate."""
    return message.batch_size * 60 / message.rate_per_minute if message.rate_per_minute else 0.0


def queue_batched(db, transaction_manager, registry, *, tenant_id, channel, subject, body_text, recipients,
                  body_html="", purpose="", created_by_id=None, rate_per_minute=None) -> OutboxMessage:
    """Store a message for many recipients ``(name, address, personalisation)`` with one INSERT of all
    its deliveries, and send it in batches (task ``dispatch.deliver_batch``), at most ``rate_per_minute``
    deliveries a minute, once the transaction commits."""
    recipients = list(recipients)
    _check_message(registry, channel, recipients)
    message = OutboxMessage(tenant_id=tenant_id, channel=channel, subject=subject, body_text=body_text,
                            body_html=body_html, purpose=purpose, created_by_id=created_by_id,
                            batch_size=batch_size_for(rate_per_minute), rate_per_minute=rate_per_minute)
    db.add(message)
    db.flush()
    now = utcnow()
    db.execute(insert(Delivery), [
        {"tenant_id": tenant_id, "message_id": message.id, "recipient_name": _one_line(name), "address": address,
         "personalisation": personalisation or {}, "queued_at": now, "updated_at": now}
        for name, address, personalisation in recipients])
    from occ_core.dispatch.tasks import deliver_batch

    send_after_commit(transaction_manager, deliver_batch, tenant_id, message.id, 0)
    return message


def retry_delay(attempts: int) -> timedelta:
    """How long a delivery waits for its next try after ``attempts`` tries: doubling, at most an hour."""
    return timedelta(seconds=min(30 * 2 ** attempts, 3600))


def requeue_stale(env, minutes: int = STALE_MINUTES, lost_minutes: int = LOST_MINUTES) -> int:
    """Send again the task of deliveries still queued after ``minutes``: the broker may have been
    unreachable when their transaction committed. A delivery waiting for the retry of a failed try is
    stale only ``minutes`` after that retry was due, so that the back-off is kept. A duplicate task is
    harmless (see ``deliver``). Deliveries of a batch that died after claiming them fail (``fail_lost``)."""
    from occ_core.dispatch.tasks import deliver as deliver_task, deliver_batch as batch_task

    lost = fail_lost(env.dbsession, lost_minutes)
    now, grace = utcnow(), timedelta(minutes=minutes)
    queued = env.dbsession.execute(
        select(Delivery.id, Delivery.tenant_id, Delivery.attempts, Delivery.updated_at)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(Delivery.status == QUEUED, Delivery.updated_at < now - grace, OutboxMessage.batch_size.is_(None))
    ).all()
    stale = [(delivery_id, tenant_id) for delivery_id, tenant_id, attempts, updated_at in queued
             if updated_at + (retry_delay(attempts) if attempts else timedelta()) + grace < now]
    for delivery_id, tenant_id in stale:
        send_after_commit(env.tm, deliver_task, tenant_id, delivery_id)
    # A batched message whose next batch is long overdue lost its task: the chain goes on from its round,
    # and a message with nothing left to send (its last batch died) gets its end.
    stalled = env.dbsession.execute(
        select(OutboxMessage.id, OutboxMessage.tenant_id, OutboxMessage.batch_round)
        .where(OutboxMessage.batch_size.is_not(None), OutboxMessage.completed_at.is_(None),
               func.coalesce(OutboxMessage.next_batch_at, OutboxMessage.created_at) < now - grace,
               or_(_has_deliveries(QUEUED), ~_has_deliveries(SENDING)))
    ).all()
    for message_id, tenant_id, batch_round in stalled:
        send_after_commit(env.tm, batch_task, tenant_id, message_id, batch_round)
    return len(stale) + len(stalled) + lost


def _has_deliveries(status: str):
    return exists().where(Delivery.message_id == OutboxMessage.id, Delivery.status == status)


def fail_lost(db, minutes: int = LOST_MINUTES) -> int:
    """Fail the deliveries of batched messages still ``sending`` ``minutes`` after their batch claimed them
    (the worker died, or the batch's transaction failed after the claim); return how many. Some may have gone
    out: sending them again could deliver a copy twice, so their outcome is recorded as unknown."""
    batched = select(OutboxMessage.id).where(OutboxMessage.batch_size.is_not(None))
    return len(_move(db, SENDING, FAILED, Delivery.message_id.in_(batched),
                     Delivery.updated_at < utcnow() - timedelta(minutes=minutes), detail=UNKNOWN_OUTCOME))


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
    sender = channels(env.registry)[delivery.message.channel].factory(env.settings)
    outcome = outcome_of(lambda d: sender.send(d.message, d), delivery)
    if isinstance(outcome, Exception):
        delivery.last_error = str(outcome)
        if isinstance(outcome, TemporaryFailure) and delivery.attempts < MAX_ATTEMPTS:
            _set_status(env, delivery, QUEUED, f"Tentativo {delivery.attempts} non riuscito: {outcome}")
            env.tm.commit()
            env.tm.begin()
            raise env.task.retry(countdown=retry_delay(delivery.attempts).total_seconds())
        _set_status(env, delivery, FAILED, str(outcome))
        return "failed"
    delivery.provider_id = outcome
    delivery.sent_at = utcnow()
    delivery.last_error = ""
    _set_status(env, delivery, SENT)
    return "sent"


@dataclass(frozen=True)
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    requeued: int = 0
    remaining: int = 0
    # When the next batch is due, in seconds from now, and the round it must carry; None: no next batch.
    countdown: float | None = None
    next_round: int | None = None


def claim_batch(db, message_id: int, limit: int) -> list[int]:
    """Move up to ``limit`` queued deliveries of a message to ``sending`` in one UPDATE; return their ids.

    Concurrent claims never share a delivery: rows another claim holds are skipped (PostgreSQL) or wait
    for it (SQLite), and the UPDATE checks the status again, so each delivery is sent at most once. The
    pick is a materialised CTE, run once: as a plain ``IN (subquery)`` PostgreSQL may run it again for
    each row, and each run, no longer seeing the rows just updated, picks the next ones (all of them)."""
    picked = (select(Delivery.id).where(Delivery.message_id == message_id, Delivery.status == QUEUED)
              .order_by(Delivery.id).limit(limit).with_for_update(skip_locked=True)
              .cte("picked").prefix_with("MATERIALIZED"))
    return list(db.scalars(
        update(Delivery).where(Delivery.id.in_(select(picked.c.id)), Delivery.status == QUEUED)
        .values(status=SENDING, attempts=Delivery.attempts + 1, updated_at=utcnow())
        .returning(Delivery.id).execution_options(synchronize_session=False)))


def _send_all(sender, message, deliveries) -> list:
    """One outcome per delivery (provider id or failure), through the channel's batch method if it has one."""
    send_batch = getattr(sender, "send_batch", None)
    if send_batch is not None:
        return send_batch(message, deliveries)
    return [outcome_of(lambda d: sender.send(message, d), delivery) for delivery in deliveries]


def _record(db, deliveries, outcomes) -> list[tuple[int, str]]:
    """Store every outcome with two statements (statuses, events); return (attempts, status) per delivery."""
    now = utcnow()
    changes, events, results = [], [], []
    for delivery, outcome in zip(deliveries, outcomes):
        failed = isinstance(outcome, Exception)
        if isinstance(outcome, TemporaryFailure) and delivery.attempts < MAX_ATTEMPTS:
            status, detail = QUEUED, f"Tentativo {delivery.attempts} non riuscito: {outcome}"
        else:
            status, detail = (FAILED, str(outcome)) if failed else (SENT, "")
        changes.append({"id": delivery.id, "status": status, "provider_id": "" if failed else outcome,
                        "last_error": str(outcome) if failed else "", "sent_at": None if failed else now,
                        "updated_at": now})
        events.append({"tenant_id": delivery.tenant_id, "delivery_id": delivery.id, "status": status,
                       "detail": detail, "at": now})
        results.append((delivery.attempts, status))
    db.execute(update(Delivery), changes)
    db.execute(insert(DeliveryEvent), events)
    return results


def deliver_batch(env, message_id: int, batch_round: int) -> BatchResult:
    """Send the next batch of a batched message, at most once per delivery (see ``claim_batch``; a crash
    after the claim leaves its deliveries in ``sending``, until ``fail_lost`` records them as failed).

    ``batch_round`` must be the message's current round: the task that finds it so moves it on, so a
    duplicate task sends nothing. The result says when the next batch is due: ``batch_interval`` after
    this one started, later if the channel failed temporarily (the back-off of ``retry_delay``)."""
    db = env.dbsession
    started = utcnow()
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id))
    if message is None or message.batch_size is None:
        return BatchResult()
    interval = batch_interval(message)
    taken = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.batch_round == batch_round,
               OutboxMessage.completed_at.is_(None))
        .values(batch_round=batch_round + 1, next_batch_at=started + timedelta(seconds=interval))
        .execution_options(synchronize_session=False)
    ).rowcount
    ids = claim_batch(db, message_id, message.batch_size) if taken else []
    env.tm.commit()
    env.tm.begin()
    if not taken:
        return BatchResult()
    deliveries = list(db.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)))
    results = []
    if deliveries:
        sender = channels(env.registry)[message.channel].factory(env.settings)
        results = _record(db, deliveries, _send_all(sender, message, deliveries))
        _announce(env, ids)
    remaining = db.scalar(select(func.count(Delivery.id))
                          .where(Delivery.message_id == message_id, Delivery.status == QUEUED))
    statuses = [status for _attempts, status in results]
    counts = {"claimed": len(ids), "sent": statuses.count(SENT), "failed": statuses.count(FAILED),
              "requeued": statuses.count(QUEUED), "remaining": remaining}
    if not remaining:
        _complete(env, message)
        return BatchResult(**counts)
    countdown = max(0.0, interval - (utcnow() - started).total_seconds())
    retried = [attempts for attempts, status in results if status == QUEUED]
    if retried:
        countdown = max(countdown, retry_delay(max(retried)).total_seconds())
    db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
               .values(next_batch_at=utcnow() + timedelta(seconds=countdown))
               .execution_options(synchronize_session=False))
    return BatchResult(**counts, countdown=countdown, next_round=batch_round + 1)


def _announce(env, ids) -> None:
    """``occ_dispatch_status_changed`` for each delivery of a batch, read again only if someone listens."""
    hook = env.hooks.occ_dispatch_status_changed
    if env.tenant is None or not hook.get_hookimpls():
        return
    for delivery in env.dbsession.scalars(select(Delivery).where(Delivery.id.in_(ids))
                                          .execution_options(populate_existing=True)):
        hook(delivery=delivery, old=SENDING, new=delivery.status)


def _complete(env, message) -> None:
    """Mark a batched message done once and tell ``occ_dispatch_message_done``."""
    done = env.dbsession.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.completed_at.is_(None))
        .values(completed_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if done and env.tenant is not None:
        env.hooks.occ_dispatch_message_done(env=env, message=message)


def _move(db, old: str, new: str, *criteria, detail: str) -> list:
    """Move the deliveries in status ``old`` that match ``criteria`` to ``new`` with ``detail`` as their
    error and event, in two statements; return their (id, tenant id)."""
    now = utcnow()
    moved = db.execute(
        update(Delivery).where(Delivery.status == old, *criteria)
        .values(status=new, last_error=detail, updated_at=now)
        .returning(Delivery.id, Delivery.tenant_id).execution_options(synchronize_session=False)
    ).all()
    if moved:
        db.execute(insert(DeliveryEvent), [
            {"tenant_id": tenant_id, "delivery_id": delivery_id, "status": new, "detail": detail, "at": now}
            for delivery_id, tenant_id in moved])
    return moved


def cancel_queued(db, *criteria, detail: str) -> int:
    """Take the queued deliveries that match ``criteria`` out of the queue before they are sent (a batch
    claims only queued ones); return how many."""
    return len(_move(db, QUEUED, CANCELLED, *criteria, detail=detail))


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
