"""The Order's fee defaults (tenant.preferences["fees"]): reading of art. 16 co. 4, spese generali, minimum
fee, start fee, rounding, the gestore's share of collected fees and the readings of the cap's boundaries.

The IVA of a preventivo is not here: it is the one the Order's invoices charge on its fee (``vat_rate_of``),
configured once with the invoicing, so that the preventivo and the invoice never disagree."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from occ_core.errors import UserError
from occ_core.fees import calculation
from occ_core.fees.calculation import check_percent
from occ_core.invoicing.preferences import InvoicingPreferences
from occ_core.invoicing.preferences import preferences_of as invoicing_preferences_of
from occ_core.money import ZERO

PREFERENCE = "fees"
PROPOSED = {"minimo": "Il valore minimo", "medio": "Il valore medio", "massimo": "Il valore massimo"}
START_FEE_LIMIT = Decimal("100000")


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
    # Share of the fees actually collected that goes to the gestore (e.g. 80: 80 % gestore, 20 % OCC).
    gestore_percent: Decimal = Decimal("80.00")
    # Art. 16 co. 5 speaks of passivo "superiore a 1.000.000" and of amounts "inferiore ad euro 20.000":
    # whether exactly 1.000.000 takes the 5 % cap and exactly 20.000 escapes the cap is left to the Order.
    high_cap_at_threshold: bool = False
    cap_exempt_at_threshold: bool = False
    # Sources differ on spese generali for a liquidatore (occ-law.md section 7, row 6).
    general_expenses_on_liquidation: bool = True


def validate(prefs: FeePreferences) -> FeePreferences:
    """``prefs`` if sound, else a ``UserError`` naming the first problem."""
    if prefs.reading not in calculation.READINGS:
        raise UserError("Lettura della riduzione: scelta non valida.", field="reading")
    check_percent(prefs.reduction_percent, calculation.REDUCTION_RANGE, "Riduzione predefinita",
                  "reduction_percent")
    check_percent(prefs.general_expenses_percent, calculation.GENERAL_EXPENSES_RANGE, "Spese generali",
                  "general_expenses_percent")
    check_percent(prefs.gestore_percent, calculation.PERCENT_RANGE, "Quota del gestore", "gestore_percent")
    for name, label in (("minimum_fee", "Compenso minimo"), ("start_fee", "Diritto di avvio")):
        value = getattr(prefs, name)
        if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= START_FEE_LIMIT:
            raise UserError(f"{label}: indicare un importo tra 0 e {START_FEE_LIMIT}.", field=name)
    if prefs.rounding not in calculation.ROUNDINGS:
        raise UserError("Arrotondamento: scelta non valida.", field="rounding")
    if prefs.proposed not in PROPOSED:
        raise UserError("Valore proposto al debitore: scelta non valida.", field="proposed")
    for name in ("start_fee_vat_included", "high_cap_at_threshold", "cap_exempt_at_threshold",
                 "general_expenses_on_liquidation"):
        if not isinstance(getattr(prefs, name), bool):
            raise UserError("Scelta non valida.", field=name)
    return prefs


def _stored(prefs: FeePreferences) -> dict:
    """JSON-safe: Decimals as strings."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(prefs).items()}


def preferences_of(tenant) -> FeePreferences:
    """The Order's fee preferences; a stored value edited by hand into nonsense falls back to the defaults."""
    stored = (tenant.preferences or {}).get(PREFERENCE) or {}
    try:
        values = {}
        for key, default in asdict(FeePreferences()).items():
            if key in stored:
                values[key] = Decimal(str(stored[key])) if isinstance(default, Decimal) else stored[key]
        return validate(FeePreferences(**values))
    except (AttributeError, TypeError, ArithmeticError, UserError):
        return FeePreferences()


def save(tenant, prefs: FeePreferences) -> None:
    tenant.preferences = {**(tenant.preferences or {}), PREFERENCE: _stored(validate(prefs))}


def vat_rate_of(tenant) -> Decimal:
    """The IVA of the preventivi of the Order ``tenant`` (the platform's default without one): the rate its
    invoices charge on the fee, 0 when its fees carry a Natura (outside the IVA field, or exempt)."""
    invoicing = invoicing_preferences_of(tenant) if tenant is not None else InvoicingPreferences()
    return ZERO if invoicing.vat_nature else invoicing.vat_rate
