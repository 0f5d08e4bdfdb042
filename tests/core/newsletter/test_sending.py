"""Sending: through the outbox in batches to a real SMTP server, once per address, each copy with its own
unsubscribe link; the rate limit, concurrent batches, unsubscribing while sending (and twice at once), scheduled
starts, a cancellation racing the start."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import transaction
from sqlalchemy import select, text

from occ_core.background import celery_app
from occ_core.db import transactional_session, utcnow
from occ_core.dispatch import services as dispatch
from occ_core.dispatch.models import CANCELLED, SENT, Delivery, OutboxMessage
from occ_core.newsletter import services, subscriptions
from occ_core.newsletter.models import Newsletter, Unsubscribe
from occ_core.testing.factories import csrf_token, login
from occ_core.testing.polling import wait_for

ONE_CLICK = {"params": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}


def link_path(url: str) -> str:
    """The path and query of an absolute link, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def state_of(dbtx, tenant, newsletter_id) -> str:
    with dbtx(tenant) as db:
        return db.get(Newsletter, newsletter_id).state


def statuses(dbtx, tenant) -> dict:
    with dbtx(tenant) as db:
        return {d.address: d.status for d in db.scalars(select(Delivery))}


def test_a_segment_gets_one_copy_per_address_each_with_its_own_unsubscribe_link(
        testapp, order, draft, dbtx, smtp_server, celery_worker):
    newsletter_id = draft()
    login(testapp, order.emails["segreteria"])
    testapp.post(f"/milano/newsletter/{newsletter_id}/send", {"csrf_token": csrf_token(testapp)}, status=302)

    assert wait_for(lambda: len(smtp_server.messages) == 3)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == order.segment_addresses
    links = {}
    for envelope in smtp_server.messages:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = mail["List-Unsubscribe"].removeprefix("<").removesuffix(">")
        assert url.startswith("http") and url in mail.get_body(("plain",)).get_content()
        assert f'href="{url}"' in mail.get_body(("html",)).get_content()
        assert "<b>buone notizie</b>" in mail.get_body(("html",)).get_content()
        links[envelope.rcpt_tos[0]] = link_path(url)
    assert wait_for(lambda: state_of(dbtx, order.tenant, newsletter_id) == "inviata")

    testapp.reset()  # the recipients are not logged in
    first, second, _third = order.segment_addresses
    page = testapp.get(links[first])
    assert first in page.text
    assert "Iscrizione annullata" in page.forms["unsubscribe-form"].submit().text
    # RFC 8058: the mail program posts by itself, without a session or a CSRF token.
    testapp.post(links[second], **ONE_CLICK)
    with dbtx(order.tenant) as db:
        assert sorted(db.scalars(select(Unsubscribe.email))) == [first, second]
    assert "Il collegamento non è valido" in testapp.get(links[first][:-3] + "abc", status=400).text


def test_unsubscribing_while_sending_stops_the_rest_at_once(testapp, order, draft, dbtx, smtp_server):
    """Two messages a batch: the third recipient unsubscribes while the first batch is being delivered."""
    with dbtx() as db:
        services.save_rate(db.merge(order.tenant), "2")
    newsletter_id = draft()
    with dbtx(order.tenant) as db:
        services.schedule(db, order.tenant, db.get(Newsletter, newsletter_id), None)
    answers, receive = [], smtp_server.handle_DATA

    async def unsubscribe_the_third(server, session, envelope):
        if not answers:
            with dbtx(order.tenant) as db:
                third = db.scalar(select(Delivery).where(Delivery.address == "elena.marrone@studio.it"))
                url = third.personalisation["fields"]["unsubscribe_url"]
            answers.append(testapp.post(link_path(url), **ONE_CLICK).status_int)
        return await receive(server, session, envelope)

    smtp_server.handle_DATA = unsubscribe_the_third
    celery_app.tasks["newsletter.start"].delay(order.tenant.id, newsletter_id)
    assert answers == [200]
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == order.segment_addresses[1:]
    assert statuses(dbtx, order.tenant) == {"mario.rossi@studio.it": SENT, "segreteria@studioassociato.it": SENT,
                                            "elena.marrone@studio.it": CANCELLED}
    assert state_of(dbtx, order.tenant, newsletter_id) == "inviata"
    with dbtx(order.tenant) as db:
        progress = services.progress_of(db, [db.get(Newsletter, newsletter_id)])[newsletter_id]
    assert (progress.total, progress.sent, progress.cancelled, progress.queued) == (3, 2, 1, 0)


def batched_message(dbtx, tenant, count, batch_size, rate_per_minute) -> int:
    """A message queued for batches, stored directly: each test runs its batches itself."""
    with dbtx(tenant) as db:
        message = OutboxMessage(tenant_id=tenant.id, channel="email", subject="Notizie", body_text="Testo",
                                batch_size=batch_size, rate_per_minute=rate_per_minute)
        message.deliveries = [Delivery(tenant_id=tenant.id, address=f"iscritto{n:02d}@example.it")
                              for n in range(count)]
        db.add(message)
        db.flush()
        return message.id


def test_the_rate_limit_spaces_the_batches(order, dbtx, tenant_env, smtp_server):
    # Three a batch at six a minute: a batch may start 30 seconds after the previous one started.
    message_id = batched_message(dbtx, order.tenant, 7, 3, 6)
    results = []
    for batch_round in range(3):
        with tenant_env(order.tenant) as env:
            results.append(dispatch.deliver_batch(env, message_id, batch_round))
            next_at = env.dbsession.get(OutboxMessage, message_id).next_batch_at
        if results[-1].countdown is not None:
            assert 25 < results[-1].countdown <= 30
            assert abs((next_at - utcnow()).total_seconds() - results[-1].countdown) < 5
    assert [(r.sent, r.remaining, r.next_round) for r in results] == [(3, 4, 1), (3, 1, 2), (1, 0, None)]
    assert results[-1].countdown is None
    with tenant_env(order.tenant) as env:
        assert dispatch.deliver_batch(env, message_id, 1).claimed == 0  # a late duplicate of the second batch
    assert len(smtp_server.messages) == 7


def in_threads(work, count):
    """``work()`` in ``count`` threads started at once; what each returned."""
    start, results = threading.Barrier(count), [None] * count

    def run(index):
        start.wait()
        results[index] = work()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_workers_never_claim_or_send_the_same_delivery(order, dbtx, registry, tenant_env, smtp_server):
    message_id = batched_message(dbtx, order.tenant, 60, 7, None)

    def claim_until_empty():
        claims = []
        while True:
            tm = transaction.TransactionManager(explicit=True)
            with tm:
                ids = dispatch.claim_batch(transactional_session(registry["db.session_factory"], tm, order.tenant.id),
                                           message_id, 7)
            if not ids:
                return claims
            claims.append(ids)

    claims = in_threads(claim_until_empty, 2)
    assert max(len(ids) for ids in claims[0] + claims[1]) == 7
    first, second = ([i for ids in found for i in ids] for found in claims)
    assert not set(first) & set(second)
    with dbtx(order.tenant) as db:
        assert sorted(first + second) == sorted(db.scalars(select(Delivery.id)))

    # The same batch task run twice at once (a redelivered task): one sends the batch, the other nothing.
    message_id = batched_message(dbtx, order.tenant, 10, 4, None)

    def run_batch():
        with tenant_env(order.tenant) as env:
            return dispatch.deliver_batch(env, message_id, 0).sent

    assert sorted(in_threads(run_batch, 2)) == [0, 4]
    assert len(smtp_server.messages) == 4
    assert len({tuple(m.rcpt_tos) for m in smtp_server.messages}) == 4


def test_a_scheduled_newsletter_starts_when_due(order, draft, dbtx, smtp_server):
    due, later = draft(subject="Dovuta"), draft(subject="Futura")
    with dbtx(order.tenant) as db:
        # Scheduled through the service: the form refuses a time in the past, here the time has come.
        services.schedule(db, order.tenant, db.get(Newsletter, due), utcnow() - timedelta(minutes=1))
        services.schedule(db, order.tenant, db.get(Newsletter, later), utcnow() + timedelta(hours=1))
    assert celery_app.tasks["newsletter.start_due"].delay(None).get() == 1
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == order.segment_addresses
    assert {m.content.count(b"Subject: Dovuta") for m in smtp_server.messages} == {1}
    assert (state_of(dbtx, order.tenant, due), state_of(dbtx, order.tenant, later)) == ("inviata", "programmata")
    assert celery_app.tasks["newsletter.start_due"].delay(None).get() == 0


def test_a_cancellation_loaded_before_the_start_committed_still_stops_the_queue(
        order, draft, dbtx, registry, smtp_server):
    """The page that cancels read the newsletter still «programmata»; meanwhile the start task queued the
    message and committed, and its first batch (one a minute) is being delivered: what is still queued stays."""
    with dbtx() as db:
        services.save_rate(db.merge(order.tenant), "1")
    newsletter_id = draft()
    with dbtx(order.tenant) as db:
        services.schedule(db, order.tenant, db.get(Newsletter, newsletter_id), None)
    delivering, cancelled, receive = threading.Event(), threading.Event(), smtp_server.handle_DATA

    async def wait_for_the_cancellation(server, session, envelope):
        delivering.set()
        cancelled.wait(timeout=30)
        return await receive(server, session, envelope)

    smtp_server.handle_DATA = wait_for_the_cancellation
    task = threading.Thread(target=celery_app.tasks["newsletter.start"].delay, args=(order.tenant.id, newsletter_id))
    tm = transaction.TransactionManager(explicit=True)
    try:
        with tm:
            db = transactional_session(registry["db.session_factory"], tm, order.tenant.id)
            loaded = db.get(Newsletter, newsletter_id)
            assert (loaded.state, loaded.message_id) == ("programmata", None)
            task.start()
            assert delivering.wait(timeout=30)
            outcome = services.cancel(db, loaded)
    finally:
        cancelled.set()
        if task.ident is not None:
            task.join()
    assert len(smtp_server.messages) == 1
    assert sorted(statuses(dbtx, order.tenant).values()) == [CANCELLED, CANCELLED, SENT]
    assert state_of(dbtx, order.tenant, newsletter_id) == "annullata"
    assert outcome == ("in_invio", 2)  # what the page tells: the sending was stopped, two copies not sent


def waiting_for_a_lock(dbtx) -> bool:
    """Whether a connection to the test database waits for a lock another transaction holds (PostgreSQL)."""
    with dbtx() as db:
        return bool(db.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'")))


def test_two_unsubscribe_requests_at_once_are_both_answered(testapp, order, draft, dbtx, registry):
    """The mail program's one-click and the recipient's own click arrive together: the second finds the first's
    row written but not yet committed, waits for it, and is answered too."""
    newsletter_id, address = draft(), "mario.rossi@studio.it"
    link = link_path(subscriptions.unsubscribe_url(registry.settings, order.tenant, newsletter_id, address))
    with dbtx(order.tenant) as db:
        postgresql = db.get_bind().dialect.name == "postgresql"
    with ThreadPoolExecutor(max_workers=1) as pool:
        with dbtx(order.tenant) as first:
            subscriptions.unsubscribe(first, order.tenant.id, address, newsletter_id)
            second = pool.submit(testapp.post, link, **ONE_CLICK)
            # SQLite has one writer at a time: there the second simply waits for the first to commit.
            assert not postgresql or wait_for(lambda: waiting_for_a_lock(dbtx))
        assert "Iscrizione annullata" in second.result(timeout=30).text
    with dbtx(order.tenant) as db:
        assert [(u.email, u.newsletter_id) for u in db.scalars(select(Unsubscribe))] == [(address, newsletter_id)]
