"""Money arithmetic shared by the fees, the invoices, the ledger and the gestori's compensation: Decimal only,
rounded half-up to the cent (the convention of fees.md and of the FatturaPA amounts)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0.00")


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount, rate) -> Decimal:
    """``rate`` per cent of ``amount``, in cents."""
    return cents(Decimal(amount) * Decimal(rate) / HUNDRED)
