"""A communication to five parties: protocolled as outgoing with the impronta of each file, sent once to each
address through a real SMTP server by a real worker, also across a worker's restart; each recipient's status."""
import hashlib
from email import message_from_bytes, policy

import transaction
from sqlalchemy import select, update

from occ_core.background import TaskEnv, celery_app
from occ_core.communications.models import Communication
from occ_core.db import transactional_session
from occ_core.dispatch import services as dispatch
from occ_core.dispatch.channels import EmailSender
from occ_core.dispatch.models import SENDING, SENT, Delivery
from occ_core.documents.storage import storage_of
from occ_core.protocol.models import Registration
from occ_core.protocol.numbering import reference
from occ_core.testing.polling import wait_for

from .conftest import ADDRESSES, STATEMENT, compose_form


def received(smtp_server) -> list[str]:
    return sorted(address for envelope in smtp_server.messages for address in envelope.rcpt_tos)


def statuses(dbtx, case) -> dict[str, str]:
    with dbtx(case.tenant) as db:
        return {d.address: d.status for d in db.scalars(select(Delivery))}


def test_five_recipients_get_one_protocolled_message_each(case, as_user, post_compose, dbtx, registry, smtp_server,
                                                          celery_worker):
    testapp = as_user("segreteria")
    registry.settings["protocol.soffice"] = "soffice"  # LibreOffice makes the letter a PDF
    try:
        page = post_compose(case, compose_form(case, modello="comunicazione_creditori",
                                               documento=str(case.document_id))).follow()
    finally:
        registry.settings["protocol.soffice"] = ""
    assert "messa in coda per l'invio a 5 destinatari" in page.text
    assert wait_for(lambda: len(smtp_server.messages) == 5)
    assert received(smtp_server) == sorted(ADDRESSES)
    with dbtx(case.tenant) as db:
        registration = db.scalars(select(Registration)).one()
        assert db.scalars(select(Communication)).one().registration_id == registration.id
        assert registration.direction == "uscita" and registration.dossier_id == case.dossier_id
        assert sorted(c.address for c in registration.correspondents) == sorted(ADDRESSES)
        letter, statement = registration.files
        number = reference(registration.year, registration.number)
    stored = storage_of(registry).open(letter.digest_hex).read()
    assert stored.startswith(b"%PDF") and hashlib.sha256(stored).hexdigest() == letter.digest_hex
    assert (statement.filename, statement.digest_hex) == ("estratto-conto.txt", hashlib.sha256(STATEMENT).hexdigest())
    email = message_from_bytes(smtp_server.messages[0].content, policy=policy.default)
    body = email.get_body(("plain",)).get_content()
    assert number in body and letter.digest_hex in body and statement.digest_hex in body
    assert [part.get_filename() for part in email.iter_attachments()] == [letter.filename, "estratto-conto.txt"]
    assert wait_for(lambda: set(statuses(dbtx, case).values()) == {SENT})
    detail = testapp.get(page.request.url)
    assert detail.text.count("Inviato") >= 5 and number in detail.text and letter.digest_hex in detail.text


def test_a_worker_restart_sends_each_address_exactly_once(case, as_user, post_compose, dbtx, registry, pm,
                                                          smtp_server, request):
    as_user("segreteria")
    # The worker is down: the deliveries' tasks wait in the broker.
    celery_app.conf.task_always_eager = False
    try:
        post_compose(case, compose_form(case))
        with dbtx(case.tenant) as db:
            deliveries = list(db.scalars(select(Delivery).order_by(Delivery.id)))
        # The worker had claimed the first delivery and sent it when it stopped, before recording it as sent.
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            db = transactional_session(registry["db.session_factory"], tm, case.tenant.id)
            db.execute(update(Delivery).where(Delivery.id == deliveries[0].id).values(status=SENDING, attempts=1))
            first = db.get(Delivery, deliveries[0].id)
            EmailSender(registry.settings).send(first.message, first)
        # The sweeper sends the tasks of the deliveries still queued once more.
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            env = TaskEnv(registry=registry, dbsession=transactional_session(registry["db.session_factory"], tm),
                          tm=tm, tenant=None, active_modules=frozenset(), task=None)
            assert dispatch.requeue_stale(env, minutes=-1) == 4
    finally:
        celery_app.conf.task_always_eager = True
    request.getfixturevalue("celery_worker")  # the worker starts again and finds every task twice
    assert wait_for(lambda: sorted(statuses(dbtx, case).values()) == [SENDING] + [SENT] * 4)
    assert received(smtp_server) == sorted(ADDRESSES)
    assert statuses(dbtx, case)[deliveries[0].address] == SENDING
