"""The build-up of a gestore's invoice to the OCC (fees.md 4.6, standards.md 3.4): compenso, cassa
previdenziale, IVA or the Natura of an exempt invoice, bollo, ritenuta d'acconto, total and net payable."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from occ_core.money import ZERO, percent_of
from occ_core.invoicing import codes
from occ_core.invoicing.totals import STAMP_DUTY, STAMP_THRESHOLD

REGIMES = {"ordinario": "Regime ordinario (con IVA)", "forfettario": "Regime forfettario (senza IVA)"}
# TipoCassa (TC01-TC22) with their names, shared with the OCC's own invoices.
PENSION_FUNDS = codes.PENSION_FUNDS
# The INPS rivalsa (TC22) is part of the professional's consideration, not a contribution to a professional
# fund, so unlike the other casse it is subject to the ritenuta d'acconto too.
WITHHELD_PENSION_FUNDS = codes.PENSION_FUNDS_WITHHELD
WITHHOLDING_TYPE = "RT01"  # persone fisiche: gestori are professionals invoicing in their own name
FLAT_RATE_NATURE = "N2.2"  # non soggette, altri casi: the forfettario's invoices


@dataclass(frozen=True)
class TaxProfile:
    vat_regime: str = "ordinario"
    vat_rate: Decimal = Decimal("22.00")
    pension_fund: str = "TC02"
    pension_fund_rate: Decimal = Decimal("4.00")
    withholding: bool = True
    withholding_rate: Decimal = Decimal("20.00")


@dataclass(frozen=True)
class BuildUp:
    fee: Decimal
    pension_fund: str
    pension_fund_rate: Decimal
    pension_fund_amount: Decimal
    vat_rate: Decimal
    vat_nature: str
    vat_amount: Decimal
    stamp_duty: Decimal
    withholding_rate: Decimal
    withholding_amount: Decimal
    total: Decimal
    net_payable: Decimal


def build_up(fee: Decimal, profile: TaxProfile) -> BuildUp:
    """Cassa = compenso x aliquota; IVA = (compenso + cassa) x aliquota, or none with Natura N2.2 and the
    bollo above 77,47 for the forfettario; ritenuta = compenso x aliquota (plus the INPS rivalsa);
    total = compenso + cassa + IVA + bollo; net payable = total - ritenuta."""
    fund_rate = profile.pension_fund_rate if profile.pension_fund else ZERO
    fund_amount = percent_of(fee, fund_rate)
    flat_rate = profile.vat_regime == "forfettario"
    vat_rate = ZERO if flat_rate else profile.vat_rate
    vat_amount = percent_of(fee + fund_amount, vat_rate)
    stamp = STAMP_DUTY if flat_rate and fee + fund_amount > STAMP_THRESHOLD else ZERO
    withholding_rate = profile.withholding_rate if profile.withholding and not flat_rate else ZERO
    # The INPS rivalsa (TC22) is subject to the ritenuta, the other casse are not.
    withheld_base = fee + (fund_amount if profile.pension_fund in WITHHELD_PENSION_FUNDS else ZERO)
    withholding_amount = percent_of(withheld_base, withholding_rate)
    total = fee + fund_amount + vat_amount + stamp
    return BuildUp(fee=fee, pension_fund=profile.pension_fund,
                   pension_fund_rate=fund_rate, pension_fund_amount=fund_amount, vat_rate=vat_rate,
                   vat_nature=FLAT_RATE_NATURE if flat_rate else "", vat_amount=vat_amount, stamp_duty=stamp,
                   withholding_rate=withholding_rate, withholding_amount=withholding_amount, total=total,
                   net_payable=total - withholding_amount)
