"""Regressions found in the review of the module: crafted posts, mail flooding, queries per request."""
from sqlalchemy import select

from occ_core.db import utcnow
from occ_core.testing.factories import counted_queries, csrf_token, make_user

from iscritti_online.models import REJECTED, ChangeRequest


def test_a_file_in_the_activation_form_is_refused_politely(testapp, make_order, outbox):
    order = make_order(activated=False)
    page = testapp.post(order.url("/attiva"), {"csrf_token": csrf_token(testapp), "codice_fiscale": order.codice_fiscale},
                        upload_files=[("email", "email.txt", order.registrant_email.encode())], status=400)
    assert "Indirizzo email non valido." in page.text
    assert outbox() == []


def test_activation_emails_to_one_address_are_limited(testapp, make_order, outbox):
    order = make_order(activated=False)
    for _ in range(7):
        form = testapp.get(order.url("/attiva")).forms[0]
        form["codice_fiscale"], form["email"] = order.codice_fiscale, order.registrant_email
        form.submit(status=200)  # the same answer every time, so nobody learns who is registered
    assert len(outbox()) == 5


def test_a_file_as_the_new_password_is_refused_politely(testapp, make_order, mailed_link):
    order = make_order(activated=False)
    form = testapp.get(order.url("/attiva")).forms[0]
    form["codice_fiscale"], form["email"] = order.codice_fiscale, order.registrant_email
    form.submit()
    link = mailed_link(order.registrant_email)
    token = testapp.get(link).forms[0]["csrf_token"].value
    page = testapp.post(link, {"csrf_token": token},
                        upload_files=[("password", "p.txt", b"x"), ("password_confirm", "p.txt", b"x")], status=400)
    assert "La password deve contenere almeno" in page.text


def test_a_file_as_the_reason_of_a_rejection_is_refused_politely(testapp, sign_in, make_order, dbtx, post):
    order = make_order()
    sign_in(order.iscritto)
    post(order.url("/profilo"), {"pec": "nuova@pec.example.it"})
    with dbtx(order.tenant_id) as db:
        request_id = db.scalar(select(ChangeRequest.id))
    sign_in(order.segreteria)
    page = testapp.post(order.url(f"/richieste/{request_id}"), {"csrf_token": csrf_token(testapp), "action": "reject"},
                        upload_files=[("reason", "motivo.txt", b"Non va")], status=400)
    assert "Indichi il motivo" in page.text


def add_decided_requests(dbtx, order, count: int) -> None:
    """``count`` rejected requests, each decided by a different member of staff."""
    with dbtx(order.tenant_id) as db:
        for number in range(count):
            decider = make_user(db, f"decisore{number}-{utcnow().timestamp()}@{order.slug}.example.it")
            db.add(ChangeRequest(tenant_id=order.tenant_id, registrant_id=order.registrant_id,
                                 requested={"pec": f"p{number}@pec.example.it"}, previous={"pec": ""},
                                 status=REJECTED, reason="No", decided_by_id=decider.id, decided_at=utcnow()))


def test_the_history_of_requests_does_not_query_once_per_request(testapp, sign_in, make_order, dbtx, registry):
    order = make_order()
    sign_in(order.segreteria)
    url = order.url(f"/richieste/iscritto/{order.registrant_id}")
    testapp.get(f"/{order.slug}/")  # the first request of an Order loads its configuration (then cached)
    costs = []
    for count in (1, 5):
        add_decided_requests(dbtx, order, count)
        with counted_queries(registry) as statements:
            page = testapp.get(url)
        costs.append(len(statements))
    assert page.text.lower().count("decisore") == 6
    assert costs[0] == costs[1]
