"""Fixtures: a migrated database (PostgreSQL when OCC_TEST_DATABASE_URL is set), the WSGI app, a
browser-like client, a real SMTP server (aiosmtpd), a real Celery worker on Redis, the app served by
waitress and the system Chromium driven by Playwright."""
from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import transaction
import waitress
from sqlalchemy import inspect, text

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    return {
        "sqlalchemy.url": os.environ.get("OCC_TEST_DATABASE_URL") or f"sqlite:///{var_dir}/test.sqlite",
        "occ.var_dir": str(var_dir),
        "occ.secret": "secret-for-tests-only-0123456789abcdef",
        "occ.vendor_dir": str(REPOSITORY / "node_modules"),
        "celery.task_always_eager": "true",
        # Tasks run eagerly unless a test starts the real worker (fixture celery_worker).
        "celery.broker_url": os.environ.get("OCC_TEST_REDIS_URL") or "memory://",
        "mail.smtp_host": "",
        # Daily protocol registers as plain PDFs: LibreOffice takes seconds per start, and every demo load
        # would start it; the tests of the PDF/A conversion name the program themselves.
        "protocol.soffice": "",
    }


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Cheap argon2 parameters for tests only: the suite hashes hundreds of passwords, and the
    production cost (tens of milliseconds each) would dominate its run time."""
    from argon2 import PasswordHasher

    from occ_core.accounts import passwords

    saved = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("occ-dummy-password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = saved


@pytest.fixture(scope="session")
def app(settings):
    from occ_core import migrate
    from occ_core.config import make_configurator
    from occ_core.background import configure_celery

    from occ_core.testing import sample_module

    configurator = make_configurator(settings, extra_plugins=[("prova", sample_module)])
    engine = configurator.registry["db.engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine, configurator.registry.occ_plugins)
    wsgi = configurator.make_wsgi_app()
    configure_celery(configurator.registry)
    return wsgi


@pytest.fixture(scope="session")
def registry(app):
    return app.registry


@pytest.fixture(scope="session")
def pm(registry):
    return registry.occ_plugins


# Every sequence of the schema back to 1, as a fresh database has them.
RESET_SEQUENCES = text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE c.relkind = 'S' AND n.nspname = current_schema()")


@pytest.fixture(scope="session")
def _data_tables(registry):
    engine = registry["db.engine"]
    return [t for t in inspect(engine).get_table_names() if not t.startswith("alembic_version")]


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app (migrations stay), and restart the ids.

    On PostgreSQL with DELETE, not TRUNCATE: truncating fifty tables replaces their files and syncs them to
    disk, a second or more per test, while deleting the few rows a test wrote takes milliseconds. Foreign keys
    are not checked meanwhile (session_replication_role: the test role is a superuser), so the order of the
    tables does not matter."""
    yield
    if "app" not in request.fixturenames:
        return
    engine = request.getfixturevalue("registry")["db.engine"]
    tables = request.getfixturevalue("_data_tables")
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica" if postgresql
                                else "PRAGMA foreign_keys=OFF"))
        for table in tables:
            connection.execute(text(f'DELETE FROM "{table}"'))
        connection.execute(RESET_SEQUENCES if postgresql else text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def dbtx(registry):
    """``with dbtx() as db:`` a session committed at the end of the block; ``dbtx(tenant)`` binds it."""
    from occ_core.db import transactional_session

    @contextmanager
    def open_session(tenant=None):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            yield transactional_session(registry["db.session_factory"], tm,
                                        getattr(tenant, "id", tenant))

    return open_session


@pytest.fixture
def tenant_env(registry, pm):
    """``with tenant_env(tenant) as env:`` a transaction of the Order as a background task has it
    (``TaskEnv``: session bound to the Order, its hook relay, no user), committed at the end of the block."""
    from occ_core.background import TaskEnv
    from occ_core.db import transactional_session
    from occ_core.tenants.models import Tenant
    from occ_core.tenants.services import active_modules

    @contextmanager
    def open_env(tenant):
        tm = transaction.TransactionManager(explicit=True)
        with tm:
            db = transactional_session(registry["db.session_factory"], tm, tenant.id)
            row = db.get(Tenant, tenant.id)
            yield TaskEnv(registry=registry, dbsession=db, tm=tm, tenant=row,
                          active_modules=active_modules(db, pm, row), task=None)

    return open_env


@pytest.fixture
def testapp(app):
    import webtest

    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:6543"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """Records what a real SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(registry):
    """A real SMTP server (aiosmtpd) on loopback; the app's email channel points at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {key: registry.settings[key] for key in ("mail.smtp_host", "mail.smtp_port")}
    registry.settings.update({"mail.smtp_host": "127.0.0.1", "mail.smtp_port": str(controller.port)})
    sink.port = controller.port
    yield sink
    registry.settings.update(saved)
    controller.stop()


@pytest.fixture
def celery_worker(registry):
    """A real Celery worker thread consuming from Redis (OCC_TEST_REDIS_URL)."""
    from celery.contrib.testing.worker import start_worker

    from occ_core.background import celery_app

    if not celery_app.conf.broker_url.startswith("redis://"):
        raise RuntimeError("OCC_TEST_REDIS_URL is not set: run the tests with `make test`.")
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser(live_server):
    """The system Chromium driven by Playwright; a missing browser is an error, never a skip.

    It depends on the live server so that it closes first: its open connections would keep the server busy."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app):
    """The test application served by waitress on a free loopback port, in a background thread."""
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=10)
    server.task_dispatcher.shutdown()
