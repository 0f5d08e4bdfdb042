"""The Order's users page: list, add (new and existing people), role change, deactivation."""
import mailbox
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from occ_core.accounts.models import Membership, Role, User
from occ_core.audit.models import AuditEntry
from occ_core.dispatch.models import SENT, Delivery, OutboxMessage
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user

PAGE = "/milano/members"


@pytest.fixture
def orders(dbtx, pm):
    """Two Orders; milano has an administrator and a secretary, roma an administrator."""
    with dbtx() as db:
        milano = make_tenant(db, pm, "milano")
        roma = make_tenant(db, pm, "roma")
        make_user(db, "admin@milano.it", milano, "amministratore", full_name="Anna Amministratrice")
        make_user(db, "segreteria@milano.it", milano, "segreteria", full_name="Sergio Segreteria")
        make_user(db, "admin@roma.it", roma, "amministratore")
        return {"milano": milano.id, "roma": roma.id}


def role_id(dbtx, tenant_id, code):
    with dbtx() as db:
        return db.scalar(select(Role.id).where(Role.tenant_id == tenant_id, Role.code == code))


def membership(dbtx, tenant_id, email):
    with dbtx() as db:
        return db.scalar(select(Membership).join(User, User.id == Membership.user_id)
                         .where(Membership.tenant_id == tenant_id, User.email == email))


def audit_actions(dbtx, tenant_id):
    with dbtx() as db:
        return [(e.action, e.details) for e in db.scalars(
            select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.id))]


def post(testapp, status=302, **fields):
    return testapp.post(PAGE, {"csrf_token": csrf_token(testapp), **fields}, status=status)


def maildir_texts(registry, address):
    box = mailbox.Maildir(Path(registry.settings["occ.var_dir"]) / "mail", create=False)
    return [message.get_payload(decode=True).decode() for message in box if address in message["To"]]


def test_list_shows_members_with_their_role_and_security_state(testapp, orders):
    login(testapp, "admin@milano.it")
    page = testapp.get(PAGE)
    table = page.html.find("table", id="members").text
    assert "Anna Amministratrice" in table and "segreteria@milano.it" in table
    assert "admin@roma.it" not in page.text
    row = page.html.find("tr", id=re.compile("membership-")).text
    assert "Attivo" in row and "sì" in row and "non attiva" in row
    selected = page.html.find("select", id=re.compile("role-")).find("option", selected=True)
    assert selected.text == "Amministratore"


def test_adding_a_new_person_emails_a_link_to_choose_the_password(testapp, orders, dbtx, registry):
    login(testapp, "admin@milano.it")
    form = testapp.get(PAGE).forms["add-member"]
    form["email"] = "Nuovo.Gestore@Studio.it"
    form["full_name"] = "Nadia Nuova"
    form["role_id"] = str(role_id(dbtx, orders["milano"], "gestore"))
    page = form.submit("action", value="add").follow()
    assert "Nadia Nuova è ora tra gli utenti dell'Ordine" in page.text
    assert "nuovo.gestore@studio.it" in page.html.find("table", id="members").text

    added = membership(dbtx, orders["milano"], "nuovo.gestore@studio.it")
    assert added.role.code == "gestore" and added.active and added.user.password_hash == ""
    with dbtx() as db:
        delivery = db.scalar(select(Delivery).where(Delivery.address == "nuovo.gestore@studio.it"))
        assert delivery.status == SENT and delivery.tenant_id == orders["milano"]
        assert delivery.message.purpose == "membership-added"
    assert ("membership.added", {"user": "nuovo.gestore@studio.it", "role": "gestore", "new_user": True}) \
        in audit_actions(dbtx, orders["milano"])

    [text] = maildir_texts(registry, "nuovo.gestore@studio.it")
    assert "con il ruolo «Gestore della crisi»" in text
    link = re.search(r"http://\S+/password/reset\?token=\S+", text).group()
    testapp.reset()  # the new person, in their own browser
    reset = testapp.get(link.split("6543", 1)[1]).forms[0]
    reset["password"] = reset["password_confirm"] = "nuova-password-42"
    assert "Password aggiornata" in reset.submit().follow().text
    login(testapp, "nuovo.gestore@studio.it", "nuova-password-42")
    assert testapp.get("/").follow().request.path == "/milano/"


def test_an_existing_user_gets_a_membership_with_a_role_per_order(testapp, orders, dbtx, registry):
    login(testapp, "admin@milano.it")
    post(testapp, action="add", email="admin@roma.it", full_name="",
         role_id=role_id(dbtx, orders["milano"], "consultazione"))
    assert membership(dbtx, orders["milano"], "admin@roma.it").role.code == "consultazione"
    assert membership(dbtx, orders["roma"], "admin@roma.it").role.code == "amministratore"
    [text] = maildir_texts(registry, "admin@roma.it")
    assert "Acceda con le sue credenziali abituali" in text and "token=" not in text

    testapp.reset()
    login(testapp, "admin@roma.it")
    testapp.get("/roma/members", status=200)
    testapp.get(PAGE, status=403)
    testapp.get("/milano/", status=200)



@pytest.mark.parametrize("fields, message", [
    ({"email": "nuova@studio.it", "full_name": "  "}, "Indicare nome e cognome della persona."),
    ({"email": "non-una-email", "full_name": "Tizio"}, "Indirizzo email non valido."),
    ({"email": "nuova@studio.it", "full_name": "Tizio", "role_id": "999999"}, "non esiste per questo Ordine"),
    ({"email": "nuova@studio.it", "full_name": "Tizio", "role_id": "99999999999999999999"}, "non esiste"),
    ({"email": "nuova@studio.it", "full_name": "Tizio", "role_id": "abc"}, "non esiste per questo Ordine"),
    ({"email": "segreteria@milano.it", "full_name": "Sergio"}, "è già tra gli utenti dell'Ordine"),
])
def test_adding_with_bad_input_changes_nothing(testapp, orders, dbtx, fields, message):
    login(testapp, "admin@milano.it")
    fields = {"role_id": role_id(dbtx, orders["milano"], "segreteria"), **fields}
    page = post(testapp, status=400, action="add", **fields)
    assert message in page.html.find(id="form-error").text
    assert page.html.find("input", id="new-email")["value"] == fields["email"]
    with dbtx() as db:
        assert db.scalar(select(User).where(User.email == "nuova@studio.it")) is None
        assert len(db.scalars(select(Membership)).all()) == 3
        assert db.scalar(select(OutboxMessage)) is None


def test_a_role_of_another_order_is_refused(testapp, orders, dbtx):
    login(testapp, "admin@milano.it")
    roma_admin = role_id(dbtx, orders["roma"], "amministratore")
    page = post(testapp, status=400, action="add", email="nuova@studio.it", full_name="Tizio", role_id=roma_admin)
    assert "Il ruolo indicato non esiste per questo Ordine." in page.text
    secretary = membership(dbtx, orders["milano"], "segreteria@milano.it")
    post(testapp, status=400, action="role", membership_id=secretary.id, role_id=roma_admin)
    assert membership(dbtx, orders["milano"], "segreteria@milano.it").role.code == "segreteria"
    assert audit_actions(dbtx, orders["milano"]) == []


def test_changing_a_role_is_audited_and_takes_effect(testapp, orders, dbtx):
    secretary = membership(dbtx, orders["milano"], "segreteria@milano.it")
    login(testapp, "admin@milano.it")
    page = post(testapp, action="role", membership_id=secretary.id,
                role_id=role_id(dbtx, orders["milano"], "amministratore")).follow()
    assert "cambiato in «Amministratore»" in page.text
    assert ("membership.role_changed", {"user": "segreteria@milano.it", "old_role": "segreteria",
                                        "new_role": "amministratore"}) in audit_actions(dbtx, orders["milano"])
    testapp.reset()
    login(testapp, "segreteria@milano.it")
    testapp.get(PAGE, status=200)


def test_a_membership_of_another_order_cannot_be_touched(testapp, orders, dbtx):
    roma_admin = membership(dbtx, orders["roma"], "admin@roma.it")
    login(testapp, "admin@milano.it")
    for action in ("deactivate", "role"):
        page = post(testapp, status=400, action=action, membership_id=roma_admin.id,
                    role_id=role_id(dbtx, orders["milano"], "segreteria"))
        assert "L'utente indicato non appartiene a questo Ordine." in page.text
    after = membership(dbtx, orders["roma"], "admin@roma.it")
    assert after.active and after.role.code == "amministratore"


def test_an_administrator_cannot_remove_their_own_administrator_role(testapp, orders, dbtx):
    own = membership(dbtx, orders["milano"], "admin@milano.it")
    login(testapp, "admin@milano.it")
    page = post(testapp, status=400, action="role", membership_id=own.id,
                role_id=role_id(dbtx, orders["milano"], "segreteria"))
    assert "Non può togliere a sé stesso il ruolo di amministratore" in page.html.find(id="form-error").text
    page = post(testapp, status=400, action="deactivate", membership_id=own.id)
    assert "Non può disattivare il proprio accesso" in page.text
    after = membership(dbtx, orders["milano"], "admin@milano.it")
    assert after.active and after.role.code == "amministratore"
    assert audit_actions(dbtx, orders["milano"]) == []


def test_deactivated_members_lose_access_until_reactivated(testapp, orders, dbtx):
    secretary = membership(dbtx, orders["milano"], "segreteria@milano.it")
    login(testapp, "admin@milano.it")
    page = post(testapp, action="deactivate", membership_id=secretary.id).follow()
    assert "Accesso di Sergio Segreteria disattivato." in page.text
    assert page.html.find("tr", id=f"membership-{secretary.id}").find(class_="badge").text == "Disattivato"

    other = testapp.__class__(testapp.app, extra_environ=testapp.extra_environ)
    login(other, "segreteria@milano.it")
    # No longer a member: the Order's pages are refused (as forbidden or, to outsiders, as not found).
    assert other.get("/milano/", expect_errors=True).status_int in (403, 404)

    post(testapp, action="reactivate", membership_id=secretary.id)
    other.get("/milano/", status=200)
    actions = [action for action, _details in audit_actions(dbtx, orders["milano"])]
    assert actions == ["membership.deactivated", "membership.reactivated"]


def test_unknown_action_is_refused(testapp, orders):
    login(testapp, "admin@milano.it")
    page = post(testapp, status=400, action="drop-table")
    assert "Operazione non riconosciuta." in page.text


def test_only_user_managers_see_the_page(testapp, orders):
    response = testapp.get(PAGE, status=302)
    assert urlsplit(response.location).path == "/login"
    login(testapp, "segreteria@milano.it")
    testapp.get(PAGE, status=403)
    testapp.post(PAGE, {"csrf_token": csrf_token(testapp), "action": "add", "email": "x@y.it",
                        "full_name": "X"}, status=403)
    testapp.reset()
    login(testapp, "admin@roma.it")
    assert testapp.get(PAGE, expect_errors=True).status_int in (403, 404)


def test_unknown_order_is_not_found(testapp, orders):
    login(testapp, "admin@milano.it")
    testapp.get("/nessuno/members", status=404)

