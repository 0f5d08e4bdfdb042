"""Every figure of the dashboard and of the Ministry's report, compared with the plain SQL of ``expected``."""
from collections import Counter
from datetime import date

from occ_core.dossiers.models import Dossier
from occ_core.statistics import ministry, queries

from .conftest import REASONS
from .expected import Plain

# The category of the archiving when the typed reason names none: by the phase the istanza was in.
BY_PHASE = {"ISTANZA_RICEVUTA": "inammissibilita", "ISTRUTTORIA_SEGRETERIA": "inammissibilita",
            "PREVENTIVO_EMESSO": "rinuncia", "INCARICO_CONFERITO": "rinuncia"}
# (state, procedure or None for any) -> outcome category.
OUTCOMES = {
    ("OMOLOGATO", None): "omologa", ("NON_OMOLOGATO", None): "non_omologa", ("RIGETTO", None): "rigetto",
    ("RIGETTATO", "liquidazione_patrimonio"): "rigetto", ("RIGETTATO", None): "non_omologa",
    ("INAMMISSIBILE", None): "inammissibile", ("SENTENZA_APERTURA", None): "apertura_liquidazione",
    ("DECRETO_APERTURA", "liquidazione_patrimonio"): "apertura_liquidazione", ("DECRETO_APERTURA", None): "ammissione",
    ("DECRETO_AMMISSIBILITA", None): "ammissione", ("ATTESTAZIONE_NESSUN_ATTIVO", None): "nessun_attivo",
    ("DECRETO_ESDEBITAZIONE", None): "esdebitazione", ("ESDEBITAZIONE", None): "esdebitazione",
    ("REVOCATO", None): "revoca", ("RISOLTO", None): "revoca", ("CESSATO", None): "revoca",
    ("CHIUSO", None): "chiusura", ("CHIUSA", None): "chiusura", ("CHIUSO_ESEGUITO", None): "chiusura",
}
ASSIGNED_PHASE_START = {"ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA", "PREVENTIVO_EMESSO", "INCARICO_CONFERITO",
                        "ARCHIVIATA", ""}


def check_dashboard(db, tenant_id: int, start: date, end: date, procedure: str = "") -> int:
    """Assert every dashboard figure of the scope; return how many dossiers it holds."""
    plain, scope = Plain(db, tenant_id), queries.Scope(tenant_id, start, end, procedure)
    months = {(year, month): count for year, month, count in queries.received_by_month(db, scope)}
    assert months == plain.months(start, end, procedure)
    for column in ("procedure", "state", "outcome"):
        assert dict(queries.count_by(db, scope, getattr(Dossier, column))) == plain.counts(column, start, end,
                                                                                             procedure), column
    assert dict(queries.by_gestore(db, scope)) == plain.gestori(start, end, procedure)
    assert [(d.count, d.median) for d in queries.durations(db, scope)] == plain.durations(start, end, procedure)
    figures = queries.amounts(db, scope)
    assert [figures.passivo, figures.attivo, figures.estimated, figures.invoiced, figures.collected] \
        == plain.amounts(start, end, procedure)
    assert figures.dossiers == sum(months.values())
    return figures.dossiers


def expected_report(db, tenant_id: int, year: int) -> dict:
    plain = Plain(db, tenant_id)
    found = {"origins": Counter(), "fates": Counter(), "received_by_procedure": Counter(),
             "assigned_by_procedure": Counter(), "reasons": Counter(), "derived_reasons": 0, "filed": 0,
             "outcomes": Counter(), "archived_after_assignment": 0, "courts": {}}

    def court(name):
        return found["courts"].setdefault(name or ministry.NO_COURT, Counter())

    for (procedure, court_name, origin, fate), count in plain.ministry(year).items():
        found["origins"][origin] += count
        found["fates"][fate] += count
        court(court_name)[fate] += count
        if origin == "received":
            found["received_by_procedure"][procedure] += count
            court(court_name)["received"] += count
        if fate == "assigned":
            found["assigned_by_procedure"][procedure] += count
    for from_state, reason in plain.archived(year):
        named = REASONS[reason]
        found["derived_reasons"] += named is None
        found["reasons"][named or BY_PHASE.get(from_state, "altro")] += 1
    for (procedure, court_name, state, from_state), count in plain.court_acts(year).items():
        if state == "DEPOSITATO":
            found["filed"] += count
            court(court_name)["filed"] += count
            continue
        if state == "ARCHIVIATA":  # the OCC's act, not the court's
            if from_state not in ASSIGNED_PHASE_START:
                found["archived_after_assignment"] += count
            continue
        outcome = OUTCOMES.get((state, procedure), OUTCOMES.get((state, None)))
        if outcome:
            found["outcomes"][outcome] += count
            court(court_name)["outcomes"] += count
    return found


def check_ministry(db, tenant_id: int, year: int) -> ministry.Report:
    report, expected = ministry.build(db, tenant_id, year), expected_report(db, tenant_id, year)
    for name in ("origins", "fates", "received_by_procedure", "assigned_by_procedure", "reasons", "outcomes"):
        assert +getattr(report, name) == +expected[name], name
    assert (report.derived_reasons, report.filed, report.archived_after_assignment) == (
        expected["derived_reasons"], expected["filed"], expected["archived_after_assignment"])
    lines = {line.court: Counter({key: getattr(line, key) for key, _label in ministry.COURT_COLUMNS})
             for line in report.court_lines()}
    assert {name: +counts for name, counts in lines.items()} == {name: +counts for name, counts in
                                                                 expected["courts"].items()}
    # The istanze handled are split exactly: by origin, and by what became of them.
    assert report.handled == sum(report.fates.values()) == report.origins["received"] + report.origins["carried"]
    assert sum(report.reasons.values()) == report.fates["archived"]
    return report
