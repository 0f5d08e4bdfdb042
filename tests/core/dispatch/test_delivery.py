"""The outbox: sent after commit through a real SMTP server by a real Celery worker, at most once."""

from datetime import timedelta

import transaction
from sqlalchemy import select

from occ_core.background import celery_app
from occ_core.db import utcnow
from occ_core.dispatch import services
from occ_core.dispatch.models import FAILED, QUEUED, SENDING, SENT, Delivery, OutboxMessage
from occ_core.testing.factories import make_tenant
from occ_core.testing.polling import wait_for


def queue(dbtx, registry, tenant, recipients, subject="Convocazione"):
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        from occ_core.db import transactional_session

        db = transactional_session(registry["db.session_factory"], tm, tenant.id)
        message = services.queue_message(db, tm, registry, tenant_id=tenant.id, channel="email", subject=subject,
                                         body_text="Gentile destinatario, ...", recipients=recipients)
        return message.id


def test_five_recipients_each_get_one_copy_through_the_worker(dbtx, pm, registry, smtp_server, celery_worker):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    recipients = [(f"Creditore {n}", f"creditore{n}@example.it") for n in range(5)]
    queue(dbtx, registry, tenant, recipients)
    assert wait_for(lambda: len(smtp_server.messages) == 5)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(a for _n, a in recipients)
    with dbtx() as db:
        assert wait_for(lambda: {d.status for d in db.scalars(select(Delivery)).all()} == {SENT})


def test_a_repeated_task_sends_nothing_twice(dbtx, pm, registry, smtp_server):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    queue(dbtx, registry, tenant, [("Debitore", "debitore@example.it")])
    with dbtx() as db:
        delivery = db.scalars(select(Delivery)).one()
    # A redelivered or duplicated task (worker restart, broker redelivery) finds nothing to claim.
    assert celery_app.tasks["dispatch.deliver"].delay(tenant.id, delivery.id).get() == "nothing to send"
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].content.count(b"Message-ID: <delivery-") == 1


def test_nothing_is_sent_for_a_rolled_back_transaction(registry, dbtx, pm, smtp_server):
    from occ_core.db import transactional_session

    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    db = transactional_session(registry["db.session_factory"], tm, tenant.id)
    services.queue_message(db, tm, registry, tenant_id=tenant.id, channel="email", subject="x", body_text="x",
                           recipients=[("A", "a@example.it")])
    tm.abort()
    assert smtp_server.messages == []
    with dbtx() as check:
        assert check.scalars(select(Delivery)).all() == []


def test_unreachable_server_is_retried_then_marked(dbtx, pm, registry):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    saved = dict(registry.settings)
    # A port nobody listens on: a temporary failure, so the delivery goes back to the queue for a retry.
    registry.settings.update({"mail.smtp_host": "127.0.0.1", "mail.smtp_port": "1"})
    try:
        queue(dbtx, registry, tenant, [("A", "a@example.it")])
    finally:
        registry.settings.clear()
        registry.settings.update(saved)
    with dbtx() as db:
        delivery = db.scalars(select(Delivery)).one()
        assert delivery.status in (QUEUED, FAILED)
        assert delivery.attempts >= 1
        assert delivery.last_error
        assert delivery.events


def test_refused_recipient_fails_permanently(dbtx, pm, registry, smtp_server):
    from aiosmtpd.smtp import SMTP  # noqa: F401  (the server is real; make it refuse one address)

    async def refuse(server, session, envelope, address, rcpt_options):
        if address.startswith("inesistente"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = refuse
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    queue(dbtx, registry, tenant, [("Nessuno", "inesistente@example.it"), ("Qualcuno", "ok@example.it")])
    with dbtx() as db:
        statuses = {d.address: d.status for d in db.scalars(select(Delivery))}
    assert statuses == {"inesistente@example.it": FAILED, "ok@example.it": SENT}
    assert len(smtp_server.messages) == 1


def test_deliveries_left_queued_are_sent_by_the_sweeper(dbtx, pm, registry, smtp_server):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        # As if the broker had been down when the transaction committed: stored, never sent.
        message = OutboxMessage(tenant_id=tenant.id, channel="email", subject="Rimasto in coda", body_text="x")
        message.deliveries.append(Delivery(tenant_id=tenant.id, address="a@example.it",
                                           updated_at=utcnow() - timedelta(minutes=30)))
        db.add(message)
        message.deliveries.append(Delivery(tenant_id=tenant.id, address="recente@example.it"))
    assert celery_app.tasks["dispatch.requeue_stale"].delay(None).get() == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.it"]]


def test_a_name_with_a_line_break_is_sent_on_one_line(dbtx, pm, registry, smtp_server):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    queue(dbtx, registry, tenant, [("Mario Rossi\r\nBcc: spia@example.it", "mario.rossi@example.it")])
    assert [m.rcpt_tos for m in smtp_server.messages] == [["mario.rossi@example.it"]]
    headers = smtp_server.messages[0].content.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert b'To: "Mario Rossi Bcc: spia@example.it" <mario.rossi@example.it>' in headers
    assert not [line for line in headers if line.startswith(b"Bcc")]
    with dbtx() as db:
        delivery = db.scalars(select(Delivery)).one()
    assert (delivery.status, delivery.recipient_name) == (SENT, "Mario Rossi Bcc: spia@example.it")


def batched(dbtx, tenant, deliveries, **message) -> int:
    """A batched message stored directly with ``deliveries`` (Delivery fields each); its id."""
    with dbtx(tenant) as db:
        found = OutboxMessage(tenant_id=tenant.id, channel="email", subject="Notizie", body_text="Testo",
                              batch_size=10, **message)
        found.deliveries = [Delivery(tenant_id=tenant.id, **fields) for fields in deliveries]
        db.add(found)
        db.flush()
        return found.id


def test_a_copy_that_cannot_be_built_fails_alone_and_the_batch_goes_on(dbtx, pm, tenant_env, smtp_server):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    # Stored before names were kept on one line: the email of the second cannot be built.
    message_id = batched(dbtx, tenant, [
        {"recipient_name": "Anna Verdi", "address": "anna@example.it"},
        {"recipient_name": "Luca Neri\nBcc: spia@example.it", "address": "luca@example.it"},
        {"recipient_name": "Paola Galli", "address": "paola@example.it"}])
    with tenant_env(tenant) as env:
        result = services.deliver_batch(env, message_id, 0)
    assert (result.sent, result.failed, result.remaining) == (2, 1, 0)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["anna@example.it", "paola@example.it"]
    with dbtx(tenant) as db:
        failed = db.scalar(select(Delivery).where(Delivery.address == "luca@example.it"))
        assert failed.status == FAILED
        assert failed.last_error.startswith("Errore imprevisto nel preparare o spedire il messaggio")
        assert db.get(OutboxMessage, message_id).completed_at is not None


def test_copies_left_sending_by_a_dead_batch_fail_as_unknown_and_are_never_sent_again(dbtx, pm, smtp_server):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
    long_ago, now = utcnow() - timedelta(hours=2), utcnow()
    # The worker died after claiming the last batch: the message can end only once the copies are settled.
    dead = batched(dbtx, tenant, [
        {"address": "inviato@example.it", "status": SENT, "updated_at": long_ago},
        {"address": "perso@example.it", "status": SENDING, "updated_at": long_ago}], next_batch_at=long_ago)
    # A batch at work right now: its copies are left to it.
    alive = batched(dbtx, tenant, [{"address": "in-corso@example.it", "status": SENDING, "updated_at": now}],
                    next_batch_at=long_ago)
    assert celery_app.tasks["dispatch.requeue_stale"].delay(None).get() == 2
    assert smtp_server.messages == []
    with dbtx() as db:
        found = {d.address: (d.status, d.last_error) for d in db.scalars(select(Delivery))}
        completed = {m.id: m.completed_at is not None for m in db.scalars(select(OutboxMessage))}
    assert found["perso@example.it"] == (FAILED, services.UNKNOWN_OUTCOME)
    assert found["in-corso@example.it"] == (SENDING, "")
    assert completed == {dead: True, alive: False}
    assert celery_app.tasks["dispatch.requeue_stale"].delay(None).get() == 0
