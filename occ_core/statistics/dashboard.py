"""The dashboard's tables: each one is what the page shows (table and chart) and what its CSV exports."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from occ_core.clock import today
from occ_core.dossiers.models import Dossier
from occ_core.dossiers.procedures import PROCEDURES, procedure_label, state_label
from occ_core.errors import UserError
from occ_core.statistics import queries
from occ_core.web.forms import parse_date

MONTHS = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")
IN_PROGRESS = "In corso (nessun esito)"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[tuple]
    chart: str = ""  # "columns" (a time sequence) | "bars" (categories) | "" (no chart)
    # The column the chart draws (the first is the label) and the columns holding euro amounts.
    value_column: int = 1
    money_columns: tuple[int, ...] = ()
    note: str = ""

    def points(self) -> list[tuple[str, object]]:
        return [(str(row[0]), row[self.value_column]) for row in self.rows]

    def csv_rows(self) -> list[tuple]:
        return [self.headers, *self.rows]


@dataclass
class Filters:
    """The filters as typed (shown again in the form) and, when they are valid, the scope they mean."""

    raw: dict
    scope: queries.Scope | None
    errors: dict = field(default_factory=dict)


def read_filters(params, tenant_id: int) -> Filters:
    """Period (on the date the istanza was filed; default: the current year) and procedure."""
    raw = {name: (params.get(name) if isinstance(params.get(name), str) else "") or ""
           for name in ("from", "to", "procedure")}
    errors, bounds = {}, {}
    year = today().year
    for name, label, default in (("from", "Dal", date(year, 1, 1)), ("to", "Al", date(year, 12, 31))):
        try:
            bounds[name] = parse_date(raw[name], label) or default
        except UserError as error:
            errors[name] = error.message
    if not errors and bounds["to"] < bounds["from"]:
        errors["to"] = "Al: la fine del periodo precede l'inizio."
    if raw["procedure"] and raw["procedure"] not in PROCEDURES:
        errors["procedure"] = "Procedura: scegliere una procedura dell'elenco."
    if errors:
        return Filters(raw, None, errors)
    raw.update({"from": bounds["from"].isoformat(), "to": bounds["to"].isoformat()})
    return Filters(raw, queries.Scope(tenant_id, bounds["from"], bounds["to"], raw["procedure"]))


def _months(start: date, end: date):
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def months_table(db, tenant, scope) -> Table:
    found = {(year, month): count for year, month, count in queries.received_by_month(db, scope)}
    rows = [(f"{MONTHS[month - 1]} {year}", found.get((year, month), 0)) for year, month in _months(scope.start,
                                                                                                  scope.end)]
    return Table("mesi", "Istanze ricevute per mese", ("Mese", "Istanze"), rows, "columns")


def years_table(db, tenant, scope) -> Table:
    found: dict[int, int] = {}
    for year, _month, count in queries.received_by_month(db, scope):
        found[year] = found.get(year, 0) + count
    rows = [(str(year), found.get(year, 0)) for year in range(scope.start.year, scope.end.year + 1)]
    return Table("anni", "Istanze ricevute per anno", ("Anno", "Istanze"), rows, "columns")


def procedures_table(db, tenant, scope) -> Table:
    rows = [(procedure_label(code), count) for code, count in queries.count_by(db, scope, Dossier.procedure)]
    return Table("procedure", "Istanze per procedura", ("Procedura", "Istanze"), rows, "bars")


def states_table(db, tenant, scope) -> Table:
    rows = [(state_label(tenant, state), count) for state, count in queries.count_by(db, scope, Dossier.state)]
    return Table("stati", "Pratiche per stato attuale", ("Stato", "Pratiche"), rows, "bars")


def outcomes_table(db, tenant, scope) -> Table:
    rows = [(state_label(tenant, outcome) if outcome else IN_PROGRESS, count)
            for outcome, count in queries.count_by(db, scope, Dossier.outcome)]
    return Table("esiti", "Pratiche per esito", ("Esito", "Pratiche"), rows, "bars")


def gestori_table(db, tenant, scope) -> Table:
    return Table("gestori", "Pratiche per gestore nominato", ("Gestore", "Pratiche"), queries.by_gestore(db, scope),
                 "bars", note="Ogni pratica conta per ciascun gestore nominato (anche sostituito); gli incarichi "
                              "rifiutati non contano.")


def durations_table(db, tenant, scope) -> Table:
    rows = [(duration.label, duration.count, duration.median) for duration in queries.durations(db, scope)]
    return Table("durate", "Durate mediane in giorni", ("Tratto", "Pratiche", "Mediana (giorni)"), rows, "bars",
                 value_column=2,
                 note="Date prese dallo storico degli stati (la data dell'atto quando indicata). «Pratiche» conta "
                      "quelle che hanno entrambe le date del tratto.")


AMOUNT_LABELS = (
    ("passivo", "Passivo (dichiarato o, in mancanza, somma dei crediti)"),
    ("attivo", "Attivo dichiarato"),
    ("estimated", "Compensi preventivati (ultimo preventivo, totale dovuto)"),
    ("invoiced", "Fatturato (fatture emesse al netto delle note di credito)"),
    ("collected", "Incassato (diritti, acconti, saldi e rimborsi spese, al netto delle restituzioni)"),
)


def amounts_table(db, tenant, scope) -> Table:
    figures = queries.amounts(db, scope)
    rows = [(label, getattr(figures, key)) for key, label in AMOUNT_LABELS]
    return Table("importi", "Importi delle pratiche del periodo", ("Voce", "Importo"), rows, money_columns=(1,),
                 note=f"Importi complessivi delle {figures.dossiers} pratiche con istanza presentata nel periodo, "
                      "qualunque sia la data della fattura o dell'incasso.")


TABLES = {
    "mesi": months_table, "anni": years_table, "procedure": procedures_table, "stati": states_table,
    "esiti": outcomes_table, "gestori": gestori_table, "durate": durations_table, "importi": amounts_table,
}


def all_tables(db, tenant, scope) -> dict[str, Table]:
    return {key: build(db, tenant, scope) for key, build in TABLES.items()}
