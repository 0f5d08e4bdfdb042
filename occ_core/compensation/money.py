"""Equal parts of a gestore share for a college of gestori (the rest of the money arithmetic is
``occ_core.money``; the OCC/gestore split is the fee engine's ``occ_core.fees.calculation.split``)."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from occ_core.money import CENT, ZERO


def equal_parts(amount: Decimal, count: int) -> list[Decimal]:
    """``amount`` in ``count`` parts that differ by at most a cent and add up exactly; the first parts (the
    earliest appointments) take the leftover cents, always the same way."""
    if count <= 0:
        return []
    sign = -1 if amount < 0 else 1
    base = (abs(amount) / count).quantize(CENT, rounding=ROUND_DOWN)
    leftover = int((abs(amount) - base * count) / CENT)
    return [sign * (base + (CENT if index < leftover else ZERO)) for index in range(count)]
