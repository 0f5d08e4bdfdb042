"""What the OCC owes its gestori: tax profiles, the per-dossier split override, the gestori's invoices and
their payment, and the figures of a period (due, invoiced, paid, outstanding, ritenute).

Only the fee is split: spese generali, the start fee and documented expenses stay with the OCC
(``occ_core.compensation.collected``). The OCC withholds the ritenuta d'acconto when it pays a gestore and
owes it to the Erario by F24 by the 16th of the following month: it is recorded here as due, not paid."""
from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from occ_core.audit.services import audit
from occ_core.clock import today
from occ_core.compensation import shares as sharing, tax
from occ_core.compensation.models import GestoreInvoice, GestoreTaxProfile, SplitOverride
from occ_core.documents import services as documents
from occ_core.dossiers.actions import actor_id, record_action
from occ_core.dossiers.fields import text
from occ_core.dossiers.models import Dossier
from occ_core.errors import UserError
from occ_core.gestori.models import Appointment, Gestore
from occ_core.ledger import services as ledger
from occ_core.ledger.models import Movement
from occ_core.money import HUNDRED, ZERO, cents
from occ_core.web.forms import parse_date, parse_money

VIEW, MANAGE = "accounting:compensation:view", "accounting:compensation:manage"
NUMBER_MAX, REASON_MAX, NOTES_MAX = 20, 1000, 4000
PAYMENT_CATEGORY = "gestore_fee"
F24_DAY = 16


# --- input ----------------------------------------------------------------------------------------------------

def rate(value: str, label: str, *, required: bool = True) -> Decimal:
    """A percentage typed the Italian way ("4", "22,00", "12.5"), from 0 to 100."""
    parsed = parse_money(value, label)
    if parsed is None:
        if required:
            raise UserError(f"{label}: campo obbligatorio.", field=label)
        return ZERO
    if not ZERO <= parsed <= HUNDRED:
        raise UserError(f"{label}: indicare una percentuale da 0 a 100.", field=label)
    return parsed


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"dal {self.start.strftime('%d/%m/%Y')} al {self.end.strftime('%d/%m/%Y')}"


def current_year() -> Period:
    year = today().year
    return Period(date(year, 1, 1), date(year, 12, 31))


def period_of(start: str, end: str) -> Period:
    """The period of a page's query (``dal``, ``al``); the current year when both are empty."""
    default = current_year()
    period = Period(parse_date(start, "Dal") or default.start, parse_date(end, "Al") or default.end)
    if period.start > period.end:
        raise UserError("Periodo: la data iniziale è successiva a quella finale.", field="dal")
    return period


# --- tax profiles ---------------------------------------------------------------------------------------------

def stored_profile(db, gestore_id: int) -> GestoreTaxProfile | None:
    return db.scalar(select(GestoreTaxProfile).where(GestoreTaxProfile.gestore_id == gestore_id))


def tax_profile(db, gestore_id: int) -> tax.TaxProfile:
    """The gestore's profile, or the defaults (ordinario, IVA 22 %, TC02 4 %, ritenuta 20 %)."""
    row = stored_profile(db, gestore_id)
    if row is None:
        return tax.TaxProfile()
    return tax.TaxProfile(row.vat_regime, row.vat_rate, row.pension_fund, row.pension_fund_rate, row.withholding,
                          row.withholding_rate)


def parse_profile(form) -> tax.TaxProfile:
    regime = form.get("vat_regime", "")
    if regime not in tax.REGIMES:
        raise UserError("Regime IVA: scelga una delle voci proposte.", field="vat_regime")
    fund = form.get("pension_fund", "")
    if fund and fund not in tax.PENSION_FUNDS:
        raise UserError("Cassa previdenziale: scelga una delle voci proposte.", field="pension_fund")
    withholding = form.get("withholding", "") == "1"
    profile = tax.TaxProfile(
        vat_regime=regime,
        vat_rate=rate(form.get("vat_rate", ""), "Aliquota IVA", required=regime == "ordinario"),
        pension_fund=fund,
        pension_fund_rate=rate(form.get("pension_fund_rate", ""), "Aliquota della cassa", required=bool(fund)),
        withholding=withholding,
        withholding_rate=rate(form.get("withholding_rate", ""), "Aliquota della ritenuta", required=withholding))
    if regime == "ordinario" and not profile.vat_rate:
        raise UserError("Aliquota IVA: in regime ordinario deve essere maggiore di zero.", field="vat_rate")
    if fund and not profile.pension_fund_rate:
        raise UserError("Aliquota della cassa: deve essere maggiore di zero.", field="pension_fund_rate")
    if withholding and not profile.withholding_rate:
        raise UserError("Aliquota della ritenuta: deve essere maggiore di zero.", field="withholding_rate")
    return profile


def save_profile(env, gestore: Gestore, profile: tax.TaxProfile) -> bool:
    """Store ``profile``; whether anything changed (then audited)."""
    row = stored_profile(env.dbsession, gestore.id)
    if row is not None and tax_profile(env.dbsession, gestore.id) == profile:
        return False
    if row is None:
        row = GestoreTaxProfile(tenant_id=env.tenant.id, gestore_id=gestore.id)
        env.dbsession.add(row)
    for name, value in asdict(profile).items():
        setattr(row, name, value)
    env.dbsession.flush()
    audit(env, "compensation.tax_profile_changed", object_type="Gestore", object_id=gestore.id,
          details={name: str(value) for name, value in asdict(profile).items()})
    return True


# --- the per-dossier split --------------------------------------------------------------------------------

def override_of(db, dossier: Dossier) -> SplitOverride | None:
    return db.scalar(select(SplitOverride).where(SplitOverride.dossier_id == dossier.id))


def set_override(env, dossier: Dossier, percent_text: str, reason_text: str) -> None:
    percent = rate(percent_text, "Quota del gestore")
    reason = text(REASON_MAX, required=True)(reason_text, "Motivo")
    row = override_of(env.dbsession, dossier)
    previous = str(row.gestore_percent) if row is not None else None
    if row is None:
        row = SplitOverride(tenant_id=dossier.tenant_id, dossier_id=dossier.id)
        env.dbsession.add(row)
    row.gestore_percent, row.reason, row.set_by_id = percent, reason, actor_id(env)
    env.dbsession.flush()
    record_action(env, dossier, "compensation.split_overridden", gestore_percent=str(percent), reason=reason,
                  previous=previous)


def remove_override(env, dossier: Dossier) -> bool:
    row = override_of(env.dbsession, dossier)
    if row is None:
        return False
    record_action(env, dossier, "compensation.split_override_removed", gestore_percent=str(row.gestore_percent))
    env.dbsession.delete(row)
    env.dbsession.flush()
    return True


# --- what a gestore was paid ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Payment:
    movement: Movement
    invoice: GestoreInvoice
    # The part of the invoice's ritenuta withheld on this payment, and when it is due to the Erario.
    withheld: Decimal
    f24_by: date


def f24_deadline(paid_on: date) -> date:
    year, month = (paid_on.year + 1, 1) if paid_on.month == 12 else (paid_on.year, paid_on.month + 1)
    return date(year, month, min(F24_DAY, calendar.monthrange(year, month)[1]))


def payments_of(db, invoices) -> list[Payment]:
    """The payments of ``invoices``; each withholds its share of the ritenuta, the one that settles the
    invoice whatever is left of it, so the parts always add up to the invoice's ritenuta."""
    by_id = {invoice.id: invoice for invoice in invoices}
    if not by_id:
        return []
    movements = db.scalars(select(Movement).where(
        Movement.gestore_invoice_id.in_(list(by_id)), Movement.direction == ledger.EXPENSE)
        .order_by(Movement.on, Movement.id))
    paid, withheld, result = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), []
    for movement in movements:
        invoice = by_id[movement.gestore_invoice_id]
        paid[invoice.id] += movement.amount
        if paid[invoice.id] >= invoice.net_payable or not invoice.net_payable:
            part = invoice.withholding_amount - withheld[invoice.id]
        else:
            part = cents(invoice.withholding_amount * movement.amount / invoice.net_payable)
        withheld[invoice.id] += part
        result.append(Payment(movement, invoice, part, f24_deadline(movement.on)))
    return result


def paid_on_invoice(db, invoice: GestoreInvoice) -> Decimal:
    return sum((payment.movement.amount for payment in payments_of(db, [invoice])), ZERO)


# --- the figures of a period --------------------------------------------------------------------------------

def reference_day(invoice: GestoreInvoice) -> date:
    """The day that places an invoice in a period: the end of the period it bills, else its date."""
    return invoice.period_to or invoice.issued_on


def invoices_in(db, period: Period, gestore_id: int | None = None, dossier_id: int | None = None):
    statement = select(GestoreInvoice).order_by(GestoreInvoice.issued_on, GestoreInvoice.id)
    if gestore_id is not None:
        statement = statement.where(GestoreInvoice.gestore_id == gestore_id)
    if dossier_id is not None:
        statement = statement.where(GestoreInvoice.dossier_id == dossier_id)
    return [invoice for invoice in db.scalars(statement) if period.start <= reference_day(invoice) <= period.end]


@dataclass
class Figures:
    collected: Decimal = ZERO  # fees collected on the dossiers, in the collections the gestore shared
    share: Decimal = ZERO  # his part of them: what is due to him
    invoiced: Decimal = ZERO  # compenso of his invoices
    invoiced_total: Decimal = ZERO  # what those invoices ask, net of the ritenuta
    paid: Decimal = ZERO
    withheld: Decimal = ZERO  # ritenute withheld on the payments, due to the Erario

    @property
    def to_invoice(self) -> Decimal:
        return self.share - self.invoiced

    @property
    def to_pay(self) -> Decimal:
        return self.invoiced_total - self.paid


@dataclass
class Ledger:
    """A period's compensation, by gestore and dossier (``None`` for invoices billing no single dossier)."""
    period: Period
    figures: dict = field(default_factory=lambda: defaultdict(Figures))  # (gestore_id, dossier_id) -> Figures
    shares: list = field(default_factory=list)
    invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)

    def of_gestore(self, gestore_id: int) -> Figures:
        total = Figures()
        for (owner, _dossier), figures in self.figures.items():
            if owner == gestore_id:
                for name in ("collected", "share", "invoiced", "invoiced_total", "paid", "withheld"):
                    setattr(total, name, getattr(total, name) + getattr(figures, name))
        return total

    def gestore_ids(self) -> list[int]:
        return sorted({owner for owner, _dossier in self.figures})


def compensation(db, tenant, period: Period, gestore_id: int | None = None) -> Ledger:
    """Due, invoiced, paid and withheld in ``period``, for every gestore or for one."""
    result = Ledger(period)
    if gestore_id is None:
        found = [share for item in sharing.split_collections(db, tenant, period.start, period.end)
                 for share in item.shares]
    else:
        found = sharing.shares_of(db, tenant, gestore_id, period.start, period.end)
    for share in found:
        figures = result.figures[(share.gestore_id, share.collection.dossier_id)]
        figures.collected += share.collection.fee
        figures.share += share.amount
    result.shares = found
    result.invoices = invoices_in(db, period, gestore_id)
    for invoice in result.invoices:
        figures = result.figures[(invoice.gestore_id, invoice.dossier_id)]
        figures.invoiced += invoice.fee
        figures.invoiced_total += invoice.net_payable
    result.payments = payments_of(db, result.invoices)
    for payment in result.payments:
        figures = result.figures[(payment.invoice.gestore_id, payment.invoice.dossier_id)]
        figures.paid += payment.movement.amount
        figures.withheld += payment.withheld
    return result


def still_due(db, tenant, gestore_id: int, period: Period, dossier_id: int | None = None) -> Decimal:
    """The compenso the gestore may still invoice for the period (and dossier): his share less his invoices."""
    share = sum((s.amount for s in sharing.shares_of(db, tenant, gestore_id, period.start, period.end, dossier_id)),
                ZERO)
    invoiced = sum((i.fee for i in invoices_in(db, period, gestore_id, dossier_id)), ZERO)
    return max(share - invoiced, ZERO)


def dossiers_of(db, gestore_id: int) -> list[Dossier]:
    """The dossiers the gestore was ever appointed to (and accepted)."""
    return list(db.scalars(select(Dossier).join(Appointment, Appointment.dossier_id == Dossier.id).where(
        Appointment.gestore_id == gestore_id, Appointment.accepted_at.is_not(None))
        .distinct().order_by(Dossier.year.desc(), Dossier.number.desc())))


# --- the gestore's invoice ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceForm:
    number: str
    issued_on: date
    fee: Decimal
    dossier: Dossier | None
    period_from: date | None
    period_to: date | None
    notes: str


def parse_invoice(db, gestore: Gestore, form) -> InvoiceForm:
    number = text(NUMBER_MAX, required=True)(form.get("number", ""), "Numero della fattura")
    issued_on = parse_date(form.get("issued_on", ""), "Data della fattura")
    if issued_on is None:
        raise UserError("Data della fattura: campo obbligatorio.", field="issued_on")
    if issued_on > today():
        raise UserError("Data della fattura: non può essere futura.", field="issued_on")
    fee = parse_money(form.get("fee", ""), "Compenso")
    if fee is None or fee <= 0:
        raise UserError("Compenso: indicare un importo maggiore di zero.", field="fee")
    dossier = None
    raw_dossier = form.get("dossier", "")
    if raw_dossier:
        dossier = next((d for d in dossiers_of(db, gestore.id) if str(d.id) == raw_dossier), None)
        if dossier is None:
            raise UserError("Pratica: scelga una delle pratiche del gestore.", field="dossier")
    period_from = parse_date(form.get("period_from", ""), "Periodo dal")
    period_to = parse_date(form.get("period_to", ""), "Periodo al")
    if period_from and period_to and period_from > period_to:
        raise UserError("Periodo: la data iniziale è successiva a quella finale.", field="period_from")
    notes = text(NOTES_MAX)(form.get("notes", ""), "Note")
    return InvoiceForm(number, issued_on, fee, dossier, period_from, period_to, notes)


def same_number_in_year(db, gestore: Gestore, number: str, year: int) -> GestoreInvoice | None:
    """The gestore's invoice numbered ``number`` issued in ``year``, if one is recorded: a professional numbers
    his invoices afresh each year, so the same number twice in a year is the same invoice (typed again,
    perhaps with a wrong date)."""
    return db.scalar(select(GestoreInvoice).where(
        GestoreInvoice.gestore_id == gestore.id, GestoreInvoice.number == number,
        GestoreInvoice.issued_on >= date(year, 1, 1), GestoreInvoice.issued_on <= date(year, 12, 31)).limit(1))


def record_invoice(env, gestore: Gestore, data: InvoiceForm, upload: tuple[bytes, str] | None = None) -> GestoreInvoice:
    """Record the gestore's invoice with its build-up from his tax profile; ``upload`` is the file
    (content, filename), checked as the electronic file checks documents. A number the gestore already used
    in the same year is refused, naming the invoice recorded with it."""
    db = env.dbsession
    # Two people recording the gestore's invoices at once check the numbers one after the other.
    db.scalar(select(Gestore.id).where(Gestore.id == gestore.id).with_for_update())
    existing = same_number_in_year(db, gestore, data.number, data.issued_on.year)
    if existing is not None:
        raise UserError(f"La fattura n. {existing.number} del {existing.issued_on.strftime('%d/%m/%Y')} di questo "
                        "gestore è già registrata: lo stesso numero non può ripetersi nello stesso anno. Controlli "
                        "numero e data della fattura.", field="number")
    built = tax.build_up(data.fee, tax_profile(db, gestore.id))
    invoice = GestoreInvoice(
        tenant_id=env.tenant.id, gestore_id=gestore.id, dossier_id=data.dossier.id if data.dossier else None,
        number=data.number, issued_on=data.issued_on, period_from=data.period_from, period_to=data.period_to,
        notes=data.notes, recorded_by_id=actor_id(env), **asdict(built))
    if upload is not None:
        content, filename = upload
        try:
            file_type = documents.check_content(content, documents.max_bytes(env.registry.settings))
        except UserError as error:
            raise UserError(f"File della fattura: {error.message}", field="file") from None
        invoice.receipt_sha256 = env.document_storage.put(content)
        invoice.receipt_filename = documents.clean_filename(filename)
        invoice.receipt_media_type = file_type.media_type
    db.add(invoice)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        # Another request recorded the same invoice a moment ago.
        raise UserError(f"La fattura n. {data.number} di questo gestore è già registrata.", field="number") from None
    audit(env, "compensation.invoice_recorded", object_type="GestoreInvoice", object_id=invoice.id,
          details={"gestore_id": gestore.id, "number": invoice.number, "issued_on": invoice.issued_on.isoformat(),
                   "fee": str(invoice.fee), "total": str(invoice.total), "net_payable": str(invoice.net_payable)})
    return invoice


def _locked(db, invoice: GestoreInvoice) -> GestoreInvoice:
    """``invoice`` read again and locked until commit: whoever pays it next waits, then sees this payment.

    PostgreSQL locks the row (FOR UPDATE). SQLite has no row locks but one writer at a time, and a
    transaction becomes the writer at its first write: a write that changes nothing makes it one before
    what was paid is read."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(update(GestoreInvoice).where(GestoreInvoice.id == invoice.id)
                   .values(number=GestoreInvoice.number).execution_options(synchronize_session=False))
    return db.scalar(select(GestoreInvoice).where(GestoreInvoice.id == invoice.id).with_for_update()
                     .execution_options(populate_existing=True))


def pay_invoice(env, invoice: GestoreInvoice, on_text: str, method: str, reference: str) -> Movement:
    """Pay what is left of the invoice's net amount (the ritenuta stays with the OCC, due to the Erario).
    What is left is read under the invoice's lock, so two payments at once never pay it twice."""
    invoice = _locked(env.dbsession, invoice)
    remaining = invoice.net_payable - paid_on_invoice(env.dbsession, invoice)
    if remaining <= 0:
        raise UserError("La fattura risulta già pagata.")
    dossier = env.dbsession.get(Dossier, invoice.dossier_id) if invoice.dossier_id else None
    return ledger.record_movement(
        env, dossier=dossier, on=on_text, direction=ledger.EXPENSE, category=PAYMENT_CATEGORY,
        description=f"Compenso al gestore, fattura n. {invoice.number} del {invoice.issued_on.strftime('%d/%m/%Y')}",
        amount=remaining, method=method, reference=reference, gestore_invoice=invoice)
