"""Every figure of the statistics, as SQL aggregates over the Order's dossiers (PostgreSQL and SQLite).

The dates of a dossier's path are those of its state history (``Transition``): the act's date
(``effective_on``) when it was given, else the Italian day on which the step was recorded. The gestore is
taken as appointed on the first step into a state past the OCC's preliminary phase (normally «Gestore
nominato»), so that a dossier moved on without that exact step still counts as assigned.

Medians are ``percentile_cont(0.5)`` on PostgreSQL; SQLite has no such aggregate, so there the day counts are
fetched and the median is taken in Python (the same definition: the mean of the two middle values)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import Date, Integer, and_, case, cast, distinct, extract, func, or_, select, text
from sqlalchemy.orm import selectinload

from occ_core.clock import ROME
from occ_core.dossiers.models import Dossier, Transition
from occ_core.fees.models import FeeEstimate
from occ_core.gestori.models import Appointment, Gestore
from occ_core.invoicing.models import Invoice
from occ_core.ledger.models import Movement
from occ_core.ledger.services import EXPENSE, GIVEN_BACK, INCOME, PAID_TOWARDS_ESTIMATE
from occ_core.money import CENT
from shared_registry.models import Registrant

ARCHIVED, FILED_IN_COURT = "ARCHIVIATA", "DEPOSITATO"
# The OCC's phase before a gestore is appointed: a step into any other state but the archive means the istanza
# was assigned.
BEFORE_ASSIGNMENT = ("ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA", "PREVENTIVO_EMESSO", "INCARICO_CONFERITO")
PRE_ASSIGNMENT = (*BEFORE_ASSIGNMENT, ARCHIVED)
# The court's decision that ends the filing's wait: homologation, or the opening of a liquidation, or the
# discharge of the incapiente debtor.
DECISIONS = {
    "ristrutturazione_consumatore": "OMOLOGATO",
    "concordato_minore": "OMOLOGATO",
    "accordo_composizione": "OMOLOGATO",
    "piano_consumatore": "OMOLOGATO",
    "liquidazione_controllata": "SENTENZA_APERTURA",
    "liquidazione_patrimonio": "DECRETO_APERTURA",
    "esdebitazione_incapiente": "DECRETO_ESDEBITAZIONE",
}
# The court's acts that the Ministry's monitoring counts as outcomes, with the filing itself and the archiving
# (the OCC's own act, which the report counts apart when it comes after the assignment).
COURT_ACTS = (FILED_IN_COURT, ARCHIVED, "DECRETO_AMMISSIBILITA", "DECRETO_APERTURA", "SENTENZA_APERTURA", "OMOLOGATO",
              "NON_OMOLOGATO", "RIGETTATO", "RIGETTO", "INAMMISSIBILE", "ATTESTAZIONE_NESSUN_ATTIVO",
              "DECRETO_ESDEBITAZIONE", "ESDEBITAZIONE", "REVOCATO", "RISOLTO", "CESSATO", "CHIUSO", "CHIUSA",
              "CHIUSO_ESEGUITO")
# Words of the reason typed when a dossier is archived that say why (first match wins).
REASON_WORDS = (
    ("rinuncia", ("rinunc", "ritir", "desist")),
    ("inammissibilita", ("inammissib", "improcedib", "irricevib", "requisit", "presuppost")),
    ("documentazione", ("document", "integrazion", "incomplet")),
)
SQLITE_ROME_DAY = "occ_rome_day"


@dataclass(frozen=True)
class Scope:
    """The dossiers a dashboard figure covers: applications filed from ``start`` to ``end`` (included), of one
    procedure or (empty) of all."""

    tenant_id: int
    start: date
    end: date
    procedure: str = ""

    def criteria(self) -> list:
        found = [Dossier.tenant_id == self.tenant_id, Dossier.filed_on >= self.start, Dossier.filed_on <= self.end]
        if self.procedure:
            found.append(Dossier.procedure == self.procedure)
        return found


def _postgresql(db) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _rome_day(stored: str | None) -> str | None:
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ROME).date().isoformat()


def begin(db) -> None:
    """Ready the transaction for the figures. On PostgreSQL, plans made for the bounds at hand: psycopg
    prepares a statement run five times, and PostgreSQL may then keep one generic plan for every period, which
    measured twice as slow on 100,000 dossiers (a year and all years want different plans). On SQLite, the
    conversion of a timestamp to the Italian day, a function of the connection (SQLite knows no time zones)."""
    if _postgresql(db):
        db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    else:
        db.connection().connection.driver_connection.create_function(SQLITE_ROME_DAY, 1, _rome_day,
                                                                      deterministic=True)


def act_on(db):
    """The date of a transition's act: ``effective_on``, else the day in Italy when the step was recorded."""
    if _postgresql(db):
        recorded = cast(func.timezone(ROME.key, Transition.at), Date)
    else:
        recorded = getattr(func, SQLITE_ROME_DAY)(Transition.at, type_=Date)
    return func.coalesce(Transition.effective_on, recorded)


def earliest(db, first, second):
    """The earlier of two dates, either one when the other is missing, NULL when both are: PostgreSQL's
    ``least`` skips NULLs; SQLite's scalar ``min`` returns NULL if any argument is, so each side stands in
    for the other."""
    if _postgresql(db):
        return func.least(first, second)
    return func.min(func.coalesce(first, second), func.coalesce(second, first))


def days_between(db, later, earlier):
    if _postgresql(db):
        return later - earlier
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def milestones(db, *criteria):
    """Per dossier matching ``criteria``: filing date, procedure, court and the dates of its path (assignment,
    archiving, filing in court, the court's decision), as a subquery. The steps of the phase before the
    assignment date nothing of these and are left out of the join, which at scale is most of its cost."""
    on = act_on(db)
    decided = or_(*(and_(Dossier.procedure == procedure, Transition.to_state == state)
                    for procedure, state in DECISIONS.items()))
    return (select(Dossier.id.label("dossier_id"), Dossier.filed_on, Dossier.procedure, Dossier.court,
                   func.min(case((Transition.to_state != ARCHIVED, on))).label("assigned_on"),
                   func.min(case((Transition.to_state == ARCHIVED, on))).label("archived_on"),
                   func.min(case((Transition.to_state == FILED_IN_COURT, on))).label("filed_in_court_on"),
                   func.min(case((decided, on))).label("decided_on"))
            .select_from(Dossier)
            .outerjoin(Transition, and_(Transition.dossier_id == Dossier.id,
                                        Transition.to_state.not_in(BEFORE_ASSIGNMENT)))
            .where(*criteria)
            .group_by(Dossier.id, Dossier.filed_on, Dossier.procedure, Dossier.court).subquery())


# --- dashboard ------------------------------------------------------------------------------------------------

def received_by_month(db, scope: Scope) -> list[tuple[int, int, int]]:
    """(year, month, applications) for each month with at least one."""
    begin(db)
    year, month = cast(extract("year", Dossier.filed_on), Integer), cast(extract("month", Dossier.filed_on), Integer)
    return [tuple(row) for row in db.execute(select(year, month, func.count()).where(*scope.criteria())
                                             .group_by(year, month).order_by(year, month))]


def count_by(db, scope: Scope, column) -> list[tuple[str, int]]:
    """(value of ``column``, dossiers), most frequent first."""
    begin(db)
    total = func.count()
    return [tuple(row) for row in db.execute(select(column, total).where(*scope.criteria())
                                             .group_by(column).order_by(total.desc(), column))]


def by_gestore(db, scope: Scope) -> list[tuple[str, int]]:
    """(gestore's name, dossiers he was appointed to), his declined appointments aside."""
    begin(db)
    dossiers = func.count(distinct(Appointment.dossier_id))
    rows = db.execute(
        select(Registrant.last_name, Registrant.first_name, dossiers)
        .join(Gestore, Gestore.id == Appointment.gestore_id).join(Registrant, Registrant.id == Gestore.registrant_id)
        .join(Dossier, Dossier.id == Appointment.dossier_id)
        .where(*scope.criteria(), Appointment.declined_at.is_(None))
        .group_by(Gestore.id, Registrant.last_name, Registrant.first_name)
        .order_by(dossiers.desc(), Registrant.last_name, Registrant.first_name))
    return [(f"{last} {first}".strip(), count) for last, first, count in rows]


@dataclass(frozen=True)
class Duration:
    key: str
    label: str
    count: int
    median: Decimal | None


DURATIONS = (
    ("to_appointment", "Dall'istanza alla nomina del gestore", "assigned_on", "filed_on"),
    ("to_filing", "Dalla nomina al deposito in tribunale", "filed_in_court_on", "assigned_on"),
    ("to_decision", "Dal deposito all'omologazione o all'apertura", "decided_on", "filed_in_court_on"),
)


def _median(value) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 1)))


def durations(db, scope: Scope) -> list[Duration]:
    """Median days (and how many dossiers have both dates) of each stretch of the path."""
    begin(db)
    path = milestones(db, *scope.criteria())
    spans = [days_between(db, path.c[later], path.c[earlier]) for _key, _label, later, earlier in DURATIONS]
    if _postgresql(db):
        row = db.execute(select(*(func.percentile_cont(0.5).within_group(span) for span in spans),
                                *(func.count(span) for span in spans))).one()
        medians, counts = row[:len(spans)], row[len(spans):]
    else:
        columns = list(zip(*db.execute(select(*spans)).all())) or [()] * len(spans)
        values = [[value for value in column if value is not None] for column in columns]
        medians = [statistics.median(found) if found else None for found in values]
        counts = [len(found) for found in values]
    return [Duration(key, label, count, _median(median))
            for (key, label, _l, _e), median, count in zip(DURATIONS, medians, counts)]


@dataclass(frozen=True)
class Amounts:
    dossiers: int
    passivo: Decimal
    attivo: Decimal
    estimated: Decimal
    invoiced: Decimal
    collected: Decimal


def amounts(db, scope: Scope) -> Amounts:
    """Totals of the dossiers in ``scope``: passivo (declared, else the creditors' claims) and attivo; the
    latest preventivo's total due; what was invoiced (issued invoices less their credit notes, whatever sign
    the note carries); what was collected towards the preventivo (ledger, less what was given back)."""
    begin(db)
    in_scope = select(Dossier.id).where(*scope.criteria())
    latest = (select(FeeEstimate.dossier_id, func.max(FeeEstimate.version).label("version"))
              .where(FeeEstimate.dossier_id.in_(in_scope)).group_by(FeeEstimate.dossier_id).subquery())
    estimated = (select(func.sum(FeeEstimate.proposed_total))
                 .join(latest, and_(FeeEstimate.dossier_id == latest.c.dossier_id,
                                    FeeEstimate.version == latest.c.version)).scalar_subquery())
    invoiced = (select(func.sum(case((Invoice.kind == "credit_note", -func.abs(Invoice.total)), else_=Invoice.total)))
                .where(Invoice.status == "issued", Invoice.dossier_id.in_(in_scope)).scalar_subquery())
    collected = (select(func.sum(case((Movement.direction == INCOME, Movement.amount),
                                      (Movement.direction == EXPENSE, -Movement.amount))))
                 .where(Movement.dossier_id.in_(in_scope), Movement.category.in_((*PAID_TOWARDS_ESTIMATE, GIVEN_BACK)))
                 .scalar_subquery())
    row = db.execute(select(func.count(), func.sum(func.coalesce(Dossier.passivo_declared,
                                                                 Dossier.passivo_from_creditors)),
                            func.sum(Dossier.attivo), estimated, invoiced, collected)
                     .where(*scope.criteria())).one()
    money = [Decimal(str(value or 0)).quantize(CENT) for value in row[1:]]
    return Amounts(row[0], *money)


# --- the Ministry's yearly monitoring -----------------------------------------------------------------------------

def ministry_dossiers(db, tenant_id: int, year: int):
    """The istanze the OCC handled in ``year`` (filed in the year, or earlier and still pending on
    1 January), each with its ``origin`` (received | carried) and its ``fate`` at 31 December (assigned |
    archived before assignment | pending), plus procedure and court: a subquery. An istanza stops pending at
    the first of its assignment and its archiving: one archived and assigned later (the history's dates need
    not follow the order of the steps) was no longer pending after the archiving."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    path = milestones(db, Dossier.tenant_id == tenant_id, Dossier.filed_on <= end)
    left_pending = earliest(db, path.c.assigned_on, path.c.archived_on)
    origin = case((path.c.filed_on >= start, "received"), else_="carried")
    fate = case((path.c.assigned_on <= end, "assigned"), (path.c.archived_on <= end, "archived"), else_="pending")
    return (select(path.c.dossier_id, path.c.procedure, path.c.court, origin.label("origin"), fate.label("fate"))
            .where(or_(path.c.filed_on >= start, left_pending.is_(None), left_pending >= start)).subquery())


def ministry_fates(db, tenant_id: int, year: int) -> list[tuple[str, str, str, str, int]]:
    """(procedure, court, origin, fate, istanze) of the istanze handled in ``year``."""
    begin(db)
    handled = ministry_dossiers(db, tenant_id, year)
    keys = (handled.c.procedure, handled.c.court, handled.c.origin, handled.c.fate)
    return [tuple(row) for row in db.execute(select(*keys, func.count()).group_by(*keys).order_by(*keys))]


def ministry_acts(db, tenant_id: int, year: int) -> list[tuple[str, str, str, bool, int]]:
    """(procedure, court, state, whether the dossier came from the phase after the assignment, dossiers) of the
    filings in court, the court's acts and the archivings (``COURT_ACTS``) dated in ``year``."""
    begin(db)
    on = act_on(db)
    after_assignment = Transition.from_state.not_in(PRE_ASSIGNMENT)
    keys = (Dossier.procedure, Dossier.court, Transition.to_state, after_assignment)
    rows = db.execute(
        select(*keys, func.count(distinct(Dossier.id))).join(Dossier, Dossier.id == Transition.dossier_id)
        .where(Dossier.tenant_id == tenant_id, Transition.to_state.in_(COURT_ACTS),
               on >= date(year, 1, 1), on <= date(year, 12, 31))
        .group_by(*keys).order_by(*keys[:3]))
    return [(procedure, court, state, bool(after), count) for procedure, court, state, after, count in rows]


def stated_reason(reason_column):
    """The reason category that the typed reason names, or empty."""
    text = func.lower(reason_column)
    return case(*((or_(*(text.like(f"%{word}%") for word in words)), key) for key, words in REASON_WORDS),
                else_="")


def ministry_archive_reasons(db, tenant_id: int, year: int) -> list[tuple[str, str, int]]:
    """(state the dossier was archived from, reason category named by the typed reason or empty, istanze) of
    the istanze archived before assignment in ``year``."""
    begin(db)
    handled = ministry_dossiers(db, tenant_id, year)
    keys = (Transition.from_state, stated_reason(Transition.reason))
    return [tuple(row) for row in db.execute(
        select(*keys, func.count(distinct(Transition.dossier_id)))
        .join(handled, handled.c.dossier_id == Transition.dossier_id)
        .where(handled.c.fate == "archived", Transition.to_state == ARCHIVED)
        .group_by(*keys).order_by(*keys))]


# --- the register's reports ---------------------------------------------------------------------------------------

def register_dossiers(db, tenant_id: int, year: int, procedure: str = "", detailed: bool = False,
                      limit: int | None = None) -> list[Dossier]:
    """The first ``limit`` (all) dossiers registered in ``year`` (register number of the year), in register
    order; ``detailed`` loads their debtors, other parties and state history too."""
    statement = (select(Dossier).where(Dossier.tenant_id == tenant_id, Dossier.year == year)
                 .order_by(Dossier.number).limit(limit))
    if procedure:
        statement = statement.where(Dossier.procedure == procedure)
    if detailed:
        statement = statement.options(selectinload(Dossier.debtors), selectinload(Dossier.parties),
                                      selectinload(Dossier.transitions))
    return list(db.scalars(statement))


def appointments_of(db, dossier_ids) -> dict[int, list[Appointment]]:
    """The appointments of each dossier, oldest first (their gestore and registrant come with them)."""
    found: dict[int, list[Appointment]] = {}
    ids = list(dossier_ids)
    if ids:
        for appointment in db.scalars(select(Appointment).where(Appointment.dossier_id.in_(ids))
                                      .options(selectinload(Appointment.gestore))
                                      .order_by(Appointment.appointed_at, Appointment.id)):
            found.setdefault(appointment.dossier_id, []).append(appointment)
    return found
