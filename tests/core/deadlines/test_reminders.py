"""The daily digest of deadlines: one e-mail per recipient and day through the outbox, to the secretariat
(everything) and to the gestori (their dossiers); running again the same day queues nothing."""
from datetime import date, timedelta

from sqlalchemy import select

from occ_core.background import celery_app
from occ_core.clock import today
from occ_core.deadlines import services
from occ_core.deadlines.models import Deadline
from occ_core.deadlines.tasks import digest
from occ_core.dispatch.models import Delivery, OutboxMessage
from occ_core.gestori.models import Appointment, Gestore
from occ_core.testing.factories import make_registrant

from .conftest import add_dossier


def appoint(db, tenant, dossier):
    registrant = make_registrant(db, tenant, last_name="Neri", first_name="Paolo", email="paolo.neri@studio.it")
    gestore = Gestore(tenant_id=tenant.id, registrant_id=registrant.id, enrolled_on=date(2020, 1, 1))
    db.add(gestore)
    db.flush()
    db.add(Appointment(tenant_id=tenant.id, dossier_id=dossier.id, gestore_id=gestore.id))
    db.flush()


def outbox(dbtx, order):
    with dbtx(order) as db:
        return [(m.purpose, m.subject, m.body_text, [d.address for d in m.deliveries])
                for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_the_digest_goes_into_the_outbox_once_a_day(order, tenant_env, dbtx):
    now = today()
    with tenant_env(order) as env:
        db = env.dbsession
        followed, other, closed = (add_dossier(db, order), add_dossier(db, order),
                                   add_dossier(db, order, closed=True, state="NON_OMOLOGATO"))
        appoint(db, order, followed)
        for dossier, label, due in ((followed, "Relazione in ritardo", now - timedelta(days=3)),
                                    (other, "Notifica imminente", now + timedelta(days=2)),
                                    (other, "Termine lontano", now + timedelta(days=40))):
            services.add_manual(env, dossier, {"label": label, "due_on": due.isoformat(), "who": "occ"})
        # Left open when the dossier closed (before deadlines were cancelled at closing): never reminded.
        db.add(Deadline(tenant_id=order.id, dossier_id=closed.id, label="Di una pratica chiusa", trigger_ref="x",
                        trigger_on=now, due_on=now - timedelta(days=1)))
    assert digest.apply(args=(order.id,)).get() == 2
    messages = outbox(dbtx, order)
    assert {purpose for purpose, *_ in messages} == {f"deadlines.digest:{now.isoformat()}"}
    by_address = {addresses[0]: (subject, body) for _p, subject, body, addresses in messages}
    subject, body = by_address["occ@ordine-torino.it"]
    assert subject == f"Scadenze al {now:%d/%m/%Y}: 1 scadute, 1 in scadenza"
    assert "Relazione in ritardo" in body and "Notifica imminente" in body
    assert "Termine lontano" not in body and "Di una pratica chiusa" not in body
    assert "http://127.0.0.1:6543/torino/deadlines" in body
    subject, body = by_address["paolo.neri@studio.it"]
    assert body.startswith("Gentile Neri Paolo,")
    assert "Relazione in ritardo" in body and "Notifica imminente" not in body
    # Again the same day (a retry, a second beat): nothing more.
    assert digest.apply(args=(order.id,)).get() == 0
    assert len(outbox(dbtx, order)) == 2
    with dbtx(order) as db:
        assert db.scalar(select(Delivery.status).where(Delivery.address == "occ@ordine-torino.it")) == "sent"


def test_nothing_due_nothing_sent_and_the_task_is_scheduled(order, dbtx):
    assert digest.apply(args=(order.id,)).get() == 0
    assert outbox(dbtx, order) == []
    entry = celery_app.conf.beat_schedule["deadlines-digest"]
    assert entry["task"] == "occ.fan_out" and entry["args"] == ("deadlines.digest", None)
