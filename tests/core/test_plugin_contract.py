"""The plugin contract: a module that is not active for an Order is invisible to it."""
from datetime import date, timedelta

import pytest

from occ_core.background import celery_app
from occ_core.events import DomainEvent, emit
from occ_core.plugins import NavItem
from occ_core.tenants import services as tenants
from occ_core.testing import sample_module
from occ_core.testing.factories import login, make_tenant, make_user
from occ_core.web.menu import active_entries


@pytest.fixture
def two_orders(dbtx, pm):
    with dbtx() as db:
        on = make_tenant(db, pm, "attivo", modules=["prova"])
        off = make_tenant(db, pm, "spento")
        make_user(db, "on@example.it", on, "segreteria")
        make_user(db, "off@example.it", off, "segreteria")
    sample_module.CALLS.clear()
    return on, off


def test_active_module_route_menu_and_widget(testapp, two_orders):
    login(testapp, "on@example.it")
    assert testapp.get("/attivo/prova/").json == {"module": "prova", "tenant": "attivo"}
    dashboard = testapp.get("/attivo/")
    assert "Widget di prova" in dashboard.text
    assert 'href="http://127.0.0.1:6543/attivo/prova/"' in dashboard.text
    assert ("nav", "attivo") in sample_module.CALLS


def test_inactive_module_is_404_without_menu_widget_or_hook_call(testapp, two_orders):
    login(testapp, "off@example.it")
    testapp.get("/spento/prova/", status=404)
    dashboard = testapp.get("/spento/")
    assert "Widget di prova" not in dashboard.text
    assert "/prova/" not in dashboard.text
    assert not [call for call in sample_module.CALLS if "spento" in call]


def test_module_without_contract_cannot_be_enabled(dbtx, pm, two_orders):
    from occ_core.errors import UserError

    _on, off = two_orders
    with dbtx(off) as db, pytest.raises(UserError, match="non è coperto da un contratto"):
        tenants.set_module_enabled(db, pm, db.merge(off), "prova", True)


def test_expired_contract_deactivates_and_renewal_restores(dbtx, pm, testapp, two_orders):
    on, _off = two_orders
    with dbtx(on) as db:
        for contract in tenants.contracts_of(db, on):
            contract.valid_until = date.today() - timedelta(days=1)
    login(testapp, "on@example.it")
    testapp.get("/attivo/prova/", status=404)
    with dbtx(on) as db:
        tenants.add_contract(db, pm, db.merge(on), "prova", date.today(), None)
    # Enabling survived the gap: a new contract is enough, nothing was lost.
    assert testapp.get("/attivo/prova/").json["tenant"] == "attivo"


def test_permission_of_inactive_module_is_not_granted(testapp, two_orders, dbtx, pm):
    on, _off = two_orders
    with dbtx(on) as db:
        tenants.set_module_enabled(db, pm, db.merge(on), "prova", False)
    login(testapp, "on@example.it")
    testapp.get("/attivo/prova/", status=404)


def test_domain_events_reach_only_active_modules_after_commit(dbtx, pm, registry, two_orders):
    import transaction

    on, off = two_orders
    for tenant in (on, off):
        tm = transaction.TransactionManager(explicit=True)
        with dbtx(tenant) as db:
            relay = pm.relay(tenants.active_modules(db, pm, tenant))
        with tm:
            emit(tm, relay, DomainEvent("prova.fatto", tenant.id))
    rolled_back = transaction.TransactionManager(explicit=True)
    rolled_back.begin()
    emit(rolled_back, pm.relay({"prova"}), DomainEvent("prova.annullato", on.id))
    rolled_back.abort()
    events = [call for call in sample_module.CALLS if call[0] == "event"]
    assert events == [("event", "prova.fatto", on.id)]


def test_periodic_task_fans_out_only_to_orders_with_the_module(two_orders):
    celery_app.tasks["occ.fan_out"].delay("prova.tick", "prova")
    assert [call for call in sample_module.CALLS if call[0] == "task"] == [("task", "attivo")]


def test_task_rechecks_module_when_it_runs(dbtx, pm, two_orders):
    on, _off = two_orders
    with dbtx(on) as db:
        tenants.set_module_enabled(db, pm, db.merge(on), "prova", False)
    result = celery_app.tasks["prova.tick"].delay(on.id)
    assert result.get() == "module not active"
    assert not [call for call in sample_module.CALLS if call[0] == "task"]


def test_relay_excludes_disabled_modules(pm):
    names = {pm.get_name(impl.plugin) for impl in pm.relay(set()).occ_navigation_items.get_hookimpls()}
    assert "prova" not in names
    names = {pm.get_name(impl.plugin) for impl in pm.relay({"prova"}).occ_navigation_items.get_hookimpls()}
    assert "prova" in names


def test_beat_schedule_comes_from_hooks():
    entry = celery_app.conf.beat_schedule["prova-tick"]
    assert entry["task"] == "occ.fan_out" and entry["args"] == ("prova.tick", "prova")


def test_menu_is_asked_once_per_configuration_and_its_figures_stay_live(testapp, two_orders, dbtx, pm):
    on, _off = two_orders
    login(testapp, "on@example.it")
    first, second = testapp.get("/attivo/"), testapp.get("/attivo/")
    sample_module.CALLS.append(("event", "prova.fatto", on.id))
    third = testapp.get("/attivo/")
    assert sample_module.CALLS.count(("nav", "attivo")) == 1
    assert [">Prova (0)<" in page.text for page in (first, second)] == [True, True]
    assert ">Prova (1)<" in third.text
    dossiers = testapp.get("/attivo/dossiers")
    # The rendered menu is kept per active entry: the current page is marked wherever it is.
    assert dossiers.html.find("a", attrs={"aria-current": "page"}).get_text(strip=True) == "Pratiche"
    assert testapp.get("/attivo/").html.find("a", attrs={"aria-current": "page"}).get_text(strip=True) == "Cruscotto"
    with dbtx(on) as db:
        tenants.set_module_enabled(db, pm, db.merge(on), "prova", False)
    assert "Prova" not in testapp.get("/attivo/").text
    with dbtx(on) as db:
        tenants.set_module_enabled(db, pm, db.merge(on), "prova", True)
    assert ">Prova (1)<" in testapp.get("/attivo/").text
    assert sample_module.CALLS.count(("nav", "attivo")) == 2


def test_a_page_belongs_to_the_entry_that_leads_its_path_the_longest_way():
    items = (NavItem("Cruscotto", "http://x/demo/"),
             NavItem("Agenda", "http://x/demo/agenda", active_prefix="/demo/agenda/"),
             NavItem("Avvisi", "http://x/demo/agenda/alerts", active_prefix="/demo/agenda/alerts"),
             NavItem("Contabilità", "http://x/demo/accounting", active_prefix=("/demo/accounting", "/demo/fees/")))
    assert active_entries("/demo/agenda/alerts", items) == (2,)
    assert active_entries("/demo/agenda/my-calendar", items) == (1,)
    assert active_entries("/demo/agenda", items) == (1,)
    assert active_entries("/demo/fees/calculator", items) == (3,)
    assert active_entries("/demo/accounting/movements", items) == (3,)
    assert active_entries("/demo/", items) == (0,)
    assert active_entries("/demo/dossiers", items) == ()
