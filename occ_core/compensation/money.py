"""Rounding and splitting money here: the fees engine's half-up cents and OCC/gestore split, plus equal
parts for a college of gestori."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from occ_core.fees.calculation import CENT, HUNDRED, cents, split

ZERO = Decimal("0.00")

__all__ = ["CENT", "HUNDRED", "ZERO", "cents", "equal_parts", "percent_of", "split"]


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    return cents(amount * rate / HUNDRED)


def equal_parts(amount: Decimal, count: int) -> list[Decimal]:
    """``amount`` in ``count`` parts that differ by at most a cent and add up exactly; the first parts (the
    earliest appointments) take the leftover cents, always the same way."""
    if count <= 0:
        return []
    sign = -1 if amount < 0 else 1
    base = (abs(amount) / count).quantize(CENT, rounding=ROUND_DOWN)
    leftover = int((abs(amount) - base * count) / CENT)
    return [sign * (base + (CENT if index < leftover else ZERO)) for index in range(count)]
