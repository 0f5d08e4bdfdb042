"""The statistics on generated Orders equal the same figures computed with plain SQL: every period and
procedure filter, every year of the Ministry's report, the turn of the year, and never a row of another Order."""
from datetime import date

from sqlalchemy import select

from occ_core.clock import today
from occ_core.gestori.models import Gestore
from occ_core.statistics import ministry

from .checks import check_dashboard, check_ministry
from .conftest import BOUNDARY, BOUNDARY_YEAR, FIRST_YEAR, HANDMADE, Generator


def test_figures_equal_plain_sql(dbtx, orders):
    alfa, beta = orders
    with dbtx(alfa) as db:
        everything = check_dashboard(db, alfa.id, date(FIRST_YEAR, 1, 1), today())
        assert everything == 250 + HANDMADE
        # A period across a turn of year, then one procedure in one year.
        assert 0 < check_dashboard(db, alfa.id, date(BOUNDARY_YEAR, 7, 1), date(BOUNDARY_YEAR + 1, 6, 30)) < everything
        assert 0 < check_dashboard(db, alfa.id, date(BOUNDARY_YEAR, 1, 1), date(BOUNDARY_YEAR, 12, 31),
                                   "liquidazione_controllata") < everything
        assert check_dashboard(db, alfa.id, date(2000, 1, 1), date(2000, 12, 31)) == 0
    with dbtx(beta) as db:
        assert check_dashboard(db, beta.id, date(FIRST_YEAR, 1, 1), today()) == 80 + HANDMADE
    with dbtx(alfa) as db:
        reports = {year: check_ministry(db, alfa.id, year) for year in range(FIRST_YEAR, today().year + 1)}
    # Carried over into a year = still pending at the end of the one before.
    for year in range(FIRST_YEAR + 1, today().year + 1):
        assert reports[year].origins["carried"] == reports[year - 1].fates["pending"], year
    assert sum(report.origins["received"] for report in reports.values()) == 250 + HANDMADE
    # The generated data reach every kind of figure: each reason of archiving, most outcomes.
    assert set().union(*(report.reasons for report in reports.values())) >= {"rinuncia", "inammissibilita",
                                                                             "documentazione"}
    assert len(set().union(*(report.outcomes for report in reports.values()))) >= 6
    assert all(report.derived_reasons for report in reports.values() if report.fates["archived"] > 3)
    assert reports[BOUNDARY_YEAR + 1].archived_after_assignment
    # The handmade dossiers at the turn of the year (only they are at the Tribunale di Pavia): an appointment
    # recorded at 23:30 UTC of 31 December is of 1 January in Italy; an act dated 31 December and recorded in
    # January counts in December; an istanza stops pending at its archiving even if a gestore is appointed
    # later; an archiving after the appointment is no outcome of the court.
    for year, expected in BOUNDARY.items():
        line = reports[year].courts["Tribunale di Pavia"]
        assert {key: getattr(line, key) for key in expected} == expected, year


def test_another_order_is_never_counted(dbtx, orders):
    alfa, beta = orders
    year = BOUNDARY_YEAR
    with dbtx(alfa) as db:
        before = ministry.build(db, alfa.id, year).csv_rows()
        alfa_total = check_dashboard(db, alfa.id, date(year, 1, 1), date(year, 12, 31))
    with dbtx(beta) as db:
        beta_total = check_dashboard(db, beta.id, date(year, 1, 1), date(year, 12, 31))
        gestori = list(db.scalars(select(Gestore)))
        db.info["tenant_id"] = beta.id
        generator = Generator(db, beta, gestori, seed=3)
        generator.numbers = {y: 1000 for y in range(FIRST_YEAR, today().year + 1)}
        generator.invoice_numbers = dict(generator.numbers)
        for _ in range(30):
            generator.random_dossier()
    assert alfa_total != beta_total
    with dbtx(alfa) as db:
        assert ministry.build(db, alfa.id, year).csv_rows() == before
        assert check_dashboard(db, alfa.id, date(year, 1, 1), date(year, 12, 31)) == alfa_total
