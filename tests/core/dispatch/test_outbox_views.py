"""Outbox pages of the Order and of the operator, and the local maildir of the embedded default."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from occ_core.accounts.models import Role
from occ_core.dispatch.models import FAILED, QUEUED, SENT, Delivery, DeliveryEvent, OutboxMessage
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user


def add_message(db, tenant_id, subject, address, status=SENT, error="", events=()):
    message = OutboxMessage(tenant_id=tenant_id, channel="email", subject=subject, purpose="prova",
                            body_text=f"Testo di {subject}: https://example.org/a?b=1&c=<2>")
    message.deliveries.append(Delivery(tenant_id=tenant_id, recipient_name="Mario Rossi", address=address,
                                       status=status, attempts=len(events), last_error=error,
                                       sent_at=datetime(2024, 5, 6, 8, 30, tzinfo=timezone.utc)
                                       if status == SENT else None))
    db.add(message)
    db.flush()
    for event_status, detail in events:
        db.add(DeliveryEvent(tenant_id=tenant_id, delivery_id=message.deliveries[0].id, status=event_status,
                             detail=detail))
    db.flush()
    return message.id


@pytest.fixture
def orders(dbtx, pm):
    with dbtx() as db:
        milano = make_tenant(db, pm, "milano")
        roma = make_tenant(db, pm, "roma")
        make_user(db, "operatore@piattaforma.it", operator=True)
        for role in ("segreteria", "consultazione"):
            make_user(db, f"{role}@milano.it", milano, role)
        ids = {
            "sent": add_message(db, milano.id, "Convocazione", "debitore@example.org",
                                events=[(SENT, "")]),
            "failed": add_message(db, milano.id, "Avviso", "creditore@example.org", status=FAILED,
                                  error="550 mailbox unavailable",
                                  events=[(QUEUED, "Tentativo 1 non riuscito: timeout"),
                                          (FAILED, "550 mailbox unavailable")]),
            "of_roma": add_message(db, roma.id, "Riservato di Roma", "segreto@roma.example.org"),
            "platform": add_message(db, None, "Messaggio di piattaforma", "tutti@example.org"),
        }
        return {"milano": milano.id, "roma": roma.id, **ids}


def subjects(page):
    table = page.html.find("table", id="deliveries")
    return [row.find_all("td")[-6].text.strip() for row in table.find("tbody").find_all("tr")] if table else []


def test_the_order_sees_its_own_deliveries_newest_first(testapp, orders):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/outbox")
    assert subjects(page) == ["Avviso", "Convocazione"]
    assert "Riservato di Roma" not in page.text and "Messaggio di piattaforma" not in page.text
    row = page.html.find("table", id="deliveries").find("tbody").find("tr").text
    assert "Non riuscito" in row and "550 mailbox unavailable" in row and "creditore@example.org" in row
    assert "06/05/2024 10:30" in page.text  # sent time in Europe/Rome
    assert "2 invii" in page.text
    assert subjects(testapp.get("/milano/outbox", {"status": "failed"})) == ["Avviso"]
    assert subjects(testapp.get("/milano/outbox", {"status": "nonsense"})) == ["Avviso", "Convocazione"]


def test_message_detail_shows_deliveries_and_their_history(testapp, orders):
    login(testapp, "segreteria@milano.it")
    page = testapp.get("/milano/outbox").click("Avviso")
    assert page.request.path == f"/milano/outbox/{orders['failed']}"
    history = page.html.find(id=re.compile("delivery-")).text
    assert "Tentativo 1 non riuscito: timeout" in history and "In coda" in history and "Non riuscito" in history
    body = page.html.find(id="message-body")
    assert body.find("a")["href"] == "https://example.org/a?b=1&c="
    assert "<2>" in body.text and body.find("2") is None  # escaped, not markup


def test_messages_of_other_orders_and_odd_ids_are_not_found(testapp, orders):
    login(testapp, "segreteria@milano.it")
    for message_id in (orders["of_roma"], orders["platform"], 999999, "99999999999999999999", "abc", "-1"):
        testapp.get(f"/milano/outbox/{message_id}", status=404)


def test_the_operator_sees_every_delivery(testapp, orders):
    login(testapp, "operatore@piattaforma.it")
    page = testapp.get("/admin/outbox")
    assert set(subjects(page)) == {"Avviso", "Convocazione", "Riservato di Roma", "Messaggio di piattaforma"}
    assert "Piattaforma" in page.text and "Ordine roma" in page.text
    detail = page.click("Riservato di Roma")
    assert detail.request.path == f"/admin/outbox/{orders['of_roma']}"
    assert "segreto@roma.example.org" in detail.text
    testapp.get("/admin/outbox/999999", status=404)


def test_outbox_permissions(testapp, orders):
    assert testapp.get("/milano/outbox", status=302).location.split("?")[0].endswith("/login")
    assert testapp.get("/admin/mail", status=302).location.split("?")[0].endswith("/login")
    login(testapp, "consultazione@milano.it")
    testapp.get("/milano/outbox", status=403)
    testapp.get(f"/milano/outbox/{orders['sent']}", status=403)
    for url in ("/admin/outbox", f"/admin/outbox/{orders['sent']}", "/admin/mail"):
        testapp.get(url, status=403)


def test_local_maildir_shows_the_password_email_without_smtp(testapp, orders, dbtx, pm):
    with dbtx() as db:
        make_user(db, "smemorato@example.org", full_name="Sandro Smemorato")
    page = testapp.get("/password/forgot")
    form = page.forms[0]
    form["email"] = "smemorato@example.org"
    form.submit()

    login(testapp, "operatore@piattaforma.it")
    page = testapp.get("/admin/mail")
    row = [tr for tr in page.html.find("table", id="mails").find_all("tr") if "smemorato@example.org" in tr.text]
    assert row and "Reimpostazione della password" in row[0].text
    message = testapp.get(row[0].find("a")["href"])
    link = message.html.find(id="mail-body").find("a")["href"]
    assert "/password/reset?token=" in link
    assert "Sandro Smemorato" in message.text

    testapp.reset()
    reset = testapp.get(link.split("6543", 1)[1]).forms[0]
    reset["password"] = reset["password_confirm"] = "ricordata-bene-7"
    reset.submit()
    login(testapp, "smemorato@example.org", "ricordata-bene-7")


def test_mail_keys_from_the_url_are_checked(testapp, orders):
    login(testapp, "operatore@piattaforma.it")
    for key in ("1700000000.M1P1Q1.host", "..", "%2E%2E%2Fsecret.key", "..%2F..%2Fsecret.key", "a b", "x" * 300):
        testapp.get(f"/admin/mail/{key}", status=404)


def test_outbox_rows_of_a_new_member_are_shown_to_their_order_only(testapp, orders, dbtx):
    with dbtx() as db:
        make_user(db, "admin@milano.it", db.get(Tenant, orders["milano"]), "amministratore")
        make_user(db, "admin@roma.it", db.get(Tenant, orders["roma"]), "amministratore")
        gestore = db.scalar(select(Role.id).where(Role.tenant_id == orders["milano"], Role.code == "gestore"))
    login(testapp, "admin@milano.it")
    testapp.post("/milano/members", {"csrf_token": csrf_token(testapp), "action": "add", "email": "g@studio.it",
                                     "full_name": "Gino Gestore", "role_id": gestore}, status=302)
    assert "g@studio.it" in testapp.get("/milano/outbox").text
    testapp.reset()
    login(testapp, "admin@roma.it")
    assert "g@studio.it" not in testapp.get("/roma/outbox").text


def test_the_outbox_never_shows_a_usable_password_link(testapp, orders, dbtx):
    """Whoever reads the outbox could otherwise set a new member's password before they do."""
    with dbtx() as db:
        make_user(db, "admin@milano.it", db.get(Tenant, orders["milano"]), "amministratore")
        gestore = db.scalar(select(Role.id).where(Role.tenant_id == orders["milano"], Role.code == "gestore"))
    login(testapp, "admin@milano.it")
    testapp.post("/milano/members", {"csrf_token": csrf_token(testapp), "action": "add", "email": "g@studio.it",
                                     "full_name": "Gino Gestore", "role_id": gestore}, status=302)
    with dbtx() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == orders["milano"])
                             .order_by(OutboxMessage.id.desc())).first()
        token = re.search(r"token=([^&\s]+)", message.body_text).group(1)
    testapp.reset()
    login(testapp, "segreteria@milano.it")
    page = testapp.get(f"/milano/outbox/{message.id}")
    assert "token=[riservato]" in page.text
    assert token not in page.text
