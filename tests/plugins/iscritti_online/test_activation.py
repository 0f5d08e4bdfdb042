"""Activation of the reserved area: codice fiscale + address on file, mailed single-use link, password."""
import pytest
from sqlalchemy import select

from occ_core.accounts.models import Membership
from occ_core.accounts.services import user_by_email
from occ_core.tenants.services import get_tenant
from occ_core.testing.factories import login, make_user

from iscritti_online.models import RegistrantAccount

SENT = "Se i dati corrispondono a un iscritto dell'Ordine"
NEW_PASSWORD = "nuova-password-2026"


def request_link(testapp, order, codice_fiscale, email, status=200):
    form = testapp.get(order.url("/attiva")).forms[0]
    form["codice_fiscale"] = codice_fiscale
    form["email"] = email
    return form.submit(status=status)


def choose_password(testapp, link, password=NEW_PASSWORD, confirm=None, status=302):
    form = testapp.get(link).forms[0]
    form["password"] = password
    form["password_confirm"] = confirm if confirm is not None else password
    return form.submit(status=status)


def test_activation_through_the_mailed_link(testapp, make_order, outbox, mailed_link, dbtx):
    order = make_order(activated=False)
    # The PEC on file works as well as the email; the codice fiscale may be typed in lower case.
    page = request_link(testapp, order, order.codice_fiscale.lower(), order.registrant_pec.upper())
    assert SENT in page.text
    [(message, addresses)] = outbox()
    assert addresses == [order.registrant_pec]
    assert message.tenant_id == order.tenant_id
    assert "48 ore" in message.body_text

    link = mailed_link(order.registrant_pec)
    assert order.registrant_pec in testapp.get(link).text
    done = choose_password(testapp, link)
    assert "/login?next=" in done.location and "iscritti%2Fprofilo" in done.location

    form = testapp.get(done.location).forms[0]
    form["email"], form["password"] = order.registrant_pec, NEW_PASSWORD
    page = form.submit(status=302).follow()
    assert page.request.path == order.url("/profilo")
    assert order.codice_fiscale in page.text
    with dbtx(order.tenant_id) as db:
        user = user_by_email(db, order.registrant_pec)
        assert user.email_verified_at is not None
        membership = db.scalar(select(Membership).where(Membership.user_id == user.id))
        assert membership.role.code == "iscritto" and membership.active
        account = db.scalar(select(RegistrantAccount).where(RegistrantAccount.user_id == user.id))
        assert account.registrant_id == order.registrant_id


@pytest.mark.parametrize("case", ["other email", "unknown codice fiscale", "cancelled"])
def test_no_match_gives_the_same_answer_and_sends_nothing(testapp, make_order, outbox, case):
    order = make_order(activated=False, status="cancellato" if case == "cancelled" else "attivo")
    email = "qualcun.altro@example.it" if case == "other email" else order.registrant_email
    code = "BNCMRA80A01F205D" if case == "unknown codice fiscale" else order.codice_fiscale
    page = request_link(testapp, order, code, email)
    assert SENT in page.text
    assert outbox() == []


@pytest.mark.parametrize("code, email, message", [
    ("", "giulia@example.it", "Il codice fiscale è obbligatorio"),
    ("RSSMRA80A01F205A", "giulia@example.it", "non è valido"),
    ("BNCMRA80A01F205D", "non-è-una-email", "Indirizzo email non valido"),
])
def test_bad_input_is_shown_and_nothing_is_sent(testapp, make_order, outbox, code, email, message):
    order = make_order(activated=False)
    page = request_link(testapp, order, code, email, status=400)
    assert message in page.text
    assert SENT not in page.text
    assert outbox() == []


def test_the_link_works_once(testapp, make_order, mailed_link):
    order = make_order(activated=False)
    request_link(testapp, order, order.codice_fiscale, order.registrant_email)
    link = mailed_link(order.registrant_email)
    form = testapp.get(link).forms[0]
    choose_password(testapp, link)

    form["password"] = form["password_confirm"] = "altra-password-99"
    again = form.submit(status=400)
    assert "già stato utilizzato" in again.text
    assert "già stato utilizzato" in testapp.get(link, status=400).text
    login(testapp, order.registrant_email, "altra-password-99", status=400)
    login(testapp, order.registrant_email, NEW_PASSWORD)


def test_refused_password_keeps_the_link_usable(testapp, make_order, mailed_link, dbtx):
    order = make_order(activated=False)
    request_link(testapp, order, order.codice_fiscale, order.registrant_email)
    link = mailed_link(order.registrant_email)
    assert "almeno 10 caratteri" in choose_password(testapp, link, "corta", status=400).text
    assert "non coincidono" in choose_password(testapp, link, confirm="diversa-1234567", status=400).text
    with dbtx() as db:
        assert user_by_email(db, order.registrant_email) is None
    choose_password(testapp, link)


def test_a_tampered_or_foreign_link_is_refused(testapp, make_order, mailed_link):
    order = make_order(activated=False)
    other = make_order("torino", activated=False)
    request_link(testapp, order, order.codice_fiscale, order.registrant_email)
    link = mailed_link(order.registrant_email)
    assert "non è valido" in testapp.get(link[:-3] + "abc", status=400).text
    # A link of the Order «milano» opened under «torino».
    assert "non è più valido" in testapp.get(link.replace("/milano/", f"/{other.slug}/"), status=400).text


def test_an_existing_user_is_reused(testapp, make_order, mailed_link, dbtx):
    order = make_order(activated=False)
    other = make_order("torino", activated=False)
    with dbtx() as db:
        # The registrant already works for another Order with the address on file.
        existing_id = make_user(db, order.registrant_email, get_tenant(db, other.slug), "segreteria").id
    request_link(testapp, order, order.codice_fiscale, order.registrant_email)
    choose_password(testapp, mailed_link(order.registrant_email))
    with dbtx() as db:
        roles = {m.tenant_id: m.role.code for m in db.scalars(select(Membership).where(Membership.user_id == existing_id))}
        assert roles == {order.tenant_id: "iscritto", other.tenant_id: "segreteria"}
        assert db.scalar(select(RegistrantAccount.user_id).where(
            RegistrantAccount.registrant_id == order.registrant_id)) == existing_id
    login(testapp, order.registrant_email, NEW_PASSWORD)


def test_a_staff_address_is_not_turned_into_a_registrant(testapp, make_order, mailed_link, dbtx):
    order = make_order(activated=False)
    with dbtx() as db:
        staff_id = make_user(db, order.registrant_email, get_tenant(db, order.slug), "segreteria").id
    request_link(testapp, order, order.codice_fiscale, order.registrant_email)
    link = mailed_link(order.registrant_email)
    page = choose_password(testapp, link, status=400)
    assert "con un altro profilo" in page.text
    assert "Attiva l'accesso" in testapp.get(link).text  # the link was not used up
    with dbtx(order.tenant_id) as db:
        assert db.scalar(select(Membership).where(Membership.user_id == staff_id)).role.code == "segreteria"
        assert db.scalar(select(RegistrantAccount)) is None
    # Nothing was written: the staff password is unchanged.
    login(testapp, order.registrant_email)
