"""The demo Order, as `make run` loads it: every figure of the dashboard and of the Ministry's report equals
plain SQL, and ``occ stats ministry`` prints the very CSV the page gives. The demo takes long to load, so it
is loaded once and everything is checked in one test."""
from datetime import date

from click.testing import CliRunner
from sqlalchemy import select

from occ_core.clock import ROME, today
from occ_core.dossiers.models import Dossier, Transition
from occ_core.demo import DEMO_PASSWORD, load_demo
from occ_core.statistics.cli import stats
from occ_core.tenants.models import Tenant
from occ_core.testing.cli import CliEnvironment
from occ_core.testing.factories import login

from .checks import check_dashboard, check_ministry


def test_demo_order_figures_equal_plain_sql(dbtx, registry, testapp):
    with dbtx() as db:
        load_demo(db, registry)
        tenant = db.scalar(select(Tenant).where(Tenant.slug == "demo"))
    first_year = 2021  # the demo's dossiers start in 2021
    with dbtx(tenant) as db:
        assert check_dashboard(db, tenant.id, date(first_year, 1, 1), today()) == 200
        for procedure in ("liquidazione_controllata", "ristrutturazione_consumatore"):
            assert check_dashboard(db, tenant.id, date(first_year, 1, 1), today(), procedure)
        reports = {year: check_ministry(db, tenant.id, year) for year in range(first_year, today().year + 1)}
    assert sum(report.origins["received"] for report in reports.values()) == 200
    assert any(report.filed for report in reports.values())
    # Each dossier's page, history and current state show one time for one event.
    with dbtx(tenant) as db:
        for dossier in db.scalars(select(Dossier)):
            path = db.scalars(select(Transition.at).where(Transition.dossier_id == dossier.id)
                              .order_by(Transition.at, Transition.id)).all()
            assert (dossier.registered_at, dossier.state_changed_at) == (path[0], path[-1])
            assert dossier.registered_at.astimezone(ROME).hour == 10

    login(testapp, "segreteria@ordine-demo.it", DEMO_PASSWORD)
    year = today().year - 1
    page_csv = testapp.get(f"/demo/statistics/ministry.csv?year={year}").body
    result = CliRunner().invoke(stats, ["ministry", "demo", "--year", str(year)], obj=CliEnvironment(registry),
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == page_csv
    assert f"Istanze;Ricevute nell'anno;{reports[year].origins['received']}\r\n".encode() in page_csv
