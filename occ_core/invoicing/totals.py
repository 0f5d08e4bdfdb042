"""The totals of an invoice from its lines and the Order's preferences: one pure calculation, used by the
draft's page, by issue, by the XML and by the benchmark (which works on objects that are not in a database).

IVA is computed once per rate on the summed taxable amounts (DatiRiepilogo), as the SdI checks it; the
cassa previdenziale joins the taxable amount of its rate; the ritenuta is only on the lines marked for it
(and on the INPS rivalsa); the bollo virtuale is due when the amounts without IVA exceed 77,47 euro."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from occ_core.invoicing.codes import PENSION_FUNDS_WITHHELD
from occ_core.money import CENT, ZERO, cents, percent_of

STAMP_DUTY = Decimal("2.00")
# Art. 13 Tariffa parte I DPR 642/72: the bollo is due above 77,47 euro (77,47 itself is not).
STAMP_THRESHOLD = Decimal("77.47")
# Categories of lines that pay the OCC's services: they bear cassa and ritenuta, expenses re-charged do not.
SERVICE_CATEGORIES = ("start_fee", "fee", "general_expenses", "advance_deduction", "other")


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return cents(Decimal(quantity) * Decimal(unit_price))


@dataclass(frozen=True)
class Summary:
    """One DatiRiepilogo: the taxable amount and tax of a rate (and Natura)."""

    rate: Decimal
    nature: str
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class PensionFund:
    kind: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    vat_rate: Decimal
    nature: str
    withheld: bool


@dataclass(frozen=True)
class Withholding:
    kind: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class Totals:
    summaries: list[Summary] = field(default_factory=list)
    pension_fund: PensionFund | None = None
    withholding: Withholding | None = None
    stamp_due: bool = False
    taxable: Decimal = ZERO
    vat: Decimal = ZERO
    exempt: Decimal = ZERO
    total: Decimal = ZERO

    @property
    def stamp_duty(self) -> Decimal:
        return STAMP_DUTY if self.stamp_due else ZERO

    @property
    def amount_due(self) -> Decimal:
        return self.total - (self.withholding.amount if self.withholding else ZERO)


def withholding_applies(invoice, prefs) -> bool:
    """The ritenuta is the customer's duty as sostituto d'imposta: only then, and only if the Order has one."""
    return bool(prefs.withholding) and bool(invoice.customer_withholds)


def stamp_base(lines) -> Decimal:
    """The amounts without IVA that decide the bollo (its own re-charge excluded, or it would decide itself)."""
    return sum((line.amount for line in lines if Decimal(line.vat_rate) == 0 and line.category != "stamp_recharge"),
               ZERO)


def stamp_due(lines) -> bool:
    return stamp_base(lines) > STAMP_THRESHOLD


def compute(invoice, prefs) -> Totals:
    lines = list(invoice.lines)
    groups: dict[tuple[Decimal, str], Decimal] = {}
    for line in lines:
        key = (Decimal(line.vat_rate).quantize(CENT), line.vat_nature or "")
        groups[key] = groups.get(key, ZERO) + line.amount
    applies = withholding_applies(invoice, prefs)
    fund_base = sum((line.amount for line in lines if line.category in SERVICE_CATEGORIES), ZERO) \
        if prefs.pension_fund else ZERO
    fund_amount = percent_of(fund_base, prefs.pension_fund_rate) if fund_base else ZERO
    fund_withheld = applies and prefs.pension_fund in PENSION_FUNDS_WITHHELD
    withholding = None
    if applies:
        base = sum((line.amount for line in lines if line.withholding), ZERO) + (
            fund_amount if fund_withheld else ZERO)
        if base > 0:
            withholding = Withholding(prefs.withholding, prefs.withholding_rate, base,
                                      percent_of(base, prefs.withholding_rate), prefs.withholding_reason)
    fund = None
    if fund_base:
        # Ritenuta=SI without DatiRitenuta is refused by the SdI (error 00415): the cassa is marked only when
        # the invoice has a ritenuta, which a base of zero or less (advances covering the fee) leaves out.
        fund = PensionFund(prefs.pension_fund, prefs.pension_fund_rate, fund_base, fund_amount, prefs.vat_rate,
                           prefs.vat_nature if prefs.vat_rate == 0 else "", fund_withheld and withholding is not None)
        key = (Decimal(prefs.vat_rate).quantize(CENT), fund.nature)
        groups[key] = groups.get(key, ZERO) + fund.amount
    summaries = [Summary(rate, nature, cents(taxable), percent_of(taxable, rate))
                 for (rate, nature), taxable in sorted(groups.items(), key=lambda item: (-item[0][0], item[0][1]))]
    taxable = sum((s.taxable for s in summaries if s.rate > 0), ZERO)
    vat = sum((s.tax for s in summaries), ZERO)
    exempt = sum((s.taxable for s in summaries if s.rate == 0), ZERO)
    return Totals(summaries, fund, withholding, stamp_due(lines), taxable, vat, exempt, taxable + vat + exempt)


def apply(invoice, totals: Totals) -> None:
    """Copy ``totals`` onto the invoice's columns."""
    invoice.taxable_amount = totals.taxable
    invoice.vat_amount = totals.vat
    invoice.exempt_amount = totals.exempt
    invoice.pension_fund_amount = totals.pension_fund.amount if totals.pension_fund else ZERO
    invoice.withholding_amount = totals.withholding.amount if totals.withholding else ZERO
    invoice.stamp_duty = totals.stamp_duty
    invoice.total = totals.total
    invoice.amount_due = totals.amount_due
