"""Generated Orders for the statistics: a few hundred dossiers over five years with their state history
(acts dated apart from their recording, steps recorded late in the evening, which in Italy is already the next
day, dossiers with no history), appointments (some declined or replaced), fee estimates in several versions,
invoices (drafts, credit notes of either sign) and ledger movements of every category. Deterministic: the
same seed gives the same rows."""
import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from occ_core.clock import today
from occ_core.dossiers import procedures
from occ_core.dossiers.models import Dossier, Transition
from occ_core.fees.models import FeeEstimate
from occ_core.gestori.models import Appointment, Gestore
from occ_core.invoicing.models import Invoice
from occ_core.ledger.models import Movement
from occ_core.testing.factories import make_registrant, make_tenant, make_user

ROLES = ("amministratore", "segreteria", "referente", "consultazione", "gestore")
COURTS = ("Tribunale di Milano", "Tribunale di Monza", "Tribunale di Lodi", "")
# The reasons typed when archiving, with the category each one names (None: it names none).
REASONS = {"Rinuncia del debitore all'istanza": "rinuncia", "Ritiro dell'istanza": "rinuncia",
           "Istanza inammissibile: mancano i presupposti soggettivi": "inammissibilita",
           "Documentazione incompleta non integrata nei termini": "documentazione",
           "Il debitore non ha accettato il preventivo": None, "Mancata risposta del debitore": None, "": None}
GESTORI = (("Bianchi", "Anna"), ("Verdi", "Luca"), ("Neri", "Paola"), ("Galli", "Marco"))
PRE_ASSIGNMENT = ("ISTANZA_RICEVUTA", "ISTRUTTORIA_SEGRETERIA", "PREVENTIVO_EMESSO", "INCARICO_CONFERITO",
                  "ARCHIVIATA")
FIRST_YEAR = today().year - 5
LAST_DAY = today() - timedelta(days=1)
# A year whose turn of year the handmade dossiers straddle.
BOUNDARY_YEAR = today().year - 2


def moment(day: date, late: bool = False) -> datetime:
    """Noon UTC, or 23:30 UTC: already the next day in Italy."""
    return datetime.combine(day, time(23, 30) if late else time(12, 0), tzinfo=timezone.utc)


def walk(rng: random.Random, procedure: str, filed_on: date) -> list[tuple[str, date]]:
    path, state, when = [(procedures.INITIAL_STATE, filed_on)], procedures.INITIAL_STATE, filed_on
    while True:
        options = procedures.next_states(procedure, state)
        step = when + timedelta(days=rng.randrange(2, 110))
        if not options or step > LAST_DAY or rng.random() < 0.1:
            return path
        ahead = [option for option in options if option != "ARCHIVIATA"]
        state = "ARCHIVIATA" if not ahead or ("ARCHIVIATA" in options and rng.random() < 0.09) \
            else ahead[0] if rng.random() < 0.85 else rng.choice(ahead)
        when = step
        path.append((state, when))


class Generator:
    """Writes the rows of one Order through the ORM, numbering dossiers and invoices as the register does."""

    def __init__(self, db, tenant, gestori, seed):
        self.db, self.tenant, self.gestori, self.rng = db, tenant, gestori, random.Random(seed)
        self.numbers, self.invoice_numbers = {}, {}

    def dossier(self, filed_on: date, procedure: str, path: list, court: str = "", **fields) -> Dossier:
        """``path``: [(state, day, recorded late?, effective_on)]; the state is the last one."""
        year = filed_on.year
        self.numbers[year] = self.numbers.get(year, 0) + 1
        last_state, last_day = (path[-1][0], path[-1][1]) if path else (procedures.INITIAL_STATE, filed_on)
        final = procedures.is_final(procedure, last_state)
        dossier = Dossier(tenant_id=self.tenant.id, year=year, number=self.numbers[year], filed_on=filed_on,
                          procedure=procedure, state=last_state, court=court, debtor_name=f"Debitore {year}",
                          outcome=last_state if final else "", outcome_on=last_day if final else None,
                          closed=final, **fields)
        self.db.add(dossier)
        self.db.flush()
        previous = ""
        for state, day, late, effective_on in path:
            self.db.add(Transition(tenant_id=self.tenant.id, dossier_id=dossier.id, from_state=previous,
                                   to_state=state, at=moment(day, late), effective_on=effective_on,
                                   reason=self.rng.choice(sorted(REASONS)) if state == "ARCHIVIATA" else ""))
            previous = state
        return dossier

    def random_dossier(self):
        rng = self.rng
        filed_on = date(FIRST_YEAR, 1, 1) + timedelta(days=rng.randrange((date(today().year - 1, 12, 31)
                                                                          - date(FIRST_YEAR, 1, 1)).days))
        procedure = rng.choice(sorted(procedures.PROCEDURES))
        path = []
        for state, day in walk(rng, procedure, filed_on):
            effective_on = None
            if rng.random() < 0.15:
                # An act recorded some days after its date.
                effective_on, day = day, day + timedelta(days=rng.randrange(1, 6))
            path.append((state, day, rng.random() < 0.12, effective_on))
        if rng.random() < 0.01:
            path = []  # imported from an older register, with no history
        passivo = Decimal(rng.randrange(5_000, 400_000)) + Decimal(rng.randrange(100)) / 100
        dossier = self.dossier(
            filed_on, procedure, path, rng.choice(COURTS), passivo_from_creditors=passivo,
            passivo_declared=None if rng.random() < 0.5 else passivo + Decimal(rng.randrange(-2000, 2000)),
            attivo=None if rng.random() < 0.2 else (passivo * Decimal(rng.randrange(0, 60)) / 100).quantize(
                Decimal("0.01")))
        assigned = [(day, late) for state, day, late, _e in path if state not in PRE_ASSIGNMENT]
        if assigned:
            self.appointments(dossier, moment(*assigned[0]))
        self.accounting(dossier)

    def appointments(self, dossier, at):
        rng = self.rng
        first, second = rng.sample(self.gestori, 2)
        if rng.random() < 0.2:
            self.db.add(Appointment(tenant_id=self.tenant.id, dossier_id=dossier.id, gestore_id=second.id,
                                    appointed_at=at, declined_at=at + timedelta(days=2)))
        ended = rng.random() < 0.1
        self.db.add(Appointment(tenant_id=self.tenant.id, dossier_id=dossier.id, gestore_id=first.id,
                                appointed_at=at, accepted_at=at, ended_at=at + timedelta(days=60) if ended else None))
        if ended:
            self.db.add(Appointment(tenant_id=self.tenant.id, dossier_id=dossier.id, gestore_id=second.id,
                                    appointed_at=at + timedelta(days=60)))

    def accounting(self, dossier):
        rng = self.rng
        if rng.random() < 0.4:
            for version in range(1, rng.randrange(2, 5)):
                fee = Decimal(rng.randrange(800, 12_000))
                self.db.add(FeeEstimate(tenant_id=self.tenant.id, dossier_id=dossier.id, version=version,
                                        rules_version="prova", proposed_fee=fee,
                                        proposed_total=(fee * Decimal("1.22")).quantize(Decimal("0.01"))))
        if rng.random() < 0.35:
            issued = self.invoice(dossier, "invoice", Decimal(rng.randrange(300, 5_000)) + Decimal("0.50"))
            if rng.random() < 0.5:
                self.invoice(dossier, "advance", Decimal(rng.randrange(300, 3_000)))
            if rng.random() < 0.3:
                self.invoice(dossier, "invoice", Decimal(rng.randrange(100, 900)), status="draft")
            if rng.random() < 0.3:
                sign = 1 if rng.random() < 0.5 else -1
                self.invoice(dossier, "credit_note", sign * Decimal(rng.randrange(50, 300)), corrects=issued)
        if rng.random() < 0.4:
            for category, direction in (("start_fee", "entrata"), ("advance", "entrata"), ("balance", "entrata"),
                                        ("expense_refund", "entrata"), ("refund", "uscita"), ("court_fee", "uscita"),
                                        ("other_income", "entrata")):
                if rng.random() < 0.5:
                    self.db.add(Movement(tenant_id=self.tenant.id, dossier_id=dossier.id, on=dossier.filed_on,
                                         direction=direction, category=category, description=category,
                                         amount=Decimal(rng.randrange(20, 3_000)) + Decimal("0.25")))

    def invoice(self, dossier, kind, total, status="issued", corrects=None):
        number = None
        if status == "issued":
            year = dossier.filed_on.year
            number = self.invoice_numbers[year] = self.invoice_numbers.get(year, 0) + 1
        invoice = Invoice(tenant_id=self.tenant.id, kind=kind, status=status, dossier_id=dossier.id,
                          year=dossier.filed_on.year if number else None, number=number,
                          issued_on=dossier.filed_on if number else None, total=total, amount_due=total,
                          corrects_id=corrects.id if corrects is not None else None)
        self.db.add(invoice)
        self.db.flush()
        return invoice


def boundary_dossiers(generator: Generator):
    """Handmade dossiers around the turn of ``BOUNDARY_YEAR``; their expected fate is in ``BOUNDARY``."""
    year = BOUNDARY_YEAR
    december, january = date(year, 12, 30), date(year + 1, 1, 3)
    make = generator.dossier
    # Filed at the end of December, gestore appointed at 23:30 UTC of 31 December (1 January in Italy).
    make(december, "liquidazione_controllata", [
        ("ISTANZA_RICEVUTA", december, False, None), ("INCARICO_CONFERITO", date(year, 12, 31), False, None),
        ("GESTORE_NOMINATO", date(year, 12, 31), True, None)], "Tribunale di Pavia")
    # Recorded in January, but the act is dated 31 December: assigned in the year.
    make(december, "liquidazione_controllata", [
        ("ISTANZA_RICEVUTA", december, False, None), ("GESTORE_NOMINATO", january, False, date(year, 12, 31))],
        "Tribunale di Pavia")
    # Archived in January of the next year: pending at 31 December, then archived (withdrawal).
    make(december, "liquidazione_controllata", [
        ("ISTANZA_RICEVUTA", december, False, None), ("PREVENTIVO_EMESSO", december, False, None),
        ("ARCHIVIATA", january, False, None)], "Tribunale di Pavia")
    # No history at all: pending ever since.
    make(december, "liquidazione_controllata", [], "Tribunale di Pavia")
    # Archived on 31 December, a gestore appointed in January (the act of a dossier taken up again): archived in
    # the year, not carried over into the next.
    make(december, "liquidazione_controllata", [
        ("ISTANZA_RICEVUTA", december, False, None), ("ARCHIVIATA", date(year, 12, 31), False, None),
        ("GESTORE_NOMINATO", january, False, None)], "Tribunale di Pavia")
    # Assigned in December, archived by the OCC in January: no outcome of the court in the next year.
    make(december, "liquidazione_controllata", [
        ("ISTANZA_RICEVUTA", december, False, None), ("GESTORE_NOMINATO", december, False, None),
        ("ARCHIVIATA", january, False, None)], "Tribunale di Pavia")


# (year, court) -> what the Tribunale di Pavia line, which only the handmade dossiers use, must show.
BOUNDARY = {
    BOUNDARY_YEAR: {"received": 6, "assigned": 2, "archived": 1, "pending": 3, "outcomes": 0},
    BOUNDARY_YEAR + 1: {"received": 0, "assigned": 1, "archived": 1, "pending": 1, "outcomes": 0},
}
HANDMADE = 6


def generated_order(db, pm, slug: str, seed: int, count: int):
    tenant = make_tenant(db, pm, slug)
    for role in ROLES:
        make_user(db, f"{role}@{slug}.it", tenant, role, full_name=f"{role.title()} {slug.title()}")
    db.info["tenant_id"] = tenant.id
    gestori = []
    for last, first in GESTORI:
        registrant = make_registrant(db, tenant, last_name=last + slug.title(), first_name=first)
        gestore = Gestore(tenant_id=tenant.id, registrant_id=registrant.id, enrolled_on=date(2018, 1, 15))
        db.add(gestore)
        gestori.append(gestore)
    db.flush()
    generator = Generator(db, tenant, gestori, seed)
    for _ in range(count):
        generator.random_dossier()
    boundary_dossiers(generator)
    db.flush()
    db.info["tenant_id"] = None
    return tenant


@pytest.fixture
def orders(dbtx, pm):
    """«alfa» (250 generated dossiers and the 6 of the turn of the year) and «beta» (80 and 6, another seed),
    each with a user per role (``<role>@<slug>.it``)."""
    with dbtx() as db:
        return generated_order(db, pm, "alfa", 11, 250), generated_order(db, pm, "beta", 29, 80)
