"""The «Statistiche» pages: dashboard with charts, tables and CSV; the Ministry's report as page, CSV, ODT and
PDF; the register's printable reports; ``occ stats ministry``; bad input and who may see what."""
import csv
import io
import zipfile
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from occ_core.audit.models import AuditEntry
from occ_core.clock import today
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.procedures import procedure_label
from occ_core.statistics.cli import stats
from occ_core.testing.cli import CliEnvironment
from occ_core.testing.factories import login

from .conftest import BOUNDARY_YEAR, FIRST_YEAR, generated_order
from .expected import Plain

YEAR = BOUNDARY_YEAR
PAGES = ("/statistics", "/statistics/export/procedure.csv", "/statistics/ministry", "/statistics/ministry.csv",
         "/statistics/ministry.odt", "/statistics/register", "/statistics/register/detailed",
         "/statistics/register.csv")


@pytest.fixture
def small(dbtx, pm):
    """«alfa» with 40 generated dossiers and «beta» with 15, each with a user per role (``<role>@<slug>.it``)."""
    with dbtx() as db:
        return generated_order(db, pm, "alfa", 5, 40), generated_order(db, pm, "beta", 6, 15)


def as_user(testapp, email):
    testapp.reset()
    login(testapp, email)


def read_csv(response) -> list[list[str]]:
    assert response.content_type == "text/csv" and response.body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=";"))


def test_dashboard_charts_tables_and_csv(testapp, small, dbtx):
    alfa, _beta = small
    as_user(testapp, "consultazione@alfa.it")
    home = testapp.get("/alfa/")
    assert home.html.find("a", string=lambda text: text and "Statistiche" in text) is not None
    period = {"from": f"{FIRST_YEAR}-01-01", "to": today().isoformat()}
    page = testapp.get("/alfa/statistics", period)
    for key in ("mesi", "anni", "procedure", "stati", "esiti", "gestori", "durate", "importi"):
        section = page.html.select_one(f"#section-{key}")
        assert section.select_one(f"#table-{key}") is not None, key
        exported = testapp.get(section.select_one(f"#csv-{key}")["href"])
        assert read_csv(exported)[0][0] in {"Mese", "Anno", "Procedura", "Stato", "Esito", "Gestore", "Tratto", "Voce"}
    chart = page.html.select_one("#chart-procedure")
    assert chart["role"] == "img" and chart.title.text == "Istanze per procedura" and chart.desc.text
    assert page.html.select_one("script[src*=chart]") is None and "http" not in str(chart).replace(
        "http://www.w3.org/2000/svg", "")
    with dbtx(alfa) as db:
        expected = Plain(db, alfa.id).counts("procedure", date(FIRST_YEAR, 1, 1), today())
    rows = read_csv(testapp.get("/alfa/statistics/export/procedure.csv", period))
    assert rows[0] == ["Procedura", "Istanze"]
    assert {name: int(count) for name, count in rows[1:]} == {procedure_label(code): count
                                                              for code, count in expected.items()}
    # The chart draws a bar per row of the table, titled with its label and number.
    assert sorted(bar.title.text for bar in chart.select("g")) == sorted(f"{name}: {count}" for name, count in rows[1:])
    assert page.html.select_one("#kpi-received").text.strip() == str(sum(expected.values()))

    # One procedure, one year: the filter reaches every table.
    filtered = read_csv(testapp.get("/alfa/statistics/export/procedure.csv",
                                    {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31",
                                     "procedure": "liquidazione_controllata"}))
    with dbtx(alfa) as db:
        count = Plain(db, alfa.id).counts("procedure", date(YEAR, 1, 1), date(YEAR, 12, 31),
                                          "liquidazione_controllata")["liquidazione_controllata"]
    assert filtered == [["Procedura", "Istanze"], ["Liquidazione controllata", str(count)]]
    # Without filters: the current year.
    months = read_csv(testapp.get("/alfa/statistics/export/mesi.csv"))
    assert [row[0] for row in months[1:]] == [f"{month} {today().year}" for month in (
        "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")]


def test_bad_input_gives_a_message_never_an_error(testapp, small, dbtx):
    as_user(testapp, "segreteria@alfa.it")
    with dbtx() as db:
        audited = db.scalar(select(func.count(AuditEntry.id)))
    cases = {
        "/alfa/statistics?from=abc": "Dal: la data «abc» non è valida",
        "/alfa/statistics?from=2025-03-01&to=2025-01-31": "Al: la fine del periodo precede l'inizio.",
        "/alfa/statistics?procedure=fallimento": "Procedura: scegliere una procedura dell'elenco.",
        "/alfa/statistics/ministry?year=abc": "Anno: «abc» non è un anno valido",
        "/alfa/statistics/ministry?year=1999": "Anno: indicare un anno dal 2012",
        f"/alfa/statistics/ministry?year={today().year + 1}": "Anno: indicare un anno dal 2012",
        "/alfa/statistics/register?year=20x5": "Anno: «20x5» non è un anno valido",
        f"/alfa/statistics/register/detailed?year={YEAR}&procedure=nessuna": "Procedura: scegliere",
    }
    for url, message in cases.items():
        page = testapp.get(url, status=400)
        assert message in page.text, url
        assert page.html.select_one("#table-mesi, #ministry-section-1, #register-summary, article") is None, url
    for url in ("/alfa/statistics/export/mesi.csv?to=31/02/2025", "/alfa/statistics/ministry.csv?year=abc",
                "/alfa/statistics/ministry.odt?year=abc", "/alfa/statistics/ministry.pdf?year=0",
                "/alfa/statistics/register.csv?year=abc"):
        refused = testapp.get(url, status=400)
        assert refused.content_type == "text/plain" and refused.text.startswith(("Al:", "Anno:")), url
    testapp.get("/alfa/statistics/export/nulla.csv", status=404)
    with dbtx() as db:
        assert db.scalar(select(func.count(AuditEntry.id))) == audited


def test_who_may_see_the_statistics(testapp, small):
    for role in ("amministratore", "segreteria", "referente", "consultazione"):
        as_user(testapp, f"{role}@alfa.it")
        for path in PAGES:
            testapp.get("/alfa" + path, status=200)
    as_user(testapp, "gestore@alfa.it")
    assert "Statistiche" not in testapp.get("/alfa/").text
    for path in (*PAGES, "/statistics/ministry.pdf"):
        testapp.get("/alfa" + path, status=403)
    testapp.reset()
    for path in PAGES:
        assert "/login" in testapp.get("/alfa" + path, status=302).location
    # Nor may Alfa's staff read Beta's figures.
    as_user(testapp, "amministratore@alfa.it")
    for path in PAGES:
        assert testapp.get("/beta" + path, expect_errors=True).status_int in (403, 404)


def test_ministry_page_csv_and_odt(testapp, small, dbtx):
    alfa, _beta = small
    as_user(testapp, "referente@alfa.it")
    page = testapp.get("/alfa/statistics/ministry", {"year": str(YEAR)})
    assert page.html.select_one("#year option[selected]").text == str(YEAR)
    rows = read_csv(testapp.get(page.html.select_one("#ministry-csv")["href"]))
    assert rows[0] == ["Sezione", "Voce", "Numero"]
    figures = {(section, item): int(number) for section, item, number in rows[1:]}
    handled = figures[("Istanze", "Istanze gestite nell'anno")]
    assert handled == figures[("Istanze", "Ricevute nell'anno")] + figures[
        ("Istanze", "Pervenute da anni precedenti (pendenti al 1° gennaio)")]
    with dbtx(alfa) as db:
        received = db.scalar(select(func.count(Dossier.id)).where(
            Dossier.tenant_id == alfa.id, Dossier.filed_on.between(date(YEAR, 1, 1), date(YEAR, 12, 31))))
    assert figures[("Istanze", "Ricevute nell'anno")] == received
    # The page shows the same numbers, the courts in one table.
    summary = page.html.select_one("#ministry-section-1")
    assert summary.find("th", string="Istanze gestite nell'anno").find_next("td").text == str(handled)
    assert page.html.select_one("#ministry-courts").find("th", string="Tribunale di Pavia") is not None

    odt = testapp.get(page.html.select_one("#ministry-odt")["href"])
    assert odt.content_type == "application/vnd.oasis.opendocument.text"
    with zipfile.ZipFile(io.BytesIO(odt.body)) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        content = archive.read("content.xml").decode()
    assert f"anno {YEAR}" in content and "Istanze gestite nell" in content and "{{" not in content
    assert "Tribunale di Pavia" in content and "Ordine alfa" in content
    # Without LibreOffice (as in the tests' settings) the PDF is refused with what to do instead.
    refused = testapp.get(page.html.select_one("#ministry-pdf")["href"])
    assert "LibreOffice non è installato" in refused.html.select_one("#document-notice").text
    with dbtx() as db:
        formats = {entry.details["format"] for entry in db.scalars(select(AuditEntry).where(
            AuditEntry.action == "statistics.ministry_exported"))}
    assert formats == {"csv", "odt"}


def test_ministry_pdf_through_libreoffice(testapp, small, registry):
    as_user(testapp, "segreteria@alfa.it")
    saved = registry.settings["protocol.soffice"]
    registry.settings["protocol.soffice"] = "soffice"
    try:
        pdf = testapp.get("/alfa/statistics/ministry.pdf", {"year": str(YEAR)})
    finally:
        registry.settings["protocol.soffice"] = saved
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")
    assert pdf.content_disposition == f'attachment; filename="monitoraggio-alfa-{YEAR}.pdf"'


def test_register_reports(testapp, small, dbtx):
    alfa, _beta = small
    as_user(testapp, "segreteria@alfa.it")
    with dbtx(alfa) as db:
        dossiers = db.scalars(select(Dossier).where(Dossier.tenant_id == alfa.id, Dossier.year == YEAR)
                              .order_by(Dossier.number)).all()
        expected = [(d.reference, procedure_label(d.procedure)) for d in dossiers]
        liquidations = [d.reference for d in dossiers if d.procedure == "liquidazione_controllata"]
    summary = testapp.get("/alfa/statistics/register", {"year": str(YEAR)})
    assert summary.html.select_one("#order-header").text.strip().startswith("Ordine alfa")
    shown = [(row.th.text, row.select("td")[2].text) for row in summary.html.select("#register-summary tbody tr")]
    assert shown == expected
    detailed = testapp.get("/alfa/statistics/register/detailed", {"year": str(YEAR),
                                                                  "procedure": "liquidazione_controllata"})
    articles = detailed.html.select("article.dossier")
    assert [article.h2.text.split()[1] for article in articles] == liquidations
    assert all(article.find("caption", string="Passaggi di stato") for article in articles)
    assert "Istanza ricevuta" in detailed.text and "Beta" not in detailed.text
    rows = read_csv(testapp.get("/alfa/statistics/register.csv", {"year": str(YEAR)}))
    assert [(f"{row[0]}/{row[1]}", row[5]) for row in rows[1:]] == expected
    with dbtx() as db:
        printed = db.scalars(select(AuditEntry).where(AuditEntry.action == "statistics.register_printed")).all()
    assert sorted((entry.details["report"], entry.details["dossiers"]) for entry in printed) == [
        ("csv", len(expected)), ("detailed", len(liquidations)), ("summary", len(expected))]


def test_command_line_report(registry, small, testapp):
    def run(*args):
        return CliRunner().invoke(stats, ["ministry", *args], obj=CliEnvironment(registry))

    printed = run("alfa", "--year", str(YEAR))
    assert printed.exit_code == 0
    as_user(testapp, "segreteria@alfa.it")
    assert printed.stdout_bytes == testapp.get("/alfa/statistics/ministry.csv", {"year": str(YEAR)}).body
    assert printed.stdout_bytes != run("beta", "--year", str(YEAR)).stdout_bytes
    unknown = run("gamma", "--year", str(YEAR))
    assert unknown.exit_code == 2 and "Ordine «gamma» inesistente." in unknown.output
    for year in ("abc", "1999", "20255"):
        refused = run("alfa", "--year", year)
        assert refused.exit_code == 2 and "Anno:" in refused.output and "Sezione" not in refused.output, year
