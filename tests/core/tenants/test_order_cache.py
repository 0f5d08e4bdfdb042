"""The per-process cache of an Order's access configuration (occ_core.tenants.cache).

A change made by another web process (another application built from the same settings, with its
own cache) or straight through the services must be seen by the very next request of this one."""
import re
from datetime import date, timedelta

import pytest
import transaction
from sqlalchemy import select, update

from occ_core import clock
from occ_core.accounts.models import Membership, RoleGrant, User
from occ_core.accounts.roles import add_membership, role_by_code, set_role_permissions
from occ_core.db import transactional_session
from occ_core.tenants import cache, services as tenants
from occ_core.tenants.models import Tenant
from occ_core.testing.factories import counted_queries, csrf_token, login, make_registrant, make_tenant, make_user

SECRETARY = "segreteria@ordine-torino.it"
ADMIN = "admin@ordine-torino.it"


@pytest.fixture(scope="module")
def other_process(settings, app):
    """A second application on the same database, as another web process behind the proxy would be."""
    from occ_core.config import make_configurator
    from occ_core.testing import sample_module

    configurator = make_configurator(settings, extra_plugins=[("prova", sample_module)])
    return configurator.make_wsgi_app()


@pytest.fixture
def other_browser(other_process):
    import webtest

    return webtest.TestApp(other_process, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:6543"})


@pytest.fixture
def other_db(other_process):
    """``with other_db(tenant) as db:`` a committed session of the other process."""
    from contextlib import contextmanager

    @contextmanager
    def open_session(tenant=None):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            yield transactional_session(other_process.registry["db.session_factory"], tm,
                                        getattr(tenant, "id", tenant))

    return open_session


@pytest.fixture
def torino(dbtx, pm, testapp):
    """The Order «torino» with the sample module active; this process's browser is its secretary,
    and has already seen its pages (the cache is warm)."""
    with dbtx() as db:
        tenant = make_tenant(db, pm, "torino", modules=["prova"])
        make_user(db, SECRETARY, tenant, "segreteria")
        make_user(db, ADMIN, tenant, "amministratore")
    login(testapp, SECRETARY)
    assert testapp.get("/torino/prova/").json == {"module": "prova", "tenant": "torino"}
    assert "Prova" in menu(testapp)
    return tenant


def menu(testapp) -> list[str]:
    """The menu's labels, without their live figures ("Prova (0)")."""
    return [re.sub(r" \(\d+\)$", "", a.text.strip())
            for a in testapp.get("/torino/").html.select("#main-nav a.nav-link")]


def stamp(db, tenant) -> str:
    return db.scalar(select(Tenant.config_stamp).where(Tenant.id == tenant.id))


def test_role_permission_withdrawn_in_another_process(testapp, torino, other_db, pm):
    with other_db(torino) as db:
        role = role_by_code(db, torino, "segreteria")
        set_role_permissions(db, pm, torino, role, {"core:dashboard:view"})
    testapp.get("/torino/prova/", status=403)


def test_module_disabled_on_another_process_s_settings_page(testapp, torino, other_browser):
    login(other_browser, ADMIN)
    other_browser.post("/torino/settings/modules",
                       {"module": "prova", "action": "disable", "csrf_token": csrf_token(other_browser)}, status=302)
    testapp.get("/torino/prova/", status=404)
    assert "Prova" not in menu(testapp)


def test_membership_deactivated_or_changed_in_another_process(testapp, torino, other_db):
    with other_db(torino) as db:
        membership = db.scalar(select(Membership).join(User, User.id == Membership.user_id)
                               .where(User.email == SECRETARY))
        membership.role_id = role_by_code(db, torino, "consultazione").id
    # Read-only users of the Order see the dashboard, not the sample module.
    testapp.get("/torino/prova/", status=403)
    with other_db(torino) as db:
        db.execute(update(Membership).where(Membership.role_id == role_by_code(db, torino, "consultazione").id)
                   .values(active=False))
    # To a user who is no longer a member the Order's pages do not exist.
    testapp.get("/torino/", status=404)


def test_user_deactivated_elsewhere_is_logged_out_on_next_request(testapp, torino, other_db):
    from occ_core.accounts.services import user_by_email

    with other_db() as db:
        user_by_email(db, SECRETARY).active = False
    assert testapp.get("/torino/", status=302).location.startswith("http://127.0.0.1:6543/login")


def test_contracts_begin_and_end_with_the_calendar_with_no_change_stored(testapp, dbtx, pm, monkeypatch):
    today = clock.today()
    with dbtx() as db:
        tenant = make_tenant(db, pm, "torino")
        make_user(db, SECRETARY, tenant, "segreteria")
        tenants.add_contract(db, pm, tenant, "prova", today - timedelta(days=30), today)
        tenants.add_contract(db, pm, tenant, "prova", today + timedelta(days=2), None)
    with dbtx(tenant) as db:
        tenants.set_module_enabled(db, pm, db.get(Tenant, tenant.id), "prova", True)
    login(testapp, SECRETARY)
    for days_later, status in ((0, 200), (1, 404), (2, 200)):
        monkeypatch.setattr(tenants, "today", lambda: today + timedelta(days=days_later))
        assert testapp.get("/torino/prova/", expect_errors=True).status_int == status


def test_every_change_of_the_configuration_restamps_its_order_and_nothing_else_does(dbtx, pm, torino, testapp):
    with dbtx() as db:
        aosta = make_tenant(db, pm, "aosta")

    def stamps():
        with dbtx() as db:
            return stamp(db, torino), stamp(db, aosta)

    def restamps(change) -> bool:
        before = stamps()
        with dbtx(torino) as db:
            change(db, db.get(Tenant, torino.id))  # merging the stale fixture would write it back
        after = stamps()
        assert after[1] == before[1], "another Order was restamped"
        return after[0] != before[0]

    assert restamps(lambda db, t: set_role_permissions(db, pm, t, role_by_code(db, t, "segreteria"), set()))
    assert restamps(lambda db, t: db.execute(update(RoleGrant).values(granted=True)))
    assert restamps(lambda db, t: setattr(role_by_code(db, t, "segreteria"), "name", "Segreteria OCC"))
    assert restamps(lambda db, t: tenants.set_module_enabled(db, pm, t, "prova", False))
    assert restamps(lambda db, t: tenants.add_contract(db, pm, t, "prova", date(2019, 1, 1), date(2019, 12, 31)))
    assert restamps(lambda db, t: make_user(db, "nuovo@ordine-torino.it", t, "consultazione"))
    assert restamps(lambda db, t: setattr(t, "pec", "occ@pec.ordine-torino.it"))
    # The Order's work that is not its configuration leaves the cache alone, and so do its pages.
    assert not restamps(lambda db, t: make_registrant(db, t))
    assert not restamps(lambda db, t: make_user(db, "altro@example.it"))
    assert not restamps(lambda db, t: testapp.get("/torino/"))


def test_a_change_that_is_rolled_back_never_reaches_the_cache(registry, pm, dbtx, torino, testapp):
    """A session that changed the configuration sees its change before it is committed: it must not
    put what may never be committed in the cache that other requests use."""
    guest = "ospite@example.it"
    with dbtx() as db:
        guest_id = make_user(db, guest).id
    orders = registry[cache.REGISTRY_KEY]
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    db = transactional_session(registry["db.session_factory"], tm, torino.id)
    tenant = db.get(Tenant, torino.id)
    shared = orders.config(db, tenant)  # as a request would hold it before its view changes anything
    add_membership(db, tenant, db.get(User, guest_id), "segreteria")
    role = role_by_code(db, tenant, "segreteria")
    assert shared.role_of(db, tenant.id, guest_id) == role.id
    set_role_permissions(db, pm, tenant, role, set())
    own = orders.config(db, tenant)
    assert own is not shared and own.permissions_of(role.id) == frozenset()
    tm.abort()

    assert testapp.get("/torino/prova/").status_int == 200
    testapp.reset()
    login(testapp, guest)
    testapp.get("/torino/", status=404)


def test_a_warm_dashboard_reads_only_the_order_and_its_user_in_one_statement(testapp, torino, registry):
    with counted_queries(registry) as statements:
        testapp.get("/torino/")
    reads = [re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", statement) for statement in statements]
    # The widgets read their own figures (the agenda counts today's appointments); the access configuration
    # comes from the cache.
    assert [tables for tables in reads if (cache.CONFIG_TABLES | {"users"}) & set(tables)] == [["tenants", "users"]]
