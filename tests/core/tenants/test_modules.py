"""The modules page: the Order's administrator switches on and off the modules under contract."""
from datetime import date, timedelta
from html import unescape

from sqlalchemy import select

from occ_core.accounts.roles import role_by_code, set_role_permissions
from occ_core.tenants import services as tenants
from occ_core.tenants.models import TenantModule
from occ_core.testing.factories import csrf_token, login


def contract(dbtx, pm, order, valid_from=date(2024, 1, 1), valid_until=None):
    with dbtx() as db:
        tenants.add_contract(db, pm, order.tenant, "prova", valid_from, valid_until, "Contratto di prova")


def switch(testapp, action, module="prova", status=302):
    """Press the module's button on the modules page, as the browser would."""
    page = testapp.get("/milano/settings/modules")
    form = next(form for form in page.forms.values() if form.get("module", default=None)
                and form["module"].value == module)
    return form.submit("action", value=action, status=status)


def test_modules_page_lists_every_installed_module(testapp, order, pm):
    login(testapp, order.admin)
    page = testapp.get("/milano/settings/modules")
    for info in pm.modules.values():
        assert info.label in unescape(page.text)
    assert "Non previsto dal contratto" in page.text


def test_enable_and_disable_a_module_under_contract(testapp, order, dbtx, pm, audited, browse_as, prova_status):
    contract(dbtx, pm, order, valid_until=date(2099, 12, 31))
    assert prova_status(order.secretary) == 404
    browse_as(order.admin)
    page = testapp.get("/milano/settings/modules")
    assert "Disponibile, non attivo" in page.text
    assert "dal 01/01/2024 al 31/12/2099" in page.text

    page = switch(testapp, "enable").follow()
    assert "Modulo «Modulo di prova» attivato." in unescape(page.text)
    assert "Attivo" in page.text
    assert [(e.object_id, e.tenant_id) for e in audited("module.enabled")] == [("prova", order.tenant.id)]
    assert prova_status(order.secretary) == 200

    browse_as(order.admin)
    page = switch(testapp, "disable").follow()
    assert "i suoi dati restano conservati" in page.text
    assert [e.object_id for e in audited("module.disabled")] == ["prova"]
    assert prova_status(order.secretary) == 404


def test_module_without_contract_cannot_be_enabled(testapp, order, dbtx, audited):
    login(testapp, order.admin)
    page = testapp.get("/milano/settings/modules")
    # No button is offered for it ...
    assert not [form for form in page.forms.values() if form.get("module", default=None)]
    # ... and a forged request is refused with the reason.
    refused = testapp.post("/milano/settings/modules",
                           {"module": "prova", "action": "enable", "csrf_token": csrf_token(testapp)}, status=400)
    assert "Il modulo «prova» non è coperto da un contratto in corso." in unescape(refused.text)
    with dbtx() as db:
        assert db.scalars(select(TenantModule).execution_options(all_tenants=True)).all() == []
    assert audited("module.enabled") == []


def test_disabled_then_enabled_module_loses_nothing(testapp, order, dbtx, pm, browse_as, prova_status):
    contract(dbtx, pm, order)
    # The Order's own setting inside the module: read-only users may see its page too.
    with dbtx(order.tenant) as db:
        tenant = db.merge(order.tenant)
        role = role_by_code(db, tenant, "consultazione")
        set_role_permissions(db, pm, tenant, role, {"core:dashboard:view", "prova:page:view"})
    login(testapp, order.admin)
    switch(testapp, "enable")
    assert prova_status(order.reader) == 200

    browse_as(order.admin)
    switch(testapp, "disable")
    assert prova_status(order.reader) == 404
    assert prova_status(order.secretary) == 404

    browse_as(order.admin)
    switch(testapp, "enable")
    assert prova_status(order.reader) == 200
    assert prova_status(order.secretary) == 200
    with dbtx() as db:
        assert [c.notes for c in tenants.contracts_of(db, order.tenant)] == ["Contratto di prova"]


def test_contract_ended_yesterday_makes_the_module_inactive(testapp, order, dbtx, pm, browse_as, prova_status):
    contract(dbtx, pm, order, valid_until=date.today() - timedelta(days=1))
    with dbtx(order.tenant) as db:
        # Enabled while the contract was running.
        db.add(TenantModule(module="prova", enabled=True))
    assert prova_status(order.secretary) == 404
    browse_as(order.admin)
    page = testapp.get("/milano/settings/modules")
    assert "Non previsto dal contratto" in page.text
    assert "Tornerà attivo con un nuovo contratto." in unescape(page.text)


def test_unknown_module_or_action_is_refused_without_error_page(testapp, order, dbtx, pm, prova_status):
    contract(dbtx, pm, order)
    login(testapp, order.admin)
    token = csrf_token(testapp)
    for data in ({"module": "inesistente", "action": "enable"}, {"module": "prova", "action": "cancella"},
                 {"module": "prova"}):
        refused = testapp.post("/milano/settings/modules", {**data, "csrf_token": token}, status=400)
        assert 'id="form-error"' in refused.text
    assert prova_status(order.secretary) == 404
