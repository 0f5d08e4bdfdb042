"""Regressions found in the review of the users page: managing users is not a way to more permissions."""
import pytest
from sqlalchemy import select

from occ_core.accounts import roles
from occ_core.accounts.models import Membership, Role, User
from occ_core.db import bind_tenant
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user

PAGE = "/milano/members"
MANAGER = "personale@milano.it"


@pytest.fixture
def order(dbtx, pm):
    """milano with an administrator, a secretary, and a «Personale» user who may manage users but not roles."""
    with dbtx() as db:
        milano = make_tenant(db, pm, "milano")
        make_user(db, "admin@milano.it", milano, "amministratore")
        make_user(db, "segreteria@milano.it", milano, "segreteria")
        bind_tenant(db, milano.id)
        staff = roles.create_custom_role(db, milano, "Personale")
        roles.set_role_permissions(db, pm, milano, staff, {"core:dashboard:view", "core:users:manage"})
        guest = roles.create_custom_role(db, milano, "Ospite")
        roles.set_role_permissions(db, pm, milano, guest, {"core:dashboard:view"})
        manager = make_user(db, MANAGER)
        db.add(Membership(tenant_id=milano.id, user_id=manager.id, role_id=staff.id))
        return milano.id


def ids(dbtx, tenant_id):
    with dbtx() as db:
        role_ids = {r.code: r.id for r in db.scalars(select(Role).where(Role.tenant_id == tenant_id))}
        members = {u.email: m for m, u in db.execute(
            select(Membership, User).join(User, User.id == Membership.user_id).where(Membership.tenant_id == tenant_id))}
    return role_ids, members


def post(testapp, status, **fields):
    return testapp.post(PAGE, {"csrf_token": csrf_token(testapp), **fields}, status=status)


def test_a_user_manager_cannot_hand_out_the_administrator_role(testapp, order, dbtx):
    role_ids, members = ids(dbtx, order)
    login(testapp, MANAGER)
    page = post(testapp, 400, action="role", membership_id=str(members[MANAGER].id),
                role_id=str(role_ids["amministratore"]))
    assert "può assegnarlo solo chi gestisce i ruoli" in page.text
    # The secretary holds more than the manager, too: the role cannot be touched at all.
    page = post(testapp, 400, action="role", membership_id=str(members["segreteria@milano.it"].id),
                role_id=str(role_ids["amministratore"]))
    assert "solo chi gestisce i ruoli dell" in page.text
    page = post(testapp, 400, action="add", email="complice@example.it", full_name="Complice",
                role_id=str(role_ids["amministratore"]))
    assert "può assegnarlo solo chi gestisce i ruoli" in page.text
    _role_ids, after = ids(dbtx, order)
    assert {email: m.role_id for email, m in after.items()} == {email: m.role_id for email, m in members.items()}
    with dbtx() as db:
        assert db.scalar(select(User).where(User.email == "complice@example.it")) is None


def test_a_user_manager_cannot_touch_a_more_powerful_member(testapp, order, dbtx):
    role_ids, members = ids(dbtx, order)
    login(testapp, MANAGER)
    admin = members["admin@milano.it"]
    assert "solo chi gestisce i ruoli" in post(testapp, 400, action="deactivate", membership_id=str(admin.id)).text
    assert "solo chi gestisce i ruoli" in post(testapp, 400, action="role", membership_id=str(admin.id),
                                               role_id=str(role_ids["custom-ospite"])).text
    _role_ids, after = ids(dbtx, order)
    assert after["admin@milano.it"].active and after["admin@milano.it"].role_id == role_ids["amministratore"]


def test_a_user_manager_can_hand_out_what_they_hold(testapp, order, dbtx):
    role_ids, _members = ids(dbtx, order)
    login(testapp, MANAGER)
    post(testapp, 302, action="add", email="ospite@example.it", full_name="Ospite", role_id=str(role_ids["custom-ospite"]))
    _role_ids, members = ids(dbtx, order)
    assert members["ospite@example.it"].role_id == role_ids["custom-ospite"]
    post(testapp, 302, action="deactivate", membership_id=str(members["ospite@example.it"].id))


def test_an_administrator_still_assigns_any_role(testapp, order, dbtx):
    role_ids, members = ids(dbtx, order)
    login(testapp, "admin@milano.it")
    post(testapp, 302, action="role", membership_id=str(members[MANAGER].id), role_id=str(role_ids["amministratore"]))
    assert ids(dbtx, order)[1][MANAGER].role_id == role_ids["amministratore"]


@pytest.mark.parametrize("field", ["email", "full_name", "action"])
def test_a_file_in_a_text_field_is_refused_politely(testapp, order, dbtx, field):
    role_ids, _members = ids(dbtx, order)
    login(testapp, "admin@milano.it")
    fields = {"csrf_token": csrf_token(testapp), "action": "add", "email": "nuovo@example.it", "full_name": "Nuovo",
              "role_id": str(role_ids["segreteria"])}
    del fields[field]
    page = testapp.post(PAGE, fields, upload_files=[(field, "x.txt", b"testo")], status=400)
    assert page.html.find(id="form-error") is not None or "alert" in page.text
    assert "nuovo@example.it" not in ids(dbtx, order)[1]


def test_a_file_as_a_role_name_is_refused_politely(testapp, order):
    login(testapp, "admin@milano.it")
    page = testapp.post(PAGE + "/roles", {"csrf_token": csrf_token(testapp), "action": "create"},
                        upload_files=[("name", "x.txt", b"Ruolo")], status=400)
    assert "Indicare un nome per il ruolo" in page.text
