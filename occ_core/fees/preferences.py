"""The Order's fee defaults (tenant.preferences["fees"]): reading of art. 16 co. 4, spese generali, minimum
fee, start fee, rounding, the gestore's share of collected fees and the readings of the cap's boundaries."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PREFERENCE = "fees"


@dataclass(frozen=True)
class FeePreferences:
    # "single": one reduction chosen for the case; "range": minimum at 40 %, maximum at 15 %.
    reading: str = "single"
    reduction_percent: Decimal = Decimal("15.00")
    general_expenses_percent: Decimal = Decimal("12.50")
    # DM 202 sets no minimum (art. 14 co. 4); many Orders' regulations do.
    minimum_fee: Decimal = Decimal("0.00")
    start_fee: Decimal = Decimal("200.00")
    start_fee_vat_included: bool = False
    rounding: str = "cent"  # cent | euro
    proposed: str = "medio"  # minimo | medio | massimo
    vat_rate: Decimal = Decimal("22.00")
    # Share of the fees actually collected that goes to the gestore (e.g. 80: 80 % gestore, 20 % OCC).
    gestore_percent: Decimal = Decimal("80.00")
    # Art. 16 co. 5 speaks of passivo "superiore a 1.000.000" and of amounts "inferiore ad euro 20.000":
    # whether exactly 1.000.000 takes the 5 % cap and exactly 20.000 escapes the cap is left to the Order.
    high_cap_at_threshold: bool = False
    cap_exempt_at_threshold: bool = False
    # Sources differ on spese generali for a liquidatore (occ-law.md section 7, row 6).
    general_expenses_on_liquidation: bool = True
