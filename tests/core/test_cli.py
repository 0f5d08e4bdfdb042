"""The ``occ`` command line, against the test database."""
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from occ_core.background import configure_celery
from occ_core.cli import cli
from occ_core.tenants.models import Tenant


@pytest.fixture
def occ(app, settings, registry, monkeypatch):
    from occ_core import config
    from occ_core.testing import sample_module

    # The command sees the same modules as the test app, the sample module "prova" included.
    make_configurator = config.make_configurator
    monkeypatch.setattr(config, "make_configurator",
                        lambda settings: make_configurator(settings, extra_plugins=[("prova", sample_module)]))
    runner = CliRunner()
    env = {"OCC_DATABASE_URL": settings["sqlalchemy.url"], "OCC_VAR_DIR": settings["occ.var_dir"],
           "OCC_SECRET": settings["occ.secret"], "OCC_CELERY_EAGER": "true", "OCC_CONFIG": ""}

    def run(*args, status=0):
        result = runner.invoke(cli, ["--config", ""] + list(args), env=env, catch_exceptions=False)
        # The command configured the process-wide Celery app for itself: give it back to the test app.
        configure_celery(registry)
        assert result.exit_code == status, result.output
        return result.output

    return run


def test_tenant_contract_module_and_plugins(occ):
    assert "creato" in occ("tenant", "create", "brescia", "--name", "Ordine di Brescia")
    assert "Esiste già" in occ("tenant", "create", "brescia", "--name", "Altro", status=1)
    assert "non è coperto" in occ("module", "enable", "brescia", "prova", status=1)
    assert "registrato" in occ("contract", "add", "brescia", "prova", "--from", "2026-01-01")
    assert "non è installato" in occ("contract", "add", "brescia", "inesistente", "--from", "2026-01-01", status=1)
    assert "precede" in occ("contract", "add", "brescia", "prova", "--from", "2026-02-01", "--until", "2026-01-01",
                            status=1)
    assert "attivato" in occ("module", "enable", "brescia", "prova")
    listing = occ("plugins")
    assert "prova" in listing and "Ordine brescia:" in listing and "prova: attivo" in listing
    occ("module", "disable", "brescia", "prova")
    assert "prova: disponibile" in occ("plugins")
    assert "inesistente" in occ("module", "enable", "nessuno", "prova", status=1)


def test_bad_slug_is_refused(occ):
    assert "deve iniziare con una lettera" in occ("tenant", "create", "Brescia!", "--name", "X", status=1)
    assert "riservata" in occ("tenant", "create", "admin", "--name", "X", status=1)


def test_user_add_with_role(occ, testapp):
    from occ_core.testing.factories import login

    occ("tenant", "create", "brescia", "--name", "Ordine di Brescia")
    occ("user", "add", "capo@brescia.it", "--name", "Capo", "--password", "password-lunga-1",
        "--tenant", "brescia", "--role", "amministratore")
    login(testapp, "capo@brescia.it", "password-lunga-1")
    assert "Impostazioni" in testapp.get("/brescia/").text
    assert "inesistente" in occ("user", "add", "x@brescia.it", "--password", "password-lunga-1",
                                "--tenant", "brescia", "--role", "inesistente", status=1)


def test_db_status_and_demo_is_repeatable(occ, dbtx):
    assert "allineato" in occ("db", "status")
    assert "creato" in occ("demo")
    assert "aggiornato" in occ("demo")
    with dbtx() as db:
        assert db.scalar(select(func.count()).select_from(Tenant).where(Tenant.slug == "demo")) == 1


def test_models_and_migrations_are_in_step(occ):
    """Every stream's migrations create exactly what its models declare (a missing migration fails here)."""
    assert "allineati" in occ("db", "check")


def test_db_check_notices_a_schema_that_differs(occ, registry):
    from sqlalchemy import text

    engine = registry["db.engine"]
    # SQLite connections idle in the pool keep the schema they last saw: start from fresh ones.
    engine.dispose()
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE tenants ADD COLUMN stray_column INTEGER"))
    try:
        assert "occ_core: 1 differenze" in occ("db", "check", status=1)
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE tenants DROP COLUMN stray_column"))
