"""The demo Order's accounting, made through the real services: start fees, advances and final invoices with
their collections, court expenses, a credit note, general income and expenses, and the gestori's invoices
for their share of what was collected.

Every act is planned with its date first and then carried out in date order, so invoice numbers follow
their dates as the law wants (art. 21 DPR 633/1972). Nothing is done when the Order already has invoices."""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Callable

from sqlalchemy import select

from occ_core.accounts.services import user_by_email
from occ_core.clock import ROME, today
from occ_core.compensation import services as compensation
from occ_core.dossiers.models import Dossier
from occ_core.fees.models import FeeEstimate
from occ_core.gestori.models import Gestore
from occ_core.invoicing import preferences as invoicing_preferences
from occ_core.invoicing import services as invoicing
from occ_core.invoicing.models import Invoice
from occ_core.ledger.services import record_movement, reconcile
from occ_core.protocol.services import ProtocolEnv

# A partita IVA with a valid check digit and the IBAN of the Order's bank account, both fictitious.
DEMO_VAT_NUMBER = "09876540155"
DEMO_IBAN = "IT60X0542811101000000123456"
DOSSIERS = 16
COURT_FEES = (("court_fee", "Contributo unificato per il deposito del ricorso", Decimal("98.00")),
              ("stamp", "Marca da bollo per diritti forfettari di notifica", Decimal("27.00")))
GENERAL = (
    ("entrata", "other_income", "Contributo dell'Ordine al funzionamento dell'OCC", Decimal("5000.00"), 1, 20),
    ("uscita", "other_expense", "Canone annuale del gestionale e della PEC", Decimal("610.00"), 1, 31),
    ("uscita", "postage", "Raccomandate e notifiche del trimestre", Decimal("184.60"), 4, 10),
    ("uscita", "postage", "Raccomandate e notifiche del trimestre", Decimal("211.30"), 10, 10),
)


@dataclass(order=True)
class Act:
    on: date
    order: int
    run: Callable[[], None] = field(compare=False)


def _at(day: date) -> Callable[[], datetime]:
    return lambda: datetime.combine(day, time(10, 30), ROME)


def _issue(env, invoice: Invoice, day: date) -> Invoice:
    invoice.due_on = None
    return invoicing.issue(env, invoice, clock=_at(day))


def _business_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class Plan:
    """The dated acts of the demo year(s), collected per dossier and then run in date order."""

    def __init__(self, env, rng: random.Random):
        self.env, self.rng, self.acts, self.last_day = env, rng, [], today() - timedelta(days=1)
        self.issued: dict[str, Invoice] = {}

    def at(self, day: date, run: Callable[[], None]) -> None:
        if day <= self.last_day:
            self.acts.append(Act(day, len(self.acts), run))

    def later(self, day: date, low: int, high: int) -> date:
        return _business_day(day + timedelta(days=self.rng.randint(low, high)))

    def invoice_and_collect(self, key: str, dossier: Dossier, kind: str, day: date, method: str,
                            amount: Decimal | None = None, paid: bool = True) -> None:
        """Issue an invoice of ``kind`` on ``day`` and, if ``paid``, collect it some days later."""
        def issue():
            self.issued[key] = _issue(self.env, invoicing.create_draft(self.env, dossier, kind, amount=amount), day)

        self.at(day, issue)
        if paid:
            paid_on = self.later(day, 2, 20)

            def collect():
                invoice = self.issued[key]
                movement = invoicing.record_payment(self.env, invoice, on=paid_on, amount=invoice.amount_due,
                                                    method=method, reference=f"{method.upper()}-{invoice.id:06d}")
                if paid_on < self.last_day - timedelta(days=30):
                    reconcile(self.env, movement, on=self.later(paid_on, 1, 5))

            self.at(paid_on, collect)

    def dossier(self, dossier: Dossier, estimate: FeeEstimate, accepted_on: date) -> None:
        key = dossier.reference
        self.invoice_and_collect(f"{key}/avvio", dossier, "invoice", self.later(dossier.filed_on, 2, 8), "pagopa")
        half = (estimate.proposed_fee / 2).quantize(Decimal("1"))
        advance_day = self.later(accepted_on, 10, 30)
        self.invoice_and_collect(f"{key}/acconto", dossier, "advance", advance_day, "transfer", amount=half,
                                 paid=self.rng.random() < 0.85)
        court_day = self.later(advance_day, 20, 60)
        for category, description, amount in COURT_FEES:
            self.at(court_day, lambda c=category, d=description, a=amount, on=court_day: record_movement(
                self.env, dossier=dossier, on=on, direction="uscita", category=c, description=d, amount=a,
                method="cash" if c == "stamp" else "transfer", reference="F23" if c == "court_fee" else ""))
        refund_day = self.later(court_day, 5, 25)
        self.at(refund_day, lambda: record_movement(
            self.env, dossier=dossier, on=refund_day, direction="entrata", category="expense_refund",
            description="Rimborso del contributo unificato e della marca anticipati dall'OCC",
            amount=sum(amount for _c, _d, amount in COURT_FEES), method="transfer"))
        if dossier.closed and dossier.outcome_on:
            self.invoice_and_collect(f"{key}/saldo", dossier, "final", self.later(dossier.outcome_on, 5, 20),
                                     "transfer")

    def mistaken_advance(self, dossier: Dossier, accepted_on: date) -> None:
        """An advance invoiced twice by mistake and cancelled by a credit note two days later."""
        day = self.later(accepted_on, 35, 50)
        key = f"{dossier.reference}/doppio"
        self.invoice_and_collect(key, dossier, "advance", day, "transfer", amount=Decimal("300"), paid=False)
        self.at(day + timedelta(days=2), lambda: _issue(
            self.env, invoicing.create_draft(self.env, None, "credit_note", corrects=self.issued[key]),
            day + timedelta(days=2)))

    def general(self, years: range) -> None:
        for year in years:
            for direction, category, description, amount, month, day_of_month in GENERAL:
                on = _business_day(date(year, month, day_of_month))
                self.at(on, lambda d=direction, c=category, t=description, a=amount, o=on: record_movement(
                    self.env, on=o, direction=d, category=c, description=f"{t} {o.year}", amount=a,
                    method="transfer"))


def _gestori_invoices(env, rng: random.Random, years: range) -> int:
    """Each gestore invoices the OCC at the end of each year for his share collected in it; the last
    year's invoices of some gestori are still to be paid."""
    db, recorded = env.dbsession, 0
    for year in years:
        period = compensation.Period(date(year, 1, 1), min(date(year, 12, 31), today() - timedelta(days=1)))
        issued_on = min(_business_day(date(year, 12, 15)), today() - timedelta(days=1))
        for gestore in db.scalars(select(Gestore).order_by(Gestore.id)):
            due = compensation.still_due(db, env.tenant, gestore.id, period)
            if due <= 0:
                continue
            form = compensation.InvoiceForm(number=f"{rng.randint(1, 40)}/{year}", issued_on=issued_on, fee=due,
                                            dossier=None, period_from=period.start, period_to=period.end,
                                            notes="Compenso per le procedure dell'anno")
            invoice = compensation.record_invoice(env, gestore, form)
            recorded += 1
            paid_on = _business_day(issued_on + timedelta(days=rng.randint(10, 30)))
            if paid_on < today() and (year < years[-1] or rng.random() < 0.5):
                compensation.pay_invoice(env, invoice, paid_on.isoformat(), "transfer", f"CRO{invoice.id:08d}")
    return recorded


def load_demo_accounting(db, registry, tenant) -> list[str]:
    if db.scalar(select(Invoice.id).limit(1)) is not None:
        return []
    from occ_core.demo import DEMO_USERS

    tenant.partita_iva = tenant.partita_iva or DEMO_VAT_NUMBER
    prefs = invoicing_preferences.preferences_of(tenant)
    if not prefs.iban:
        invoicing_preferences.save(tenant, replace(prefs, iban=DEMO_IBAN))
    env = ProtocolEnv(registry=registry, dbsession=db, tenant=tenant,
                      identity=user_by_email(db, DEMO_USERS["segreteria"][0]))
    rng = random.Random(633)
    plan = Plan(env, rng)
    estimates = {e.dossier_id: e for e in db.scalars(select(FeeEstimate).order_by(FeeEstimate.version))}
    candidates = [d for d in db.scalars(select(Dossier).where(Dossier.id.in_(estimates)).order_by(Dossier.filed_on))
                  if d.incarico_accepted_on and d.debtors]
    # Spread over the years, so that every year (the current one too) has its accounting.
    chosen = candidates[::max(1, len(candidates) // DOSSIERS)][:DOSSIERS]
    for dossier in chosen:
        plan.dossier(dossier, estimates[dossier.id], dossier.incarico_accepted_on)
    if chosen:
        middle = chosen[len(chosen) // 2]
        plan.mistaken_advance(middle, middle.incarico_accepted_on)
    first_year = min((d.filed_on.year for d in chosen), default=today().year)
    years = range(first_year, today().year + 1)
    plan.general(years)
    for act in sorted(plan.acts):
        act.run()
    db.flush()
    recorded = _gestori_invoices(env, rng, years)
    issued = len(db.scalars(select(Invoice.id).where(Invoice.status == "issued")).all())
    return [f"Contabilità dimostrativa: {issued} fatture emesse su {len(chosen)} pratiche, incassi e spese, "
            f"{recorded} fatture dei gestori."]
