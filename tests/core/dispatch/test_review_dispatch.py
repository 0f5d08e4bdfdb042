"""Regressions found in the review of the outbox: the sweeper keeps the back-off, a message page
costs the same number of queries whatever its recipients."""
from datetime import timedelta

from sqlalchemy import select

from occ_core.background import celery_app
from occ_core.db import utcnow
from occ_core.dispatch.models import QUEUED, SENT, Delivery, DeliveryEvent, OutboxMessage
from occ_core.testing.factories import counted_queries, login, make_tenant, make_user


def test_the_sweeper_leaves_a_delivery_waiting_for_its_retry_alone(dbtx, pm, registry, smtp_server):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        message = OutboxMessage(tenant_id=tenant.id, channel="email", subject="Avviso", body_text="x")
        twenty_minutes_ago = utcnow() - timedelta(minutes=20)
        # Never tried: the broker must have lost its task.
        message.deliveries.append(Delivery(tenant_id=tenant.id, address="perso@example.it",
                                           updated_at=twenty_minutes_ago))
        # Five failed tries: the next one is due 16 minutes after the last, so not overdue yet.
        message.deliveries.append(Delivery(tenant_id=tenant.id, address="in-attesa@example.it", attempts=5,
                                           updated_at=twenty_minutes_ago))
        # Two failed tries, retry due two minutes after the last: long overdue.
        message.deliveries.append(Delivery(tenant_id=tenant.id, address="scaduto@example.it", attempts=2,
                                           updated_at=twenty_minutes_ago))
        db.add(message)
    assert celery_app.tasks["dispatch.requeue_stale"].delay(None).get() == 2
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["perso@example.it", "scaduto@example.it"]
    with dbtx() as db:
        assert db.scalar(select(Delivery.status).where(Delivery.address == "in-attesa@example.it")) == QUEUED


def add_message(db, tenant_id, recipients: int) -> int:
    message = OutboxMessage(tenant_id=tenant_id, channel="email", subject="Convocazione", body_text="Testo")
    for number in range(recipients):
        message.deliveries.append(Delivery(tenant_id=tenant_id, address=f"r{number}@example.it", status=SENT))
    db.add(message)
    db.flush()
    for delivery in message.deliveries:
        db.add(DeliveryEvent(tenant_id=tenant_id, delivery_id=delivery.id, status=SENT))
    return message.id


def test_a_message_page_does_not_query_once_per_recipient(testapp, dbtx, pm, registry):
    with dbtx() as db:
        tenant = make_tenant(db, pm, "milano")
        make_user(db, "segreteria@milano.it", tenant, "segreteria")
        one, many = add_message(db, tenant.id, 1), add_message(db, tenant.id, 8)
    login(testapp, "segreteria@milano.it")
    testapp.get("/milano/")  # the first request of an Order loads its configuration (then cached)
    costs = []
    for message_id in (one, many):
        with counted_queries(registry) as statements:
            page = testapp.get(f"/milano/outbox/{message_id}")
        costs.append(len(statements))
    assert page.text.count("r7@example.it") >= 1
    assert costs[0] == costs[1]
