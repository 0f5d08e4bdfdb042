"""The roles page: permission matrix, custom roles, and the rule that keeps the Order from locking itself out."""
import pytest
from sqlalchemy import select

from occ_core.accounts.models import Membership, Role, RoleGrant, User
from occ_core.audit.models import AuditEntry
from occ_core.db import bind_tenant
from occ_core.tenants import services as tenants
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import csrf_token, login, make_tenant, make_user

PAGE = "/milano/members/roles"


@pytest.fixture
def orders(dbtx, pm):
    """milano (module "prova" active) with an administrator and a secretary; roma without modules."""
    with dbtx() as db:
        milano = make_tenant(db, pm, "milano", modules=["prova"])
        roma = make_tenant(db, pm, "roma")
        make_user(db, "admin@milano.it", milano, "amministratore")
        make_user(db, "segreteria@milano.it", milano, "segreteria")
        make_user(db, "admin@roma.it", roma, "amministratore")
        return {"milano": milano.id, "roma": roma.id}


def role(dbtx, tenant_id, code=None, name=None):
    with dbtx() as db:
        return db.scalar(select(Role).where(Role.tenant_id == tenant_id,
                                            Role.code == code if code else Role.name == name))


def grants(dbtx):
    with dbtx() as db:
        return {(g.role_id, g.permission, g.granted) for g in db.scalars(select(RoleGrant))}


def audit_rows(dbtx, prefix="role."):
    with dbtx() as db:
        return [(e.action, e.details) for e in db.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id))]


def matrix_form(testapp):
    return testapp.get(PAGE).forms["matrix"]


def cell(form, role_row, permission):
    [field] = [f for f in form.fields[f"role-{role_row.id}"] if f._value == permission and f.tag == "input"
               and f.attrs.get("type") == "checkbox"]
    return field


def post(testapp, status=302, **fields):
    return testapp.post(PAGE, {"csrf_token": csrf_token(testapp), **fields}, status=status)


def test_matrix_lists_core_and_active_module_permissions_by_group(testapp, orders, dbtx):
    login(testapp, "admin@milano.it")
    page = testapp.get(PAGE)
    table = page.html.find("table", class_="occ-matrix")
    groups = [th.text for th in table.find_all("th", scope="rowgroup")]
    assert {"Ordine", "Utenti e ruoli", "Comunicazioni", "Prova"} <= set(groups)
    assert "prova:page:view" in table.text
    headers = [th.text.split()[0] for th in table.find("thead").find_all("th")]
    assert headers[:3] == ["Permesso", "Amministratore", "Segreteria"]
    form = page.forms["matrix"]
    secretary = role(dbtx, orders["milano"], "segreteria")
    assert cell(form, secretary, "core:outbox:view").checked
    assert not cell(form, secretary, "core:roles:manage").checked

    testapp.reset()
    login(testapp, "admin@roma.it")
    assert "prova:page:view" not in testapp.get("/roma/members/roles").text


def test_withdrawing_a_permission_takes_effect_and_is_audited(testapp, orders, dbtx):
    secretary = role(dbtx, orders["milano"], "segreteria")
    other = testapp.__class__(testapp.app, extra_environ=testapp.extra_environ)
    login(other, "segreteria@milano.it")
    other.get("/milano/outbox", status=200)

    login(testapp, "admin@milano.it")
    form = matrix_form(testapp)
    cell(form, secretary, "core:outbox:view").checked = False
    page = form.submit("action", value="matrix").follow()
    assert "Permessi aggiornati per 1 ruolo." in page.text
    assert not cell(page.forms["matrix"], secretary, "core:outbox:view").checked

    other.get("/milano/outbox", status=403)
    assert grants(dbtx) == {(secretary.id, "core:outbox:view", False)}
    assert audit_rows(dbtx) == [("role.permissions_changed",
                                 {"role": "Segreteria", "changes": [["core:outbox:view", False]]})]

    # Ticking it again restores the default: the override disappears.
    form = matrix_form(testapp)
    cell(form, secretary, "core:outbox:view").checked = True
    form.submit("action", value="matrix")
    other.get("/milano/outbox", status=200)
    assert grants(dbtx) == set()


def test_a_custom_role_given_a_permission_gets_access(testapp, orders, dbtx):
    login(testapp, "admin@milano.it")
    form = testapp.get(PAGE).forms["create-role"]
    form["name"] = "Revisore dei conti"
    assert "Ruolo «Revisore dei conti» creato" in form.submit("action", value="create").follow().text
    auditor = role(dbtx, orders["milano"], name="Revisore dei conti")
    assert not auditor.builtin
    with dbtx() as db:
        bind_tenant(db, orders["milano"])
        db.add(Membership(tenant_id=orders["milano"], role_id=auditor.id,
                          user_id=make_user(db, "revisore@studio.it").id))

    other = testapp.__class__(testapp.app, extra_environ=testapp.extra_environ)
    login(other, "revisore@studio.it")
    other.get("/milano/audit", status=403)

    form = matrix_form(testapp)
    cell(form, auditor, "core:audit:view").checked = True
    form.submit("action", value="matrix")
    other.get("/milano/audit", status=200)
    assert ("role.permissions_changed", {"role": "Revisore dei conti", "changes": [["core:audit:view", True]]}) \
        in audit_rows(dbtx)


def test_administrator_keeps_the_permission_to_manage_roles(testapp, orders, dbtx):
    admin = role(dbtx, orders["milano"], "amministratore")
    login(testapp, "admin@milano.it")
    form = matrix_form(testapp)
    assert "disabled" in cell(form, admin, "core:roles:manage").attrs
    fields = [(name, value) for name, value in form.submit_fields()
              if not (name == f"role-{admin.id}" and value == "core:roles:manage")]
    secretary = role(dbtx, orders["milano"], "segreteria")
    fields.append((f"role-{secretary.id}", "core:audit:view"))  # a valid change in the same submission
    page = testapp.post(PAGE, fields + [("action", "matrix")], status=400)
    assert ("Il ruolo «Amministratore» deve mantenere il permesso «Modificare ruoli e livelli di accesso»"
            in page.html.find(id="form-error").text)
    assert grants(dbtx) == set()
    assert audit_rows(dbtx) == []
    testapp.get(PAGE, status=200)


@pytest.mark.parametrize("bad", ["999999", "abc", "roma", "-1"])
def test_matrix_with_a_role_not_of_the_order_changes_nothing(testapp, orders, dbtx, bad):
    login(testapp, "admin@milano.it")
    role_id = role(dbtx, orders["roma"], "segreteria").id if bad == "roma" else bad
    page = post(testapp, status=400, action="matrix", roles=role_id, **{f"role-{role_id}": "core:audit:view"})
    assert "Il ruolo indicato non esiste per questo Ordine." in page.text
    assert grants(dbtx) == set()


def test_matrix_with_an_unknown_or_unavailable_permission_changes_nothing(testapp, orders, dbtx):
    login(testapp, "admin@roma.it")  # "prova" is not active for roma
    secretary = role(dbtx, orders["roma"], "segreteria")
    for permission in ("core:everything:do", "prova:page:view"):
        page = testapp.post("/roma/members/roles", {"csrf_token": csrf_token(testapp), "action": "matrix",
                                                    "roles": secretary.id, f"role-{secretary.id}": permission},
                            status=400)
        assert "permessi sconosciuti o non disponibili" in page.text
    assert grants(dbtx) == set()


def test_saving_the_matrix_keeps_permissions_of_modules_not_active_now(testapp, orders, dbtx, pm):
    admin, secretary = role(dbtx, orders["milano"], "amministratore"), role(dbtx, orders["milano"], "segreteria")
    login(testapp, "admin@milano.it")
    form = matrix_form(testapp)
    cell(form, admin, "prova:page:view").checked = True
    form.submit("action", value="matrix")
    assert grants(dbtx) == {(admin.id, "prova:page:view", True)}

    with dbtx() as db:
        bind_tenant(db, orders["milano"])
        tenants.set_module_enabled(db, pm, db.get(Tenant, orders["milano"]), "prova", False)
    page = testapp.get(PAGE)
    assert "prova:page:view" not in page.text
    form = page.forms["matrix"]
    cell(form, secretary, "core:audit:view").checked = True
    form.submit("action", value="matrix")
    # Neither the administrator's grant nor the secretary's default for the hidden module was touched.
    assert grants(dbtx) == {(admin.id, "prova:page:view", True), (secretary.id, "core:audit:view", True)}


def test_custom_roles_can_be_renamed_and_deleted_when_unused(testapp, orders, dbtx):
    login(testapp, "admin@milano.it")
    post(testapp, action="create", name="Tirocinante")
    trainee = role(dbtx, orders["milano"], name="Tirocinante")
    page = post(testapp, action="rename", role_id=trainee.id, name="Praticante").follow()
    assert "Ruolo rinominato in «Praticante»." in page.text
    assert role(dbtx, orders["milano"], name="Praticante").id == trainee.id

    with dbtx() as db:
        bind_tenant(db, orders["milano"])
        user_id = db.scalar(select(User.id).where(User.email == "segreteria@milano.it"))
        db.scalar(select(Membership).where(Membership.user_id == user_id)).role_id = trainee.id
    page = post(testapp, status=400, action="delete", role_id=trainee.id)
    assert "Il ruolo «Praticante» è assegnato a 1 utente" in page.text
    assert role(dbtx, orders["milano"], name="Praticante") is not None

    with dbtx() as db:
        bind_tenant(db, orders["milano"])
        db.scalar(select(Membership).where(Membership.user_id == user_id)).role_id = \
            role(dbtx, orders["milano"], "segreteria").id
    post(testapp, action="delete", role_id=trainee.id)
    assert role(dbtx, orders["milano"], name="Praticante") is None
    assert [action for action, _ in audit_rows(dbtx)] == ["role.created", "role.renamed", "role.deleted"]


@pytest.mark.parametrize("action, name, message", [
    ("create", "", "Indicare un nome per il ruolo"),
    ("create", "   ", "Indicare un nome per il ruolo"),
    ("create", "x" * 101, "massimo 100 caratteri"),
    ("create", "SEGRETERIA", "Esiste già un ruolo chiamato «Segreteria»."),
    ("rename", "", "Indicare un nome per il ruolo"),
    ("rename", "Referente", "Esiste già un ruolo chiamato «Referente»."),
])
def test_bad_role_names_are_refused(testapp, orders, dbtx, action, name, message):
    login(testapp, "admin@milano.it")
    post(testapp, action="create", name="Tirocinante")
    trainee = role(dbtx, orders["milano"], name="Tirocinante")
    page = post(testapp, status=400, action=action, name=name, role_id=trainee.id)
    assert message in page.html.find(id="form-error").text
    with dbtx() as db:
        custom = db.scalars(select(Role.name).where(Role.tenant_id == orders["milano"], Role.builtin.is_(False)))
        assert list(custom) == ["Tirocinante"]


def test_builtin_roles_and_roles_of_other_orders_cannot_be_renamed_or_deleted(testapp, orders, dbtx):
    login(testapp, "admin@milano.it")
    secretary = role(dbtx, orders["milano"], "segreteria")
    for action in ("rename", "delete"):
        page = post(testapp, status=400, action=action, role_id=secretary.id, name="Altro")
        assert "«Segreteria» è un ruolo predefinito" in page.text
    with dbtx() as db:
        bind_tenant(db, orders["roma"])
        roma_custom = Role(tenant_id=orders["roma"], code="custom-x", name="X", builtin=False)
        db.add(roma_custom)
        db.flush()
        roma_custom_id = roma_custom.id
    page = post(testapp, status=400, action="delete", role_id=roma_custom_id)
    assert "Il ruolo indicato non esiste per questo Ordine." in page.text
    assert role(dbtx, orders["roma"], "custom-x") is not None
    assert role(dbtx, orders["milano"], "segreteria").name == "Segreteria"


def test_only_role_managers_see_the_page(testapp, orders):
    response = testapp.get(PAGE, status=302)
    assert response.location.split("?")[0].endswith("/login")
    login(testapp, "segreteria@milano.it")
    testapp.get(PAGE, status=403)
    testapp.post(PAGE, {"csrf_token": csrf_token(testapp), "action": "create", "name": "Io"}, status=403)
