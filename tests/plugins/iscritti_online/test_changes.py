"""«I miei dati»: direct edits, edits that need approval, and the secretariat's decision."""
import pytest
from sqlalchemy import select

from occ_core.audit.models import AuditEntry
from occ_core.testing import sample_module
from shared_registry import services as registry_services

from iscritti_online.models import APPROVED, PENDING, REJECTED, WITHDRAWN

NEW_PEC = "giulia.nuova@pec.example.it"


def profile_form(testapp, order):
    return testapp.get(order.url("/profilo")).forms["profile-form"]


def ask_new_pec(testapp, sign_in, order, pec=NEW_PEC):
    sign_in(order.iscritto)
    form = profile_form(testapp, order)
    form["pec"] = pec
    return form.submit(status=302).follow()


def test_profile_shows_registry_data_and_credits(testapp, sign_in, make_order):
    order = make_order()
    sign_in(order.iscritto)
    page = testapp.get(order.url("/profilo"))
    assert order.codice_fiscale in page.text
    assert order.registrant_pec in page.text
    credits = page.html.find("caption", string="Crediti formativi per anno").parent
    assert [row.get_text(" ", strip=True) for row in credits.tbody.find_all("tr")] == ["2024 20", "2025 15"]
    # Only the fields the Order made editable are in the form; the name is not.
    fields = set(profile_form(testapp, order).fields) - {"csrf_token"}
    assert {"email", "pec", "phone", "specialisations"} <= fields
    assert not fields & {"last_name", "first_name", "status", "codice_fiscale", "registration_number"}


def test_direct_edit_is_applied_and_audited(testapp, sign_in, make_order, read_registrant, change_requests, dbtx):
    order = make_order()
    sign_in(order.iscritto)
    form = profile_form(testapp, order)
    form["phone"] = "02 7654321"
    form["city"] = "Sesto San Giovanni"
    page = form.submit(status=302).follow()
    assert "Dati aggiornati." in page.text
    registrant = read_registrant(order)
    assert (registrant.phone, registrant.city) == ("02 7654321", "Sesto San Giovanni")
    assert change_requests(order) == []
    with dbtx(order.tenant_id) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "registry_registrants.updated"))
        assert entry.details["changes"]["phone"] == ["02 1234567", "02 7654321"]
        assert entry.details["via"] == "iscritti_online"


@pytest.mark.parametrize("field, value", [
    ("last_name", "Altrocognome"), ("status", "attivo"), ("codice_fiscale", "BNCMRA80A01F205D"),
    ("registration_number", "1"), ("credits", "2025:99"),
])
def test_a_field_that_is_not_editable_cannot_be_changed_by_a_crafted_post(testapp, sign_in, make_order, read_registrant,
                                                                          post, field, value):
    order = make_order()
    before = read_registrant(order)
    sign_in(order.iscritto)
    page = post(order.url("/profilo"), {"phone": "02 7654321", field: value}, status=400)
    assert "Non è consentito modificare" in page.text
    after = read_registrant(order)
    # Nothing half-written: the editable phone of the same POST is not saved either.
    assert (after.last_name, after.phone, after.status) == (before.last_name, before.phone, before.status)


def test_the_orders_choice_makes_a_field_read_only(testapp, sign_in, make_order, read_registrant, post):
    order = make_order()
    sign_in(order.amministratore)
    post(order.url("/impostazioni"), {"phone": "none"})
    sign_in(order.iscritto)
    assert "phone" not in profile_form(testapp, order).fields
    post(order.url("/profilo"), {"phone": "02 7654321"}, status=400)
    assert read_registrant(order).phone == "02 1234567"


def test_bad_values_are_shown_and_nothing_is_written(testapp, sign_in, make_order, read_registrant, change_requests):
    order = make_order()
    sign_in(order.iscritto)
    form = profile_form(testapp, order)
    form["phone"] = "02 7654321"
    form["postal_code"] = "2012"
    form["pec"] = "non-una-pec"
    page = form.submit(status=400)
    assert "Il CAP è composto da 5 cifre." in page.text
    assert "«non-una-pec» non è un indirizzo di posta valido" in page.text
    assert page.forms["profile-form"]["postal_code"].value == "2012"
    assert read_registrant(order).phone == "02 1234567"
    assert change_requests(order) == []


def test_approval_flow(testapp, sign_in, make_order, read_registrant, change_requests, outbox, dbtx):
    order = make_order(extra=["prova"])
    page = ask_new_pec(testapp, sign_in, order)
    assert "inviata alla segreteria" in page.text
    assert read_registrant(order).pec == order.registrant_pec
    [request] = change_requests(order)
    assert (request.status, request.requested, request.previous) == (PENDING, {"pec": NEW_PEC},
                                                                     {"pec": order.registrant_pec})
    # The form shows what is waiting for approval.
    assert profile_form(testapp, order)["pec"].value == NEW_PEC

    sign_in(order.segreteria)
    assert "Richieste iscritti (1)" in testapp.get(f"/{order.slug}/").text
    listing = testapp.get(order.url("/richieste"))
    detail = listing.click(href=order.url(f"/richieste/{request.id}"))
    row = detail.html.find("th", string="PEC").parent
    assert row.find(class_="occ-diff-old").get_text(strip=True) == order.registrant_pec
    assert row.find(class_="occ-diff-new").get_text(strip=True) == NEW_PEC
    assert "cambiato dopo la richiesta" not in detail.text

    done = detail.forms["approve-form"].submit("action", value="approve", status=302).follow()
    assert "Richiesta approvata" in done.text
    assert read_registrant(order).pec == NEW_PEC
    [request] = change_requests(order)
    assert request.status == APPROVED and request.decided_by_id is not None and request.decided_at is not None
    [(message, addresses)] = outbox()
    assert addresses == [order.iscritto] and message.tenant_id == order.tenant_id
    assert "approvata" in message.subject and NEW_PEC in message.body_text
    assert ("event", "iscritti_online.request.approved", order.tenant_id) in sample_module.CALLS
    with dbtx(order.tenant_id) as db:
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "iscritti_online.request.approved"))

    # The registrant sees the outcome in the history of «I miei dati».
    sign_in(order.iscritto)
    history = testapp.get(order.url("/profilo")).html.find(class_="occ-change-request")
    assert "Approvata" in history.get_text()


def test_reject_needs_a_reason_and_tells_the_registrant(testapp, sign_in, make_order, read_registrant, change_requests,
                                                        outbox, post):
    order = make_order()
    ask_new_pec(testapp, sign_in, order)
    [request] = change_requests(order)
    sign_in(order.segreteria)
    url = order.url(f"/richieste/{request.id}")
    page = post(url, {"action": "reject", "reason": "   "}, status=400)
    assert "Indichi il motivo" in page.text
    assert change_requests(order)[0].status == PENDING
    assert outbox() == []

    post(url, {"action": "reject", "reason": "La PEC indicata non risulta nel registro INI-PEC."})
    [request] = change_requests(order)
    assert request.status == REJECTED and request.reason.startswith("La PEC indicata")
    assert read_registrant(order).pec == order.registrant_pec
    [(message, addresses)] = outbox()
    assert addresses == [order.iscritto]
    assert "respinta" in message.subject and "INI-PEC" in message.body_text
    # A decided request cannot be decided again.
    assert "non è più in attesa" in post(url, {"action": "approve"}, status=400).text
    assert read_registrant(order).pec == order.registrant_pec

    sign_in(order.iscritto)
    assert "INI-PEC" in testapp.get(order.url("/profilo")).text


def test_one_pending_request_whose_content_is_replaced(testapp, sign_in, make_order, change_requests):
    order = make_order()
    ask_new_pec(testapp, sign_in, order)
    form = profile_form(testapp, order)
    form["pec"] = "seconda@pec.example.it"
    form["specialisations"] = "Crisi d'impresa\nSovraindebitamento"
    assert "è stata aggiornata" in form.submit(status=302).follow().text
    [request] = change_requests(order)
    assert request.status == PENDING
    assert request.requested == {"pec": "seconda@pec.example.it",
                                 "specialisations": ["Crisi d'impresa", "Sovraindebitamento"]}
    assert request.previous["pec"] == order.registrant_pec

    # Putting the registry values back takes the request back.
    form = profile_form(testapp, order)
    form["pec"] = order.registrant_pec
    form["specialisations"] = "\n".join(request.previous["specialisations"])
    assert "è stata ritirata" in form.submit(status=302).follow().text
    assert [r.status for r in change_requests(order)] == [WITHDRAWN]


def test_a_registry_change_made_meanwhile_is_highlighted(testapp, sign_in, make_order, change_requests, dbtx):
    order = make_order()
    ask_new_pec(testapp, sign_in, order)
    with dbtx(order.tenant_id) as db:
        registry_services.apply(db, order.tenant_id, registry_services.parse_record(
            {"codice_fiscale": order.codice_fiscale, "pec": "dalla-segreteria@pec.example.it"}, partial=True))
    [request] = change_requests(order)
    sign_in(order.segreteria)
    detail = testapp.get(order.url(f"/richieste/{request.id}"))
    row = detail.html.find("th", string="PEC").parent
    assert "table-warning" in row["class"]
    assert "dalla-segreteria@pec.example.it" in row.get_text() and "cambiato dopo la richiesta" in row.get_text()


def test_the_registrant_page_links_to_the_requests(testapp, sign_in, make_order):
    order = make_order()
    ask_new_pec(testapp, sign_in, order)
    sign_in(order.segreteria)
    page = testapp.get(f"/{order.slug}/registrants/{order.registrant_id}")
    history = page.click(href=order.url(f"/richieste/iscritto/{order.registrant_id}"))
    assert NEW_PEC in history.text and "In attesa" in history.text


def test_a_cancelled_registrant_can_read_but_not_change(testapp, sign_in, make_order, read_registrant, post):
    order = make_order(status="cancellato")
    sign_in(order.iscritto)
    page = testapp.get(order.url("/profilo"))
    assert "possono essere modificati solo dalla segreteria" in page.text
    assert "profile-form" not in page.forms
    post(order.url("/profilo"), {"phone": "02 7654321"}, status=400)
    assert read_registrant(order).phone == "02 1234567"
