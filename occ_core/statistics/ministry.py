"""The figures of the Ministry's yearly monitoring of the OCC (occ-law.md 5.4), for one Order and year.

Istanze handled in the year = received in the year + carried over (filed earlier, neither assigned nor
archived on 1 January). At 31 December each is assigned (a gestore appointed), archived before assignment,
or still pending. The reason of an archiving is not a field of the register: it is read from the reason typed
when the dossier was archived (``queries.REASON_WORDS``) and, when that names none, derived from the phase the
dossier was archived in (``DERIVED_REASONS``)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from occ_core.clock import today
from occ_core.dossiers.procedures import PROCEDURES
from occ_core.errors import UserError
from occ_core.statistics import queries

FIRST_YEAR = 2012  # L. 3/2012: no OCC worked on over-indebtedness before
NO_COURT = "Tribunale non indicato"

REASONS = {
    "rinuncia": "Rinuncia o ritiro dell'istanza",
    "inammissibilita": "Inammissibilità (mancanza dei presupposti)",
    "documentazione": "Documentazione incompleta o non integrata",
    "altro": "Altro motivo",
}
# During the secretariat's check an istanza is archived because it cannot proceed; once the preventivo is
# sent, because the debtor does not accept it.
DERIVED_REASONS = {"ISTANZA_RICEVUTA": "inammissibilita", "ISTRUTTORIA_SEGRETERIA": "inammissibilita",
                   "PREVENTIVO_EMESSO": "rinuncia", "INCARICO_CONFERITO": "rinuncia"}

OUTCOMES = {
    "ammissione": "Decreto di ammissibilità o di apertura del concordato minore",
    "apertura_liquidazione": "Apertura della liquidazione",
    "omologa": "Omologazione",
    "non_omologa": "Mancata omologazione",
    "rigetto": "Rigetto del ricorso",
    "inammissibile": "Dichiarazione di inammissibilità",
    "nessun_attivo": "Attestazione di assenza di attivo",
    "esdebitazione": "Esdebitazione",
    "revoca": "Revoca, risoluzione o cessazione",
    "chiusura": "Chiusura della procedura",
}
OUTCOME_OF_STATE = {
    "DECRETO_AMMISSIBILITA": "ammissione", "SENTENZA_APERTURA": "apertura_liquidazione", "OMOLOGATO": "omologa",
    "NON_OMOLOGATO": "non_omologa", "RIGETTO": "rigetto", "INAMMISSIBILE": "inammissibile",
    "ATTESTAZIONE_NESSUN_ATTIVO": "nessun_attivo", "DECRETO_ESDEBITAZIONE": "esdebitazione",
    "ESDEBITAZIONE": "esdebitazione", "REVOCATO": "revoca", "RISOLTO": "revoca", "CESSATO": "revoca",
    "CHIUSO": "chiusura", "CHIUSA": "chiusura", "CHIUSO_ESEGUITO": "chiusura",
}
# In the liquidazione del patrimonio (L. 3/2012) the decree opens the liquidation and a rejection refuses it;
# in the accordo and the piano a rejection refuses the homologation.
LIQUIDATIONS = ("liquidazione_patrimonio",)


def outcome_of(procedure: str, state: str) -> str | None:
    """The outcome category of a court act, None for what is no court's outcome (the filing, an archiving)."""
    if state == "DECRETO_APERTURA":
        return "apertura_liquidazione" if procedure in LIQUIDATIONS else "ammissione"
    if state == "RIGETTATO":
        return "rigetto" if procedure in LIQUIDATIONS else "non_omologa"
    return OUTCOME_OF_STATE.get(state)


def parse_year(text) -> int:
    """The year asked for; an Italian message for anything that is not a year the OCC can have worked in."""
    value = str(text if text is not None else "").strip()
    if not value:
        return today().year
    if not (value.isascii() and value.isdecimal()) or len(value) != 4:
        raise UserError(f"Anno: «{value[:20]}» non è un anno valido (quattro cifre, ad esempio {today().year}).",
                        field="year")
    year = int(value)
    if not FIRST_YEAR <= year <= today().year:
        raise UserError(f"Anno: indicare un anno dal {FIRST_YEAR} al {today().year}.", field="year")
    return year


@dataclass
class CourtLine:
    court: str
    received: int = 0
    assigned: int = 0
    archived: int = 0
    pending: int = 0
    filed: int = 0
    outcomes: int = 0


COURT_COLUMNS = (("received", "Istanze ricevute"), ("assigned", "Assegnate"), ("archived", "Archiviate prima "
                 "dell'assegnazione"), ("pending", "Pendenti al 31 dicembre"), ("filed", "Ricorsi depositati"),
                 ("outcomes", "Esiti del tribunale"))


@dataclass
class Report:
    year: int
    origins: Counter = field(default_factory=Counter)
    fates: Counter = field(default_factory=Counter)
    assigned_by_procedure: Counter = field(default_factory=Counter)
    received_by_procedure: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    derived_reasons: int = 0
    filed: int = 0
    outcomes: Counter = field(default_factory=Counter)
    # Archived by the OCC after the gestore's appointment (before any filing): no act of the court.
    archived_after_assignment: int = 0
    courts: dict = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return sum(self.origins.values())

    def court(self, name: str) -> CourtLine:
        name = name.strip() or NO_COURT
        return self.courts.setdefault(name, CourtLine(name))

    def percent(self, count: int) -> str:
        return f"{count * 100 / self.handled:.1f}".replace(".", ",") + " %" if self.handled else "—"

    def summary(self) -> list[tuple[str, int]]:
        return [
            ("Istanze gestite nell'anno", self.handled),
            ("Ricevute nell'anno", self.origins["received"]),
            ("Pervenute da anni precedenti (pendenti al 1° gennaio)", self.origins["carried"]),
            ("Assegnate a un gestore", self.fates["assigned"]),
            ("Archiviate prima dell'assegnazione", self.fates["archived"]),
            ("Pendenti al 31 dicembre (non ancora assegnate)", self.fates["pending"]),
        ]

    def court_lines(self) -> list[CourtLine]:
        return sorted(self.courts.values(), key=lambda line: (line.court == NO_COURT, line.court))

    def sections(self, courts: bool = True) -> list[tuple[str, list[tuple[str, int]]]]:
        """The report as (section, [(item, number)]): the page, the CSV, the command line and the ODT; with
        ``courts`` a section per court too (the page shows the courts in one table instead)."""
        sections = [
            ("Istanze", self.summary()),
            ("Istanze ricevute per procedura",
             [(procedure.label, self.received_by_procedure[code]) for code, procedure in PROCEDURES.items()]),
            ("Istanze assegnate per procedura",
             [(procedure.label, self.assigned_by_procedure[code]) for code, procedure in PROCEDURES.items()]),
            ("Archiviate prima dell'assegnazione, per motivo",
             [(label, self.reasons[code]) for code, label in REASONS.items()]
             + [("di cui con motivo desunto dalla fase della pratica", self.derived_reasons)]),
            ("Tribunale: depositi ed esiti",
             [("Ricorsi depositati in tribunale", self.filed)]
             + [(label, self.outcomes[code]) for code, label in OUTCOMES.items()]),
            ("Pratiche archiviate dopo l'assegnazione",
             [("Archiviate dall'Organismo dopo la nomina del gestore", self.archived_after_assignment)]),
        ]
        if courts:
            sections += [(line.court, [(label, getattr(line, key)) for key, label in COURT_COLUMNS])
                         for line in self.court_lines()]
        return sections

    def csv_rows(self) -> list[tuple]:
        return [("Sezione", "Voce", "Numero")] + [
            (section, item, number) for section, items in self.sections() for item, number in items]


def build(db, tenant_id: int, year: int) -> Report:
    report = Report(year)
    for procedure, court, origin, fate, count in queries.ministry_fates(db, tenant_id, year):
        report.origins[origin] += count
        report.fates[fate] += count
        line = report.court(court)
        setattr(line, fate, getattr(line, fate) + count)
        if origin == "received":
            report.received_by_procedure[procedure] += count
            line.received += count
        if fate == "assigned":
            report.assigned_by_procedure[procedure] += count
    for from_state, stated, count in queries.ministry_archive_reasons(db, tenant_id, year):
        if not stated:
            report.derived_reasons += count
        report.reasons[stated or DERIVED_REASONS.get(from_state, "altro")] += count
    for procedure, court, state, after_assignment, count in queries.ministry_acts(db, tenant_id, year):
        if state == queries.FILED_IN_COURT:
            report.filed += count
            report.court(court).filed += count
            continue
        if state == queries.ARCHIVED:
            if after_assignment:  # before it, an istanza archived is counted by its reason
                report.archived_after_assignment += count
            continue
        outcome = outcome_of(procedure, state)
        if outcome is not None:
            report.outcomes[outcome] += count
            report.court(court).outcomes += count
    return report
