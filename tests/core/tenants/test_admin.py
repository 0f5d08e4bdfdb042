"""Platform operator pages: Orders, contracts, activation, first administrator."""
import email
import re
from datetime import date, timedelta
from html import unescape

import pytest

from occ_core.accounts.services import user_by_email
from occ_core.tenants import services as tenants
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login, make_tenant


def tenant_count(dbtx):
    with dbtx() as db:
        return len(db.query(Tenant).all())


def contracts(dbtx, order):
    with dbtx() as db:
        return [(c.module, c.valid_from, c.valid_until, c.notes) for c in tenants.contracts_of(db, order.tenant)]


def admin_page(testapp, slug="milano"):
    return testapp.get(f"/admin/tenants/{slug}")


def end_contract_form(page):
    """The first «Termina» form of the contracts table, or None."""
    return next((form for form in page.forms.values()
                 if form.get("action", default=None) and form["action"].value == "end-contract"), None)


@pytest.mark.parametrize("path", ["/admin", "/admin/tenants/milano"])
def test_admin_pages_are_forbidden_to_an_order_administrator(testapp, order, dbtx, stored_tenant, path):
    login(testapp, order.admin)
    testapp.get(path, status=403)
    testapp.post(path, {"slug": "nuovo", "name": "Nuovo", "action": "set-active", "active": "0",
                        "csrf_token": csrf_token(testapp)}, status=403)
    assert tenant_count(dbtx) == 1
    assert stored_tenant().active


@pytest.mark.parametrize("path", ["/admin", "/admin/tenants/milano"])
def test_admin_pages_send_anonymous_to_login(testapp, order, path):
    assert "/login?next=" in testapp.get(path, status=302).location


def test_order_list_with_users_and_active_modules(testapp, order, operator, dbtx, pm):
    with dbtx() as db:
        make_tenant(db, pm, "torino", "Ordine dei Commercialisti di Torino", modules=["prova"])
    login(testapp, operator)
    page = testapp.get("/admin")
    rows = {slug: row for slug, row in re.findall(r'<tr id="tenant-([a-z-]+)">(.*?)</tr>', page.text, re.S)}
    cells = {slug: re.findall(r'<td class="text-end">(\d+)</td>', row) for slug, row in rows.items()}
    assert cells == {"milano": ["3", "0"], "torino": ["0", "1"]}
    assert "Ordine dei Commercialisti di Torino" in page.text


def test_operator_creates_an_order(testapp, operator, dbtx, audited):
    login(testapp, operator)
    form = testapp.get("/admin").forms["create-tenant"]
    form["slug"], form["name"] = "Avvocati-Roma", "Ordine degli Avvocati di Roma"
    response = form.submit(status=302)
    assert response.location.endswith("/admin/tenants/avvocati-roma")
    page = response.follow()
    assert "Ordine degli Avvocati di Roma" in page.text
    assert "L'Ordine non ha ancora un amministratore." in unescape(page.text)
    with dbtx() as db:
        tenant = tenants.get_tenant(db, "avvocati-roma")
        assert tenant.name == "Ordine degli Avvocati di Roma"
    [entry] = audited("tenant.created")
    assert entry.tenant_id == tenant.id


@pytest.mark.parametrize("slug, name, message", [
    ("admin", "Ordine", "non può essere una parola riservata"),
    ("Ordine di Roma", "Ordine", "solo lettere minuscole"),
    ("roma", "  ", "Indicare il nome dell'Ordine."),
    ("milano", "Un altro", "Esiste già un Ordine con codice «milano»."),
    ("roma", "O" * 197, "al massimo 196 caratteri"),
])
def test_bad_order_is_refused(testapp, order, operator, dbtx, audited, slug, name, message):
    login(testapp, operator)
    form = testapp.get("/admin").forms["create-tenant"]
    form["slug"], form["name"] = slug, name
    page = form.submit(status=400)
    assert message in unescape(page.text)
    assert tenant_count(dbtx) == 1
    assert audited("tenant.created") == []


def test_operator_adds_and_ends_a_contract(testapp, order, operator, dbtx, audited):
    login(testapp, operator)
    form = admin_page(testapp).forms["add-contract"]
    form["module"], form["valid_from"], form["notes"] = "prova", "2024-01-01", "Delibera del 12/12/2023"
    page = form.submit(status=302).follow()
    assert "Contratto per il modulo «Modulo di prova» registrato." in unescape(page.text)
    assert contracts(dbtx, order) == [("prova", date(2024, 1, 1), None, "Delibera del 12/12/2023")]
    [added] = audited("contract.added")
    assert added.tenant_id == order.tenant.id
    assert added.details["module"] == "prova"

    end = end_contract_form(page)
    yesterday = date.today() - timedelta(days=1)
    end["valid_until"] = yesterday.isoformat()
    page = end.submit(status=302).follow()
    assert f"ultimo giorno {yesterday.strftime('%d/%m/%Y')}" in page.text
    assert contracts(dbtx, order)[0][2] == yesterday
    [ended] = audited("contract.ended")
    assert ended.tenant_id == order.tenant.id
    assert ended.details["valid_until"] == [None, yesterday.isoformat()]
    assert "Concluso" in page.text


def test_module_is_inactive_once_its_contract_ended_yesterday(testapp, order, operator, dbtx, pm, browse_as,
                                                               prova_status):
    with dbtx(order.tenant) as db:
        tenant = db.merge(order.tenant)
        tenants.add_contract(db, pm, tenant, "prova", date(2024, 1, 1), None)
        tenants.set_module_enabled(db, pm, tenant, "prova", True)
    assert prova_status(order.secretary) == 200
    browse_as(operator)
    end = end_contract_form(admin_page(testapp))
    end["valid_until"] = (date.today() - timedelta(days=1)).isoformat()
    end.submit(status=302)
    assert prova_status(order.secretary) == 404


@pytest.mark.parametrize("valid_from, valid_until, message", [
    ("2024-06-01", "2024-05-31", "La data di fine del contratto precede quella di inizio."),
    ("", "", "Indicare la data di inizio del contratto."),
    ("31/02/2024", "", "Inizio: la data «31/02/2024» non è valida"),
    ("2024-01-01", "domani", "Fine: la data «domani» non è valida"),
])
def test_bad_contract_dates_are_refused(testapp, order, operator, dbtx, audited, valid_from, valid_until, message):
    login(testapp, operator)
    form = admin_page(testapp).forms["add-contract"]
    form["module"], form["valid_from"], form["valid_until"] = "prova", valid_from, valid_until
    form["notes"] = "da non salvare"
    page = form.submit(status=400)
    assert message in unescape(page.text)
    # The form keeps what was typed.
    assert 'value="da non salvare"' in page.text
    assert contracts(dbtx, order) == []
    assert audited("contract.added") == []


def test_contracts_of_one_module_do_not_overlap(testapp, order, operator, dbtx):
    login(testapp, operator)
    for valid_from, valid_until, status in (("2024-01-01", "2024-12-31", 302), ("2024-12-31", "", 400),
                                            ("2023-06-01", "2024-01-01", 400), ("2025-01-01", "", 302),
                                            ("2026-01-01", "2026-12-31", 400)):
        form = admin_page(testapp).forms["add-contract"]
        form["module"], form["valid_from"], form["valid_until"] = "prova", valid_from, valid_until
        page = form.submit(status=status)
        if status == 400:
            assert "ha già un contratto dal" in unescape(page.text)
    assert [(start, end) for _module, start, end, _notes in contracts(dbtx, order)] == [
        (date(2024, 1, 1), date(2024, 12, 31)), (date(2025, 1, 1), None)]


def test_unknown_module_is_refused(testapp, order, operator, dbtx):
    login(testapp, operator)
    page = admin_page(testapp)
    token = page.forms["add-contract"]["csrf_token"].value
    refused = testapp.post("/admin/tenants/milano", {"action": "add-contract", "module": "fantasma",
                                                     "valid_from": "2024-01-01", "csrf_token": token}, status=400)
    assert "Il modulo «fantasma» non è installato" in unescape(refused.text)
    assert contracts(dbtx, order) == []


def test_a_contract_cannot_be_extended_or_ended_before_it_starts(testapp, order, operator, dbtx, pm):
    with dbtx() as db:
        tenants.add_contract(db, pm, order.tenant, "prova", date(2024, 1, 1), date(2024, 12, 31))
    login(testapp, operator)
    page = admin_page(testapp)
    # A contract already over offers no button; a forged request is refused all the same.
    assert end_contract_form(page) is None
    [row] = re.findall(r'id="contract-(\d+)"', page.text)
    token = page.forms["add-contract"]["csrf_token"].value
    for day, message in (("2025-06-30", "Un contratto si può solo anticipare"),
                         ("2023-12-31", "precede quella di inizio"), ("", "Indicare l'ultimo giorno")):
        refused = testapp.post("/admin/tenants/milano", {"action": "end-contract", "contract_id": row,
                                                         "valid_until": day, "csrf_token": token}, status=400)
        assert message in unescape(refused.text)
    for contract_id in ("999999", "99999999999999999999", "abc", ""):
        refused = testapp.post("/admin/tenants/milano", {"action": "end-contract", "contract_id": contract_id,
                                                         "valid_until": "2024-06-30", "csrf_token": token}, status=400)
        assert "Il contratto indicato non esiste per questo Ordine." in refused.text
    assert contracts(dbtx, order)[0][2] == date(2024, 12, 31)


def test_contract_of_another_order_cannot_be_ended_from_this_page(testapp, order, operator, dbtx, pm):
    with dbtx() as db:
        other = make_tenant(db, pm, "torino", modules=["prova"])
        [other_contract] = tenants.contracts_of(db, other)
        other_id = other_contract.id
    login(testapp, operator)
    token = admin_page(testapp).forms["add-contract"]["csrf_token"].value
    testapp.post("/admin/tenants/milano", {"action": "end-contract", "contract_id": str(other_id),
                                           "valid_until": "2024-06-30", "csrf_token": token}, status=400)
    with dbtx() as db:
        assert tenants.contracts_of(db, other)[0].valid_until is None


def test_deactivated_order_is_unreachable_until_reactivated(testapp, order, operator, audited, browse_as):
    login(testapp, order.secretary)
    testapp.get("/milano/", status=200)
    browse_as(operator)
    page = admin_page(testapp).forms["set-active"].submit(status=302).follow()
    assert "Disattivato" in page.text
    browse_as(order.secretary)
    testapp.get("/milano/", status=404)
    browse_as(operator)
    admin_page(testapp).forms["set-active"].submit(status=302)
    browse_as(order.secretary)
    testapp.get("/milano/", status=200)
    assert [e.action for e in audited("tenant.deactivated") + audited("tenant.activated")] == \
        ["tenant.deactivated", "tenant.activated"]


def test_first_administrator_gets_a_link_to_choose_the_password(testapp, operator, dbtx, pm, smtp_server, audited):
    with dbtx() as db:
        make_tenant(db, pm, "roma", "Ordine degli Avvocati di Roma")
    login(testapp, operator)
    form = admin_page(testapp, "roma").forms["add-administrator"]
    form["email"], form["full_name"] = "Presidente@Ordine-Roma.it", "Avv. Paola Neri"
    page = form.submit(status=302).follow()
    assert "Avv. Paola Neri è ora amministratore dell'Ordine" in unescape(page.text)
    assert "presidente@ordine-roma.it" in page.text
    [entry] = audited("tenant.administrator.added")
    assert entry.details == {"email": "presidente@ordine-roma.it", "role": "amministratore"}

    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["presidente@ordine-roma.it"]
    body = email.message_from_bytes(envelope.content).get_payload(decode=True).decode()
    link = re.search(r"http://\S+/password/reset\?token=\S+", body).group(0)

    testapp.reset()
    form = next(f for f in testapp.get(link.replace("http://127.0.0.1:6543", "")).forms.values()
                if "password_confirm" in f.fields)
    form["password"] = form["password_confirm"] = "una-password-lunga-e-sicura-1"
    form.submit(status=302)
    login(testapp, "presidente@ordine-roma.it", "una-password-lunga-e-sicura-1")
    assert testapp.get("/roma/settings").status_int == 200


def test_existing_user_becomes_administrator_without_a_new_account(testapp, order, operator, smtp_server, browse_as):
    login(testapp, operator)
    form = admin_page(testapp).forms["add-administrator"]
    form["email"] = order.secretary
    form.submit(status=302)
    [envelope] = smtp_server.messages
    body = email.message_from_bytes(envelope.content).get_payload(decode=True).decode()
    assert "/password/reset" not in body
    assert "http://127.0.0.1:6543/milano/" in body
    browse_as(order.secretary)
    testapp.get("/milano/settings", status=200)


@pytest.mark.parametrize("email_address, full_name, message", [
    ("non-una-email", "Mario Rossi", "Indirizzo email non valido."),
    ("nuovo@ordine.it", "", "Indicare nome e cognome dell'amministratore."),
    ("nuovo@ordine.it", "M" * 201, "Il nome può avere al massimo 200 caratteri."),
    ("admin@ordine-milano.it", "", "admin@ordine-milano.it è già amministratore di questo Ordine."),
])
def test_bad_administrator_is_refused_and_nothing_is_written(testapp, order, operator, dbtx, smtp_server, audited,
                                                             email_address, full_name, message):
    login(testapp, operator)
    form = admin_page(testapp).forms["add-administrator"]
    form["email"], form["full_name"] = email_address, full_name
    page = form.submit(status=400)
    assert message in unescape(page.text)
    with dbtx() as db:
        assert user_by_email(db, "nuovo@ordine.it") is None
    assert smtp_server.messages == []
    assert audited("tenant.administrator.added") == []


def test_unknown_order_or_action(testapp, order, operator):
    login(testapp, operator)
    testapp.get("/admin/tenants/inesistente", status=404)
    token = admin_page(testapp).forms["add-contract"]["csrf_token"].value
    refused = testapp.post("/admin/tenants/milano", {"action": "distruggi", "csrf_token": token}, status=400)
    assert "Operazione non riconosciuta." in refused.text


@pytest.mark.parametrize("field", ["action", "contract_id", "valid_from", "email", "module"])
def test_a_file_posted_in_place_of_a_field_is_refused_without_error_page(testapp, order, operator, dbtx, field):
    login(testapp, operator)
    data = {"action": "add-contract", "module": "prova", "valid_from": "2024-01-01", "email": "x@y.it",
            "contract_id": "1", "csrf_token": csrf_token(testapp)}
    del data[field]
    testapp.post("/admin/tenants/milano", data, upload_files=[(field, "campo.txt", b"testo")], status=(302, 400))
    testapp.post("/admin", {"name": "Roma", "csrf_token": csrf_token(testapp)},
                 upload_files=[("slug", "campo.txt", b"roma")], status=400)
    assert tenant_count(dbtx) == 1
