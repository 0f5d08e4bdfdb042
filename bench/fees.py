"""Fee estimates per second, in process, against a baseline measured in the same run.

    .venv/bin/python bench/fees.py [--estimates 20000] [--rounds 5]

The estimate is the whole calculation (``occ_core.fees.calculation.calculate``: validation, bracket breakdown
of attivo and passivo, both readings of the reduction, incapiente, minimum fee, spese generali, the cap of
art. 16 co. 5, expenses, IVA) followed by ``as_json()`` (what the API and the CLI answer). The baseline is the
bare marginal bracket sums of the same inputs (``baseline`` below: Decimal, no breakdown, nothing else;
checked against the calculation before timing).
Inputs: a fixed, seeded spread of realistic cases (most debtors under 100.000 euro of attivo, a few large
ones, passivo up to a few millions, some with an attributed amount, expenses or incapiente). Rounds alternate
between the two, so that both see the same load from the rest of the machine; the median round counts."""
from __future__ import annotations

import argparse
import random
import statistics
import time
from decimal import Decimal

from occ_core.fees.calculation import (
    ATTIVO_BRACKETS, HUNDRED, PASSIVO_BRACKETS, ZERO, Expense, FeeInputs, calculate, cents)

EXPENSES = (Expense("Contributo unificato", Decimal("98.00")), Expense("Marca da bollo", Decimal("27.00")),
            Expense("Perizia", Decimal("450.00"), taxable=True))


def amount(rng, scale: float) -> Decimal:
    return Decimal(int(rng.lognormvariate(0, 1.2) * scale * 100)) / 100


def spread(count: int) -> list[FeeInputs]:
    rng = random.Random(2024)
    cases = []
    for _ in range(count):
        attivo = amount(rng, 25_000) if rng.random() > 0.15 else Decimal("0")
        passivo = amount(rng, 120_000)
        cases.append(FeeInputs(
            attivo, passivo, reading=rng.choice(("single", "range")),
            reduction_percent=Decimal(rng.randrange(15, 41)), general_expenses_percent=Decimal("12.5"),
            incapiente=attivo == 0 and rng.random() < 0.5,
            attributed=(attivo * Decimal("0.8")).quantize(Decimal("0.01")) if rng.random() < 0.4 else None,
            liquidation=rng.random() < 0.3, expenses=EXPENSES[:rng.randrange(0, 4)],
            minimum_fee=rng.choice((Decimal("0"), Decimal("1000")))))
    return cases


def timed(function, cases) -> float:
    started = time.perf_counter()
    for case in cases:
        function(case)
    return len(cases) / (time.perf_counter() - started)


def baseline(attivo: Decimal, passivo: Decimal) -> tuple[Decimal, Decimal]:
    """The bare marginal bracket sums (minimum, maximum), without any of the rest."""
    low = high = ZERO
    for amount, table in ((attivo, ATTIVO_BRACKETS), (passivo, PASSIVO_BRACKETS)):
        for bracket in table:
            if amount <= bracket.lower:
                break
            part = (amount if bracket.upper is None else min(amount, bracket.upper)) - bracket.lower
            low += part * bracket.min_percent
            high += part * bracket.max_percent
    return cents(low / HUNDRED), cents(high / HUNDRED)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimates", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    cases = spread(options.estimates)
    for case in cases[:200]:
        values = calculate(case).values
        if baseline(case.attivo, case.passivo) != (values["minimo"].base, values["massimo"].base):
            raise SystemExit(f"the baseline disagrees with the calculation for {case}")
    full, bare = [], []
    for _ in range(options.rounds):
        full.append(timed(lambda case: calculate(case).as_json(), cases))
        bare.append(timed(lambda case: baseline(case.attivo, case.passivo), cases))
    estimate, base = statistics.median(full), statistics.median(bare)
    print(f"{options.estimates} inputs, {options.rounds} alternating rounds (median round)")
    print(f"{'':40}{'per second':>14}{'µs each':>12}")
    print(f"{'estimate (calculate + as_json)':40}{estimate:>14,.0f}{1e6 / estimate:>12.1f}")
    print(f"{'baseline (bare bracket sums)':40}{base:>14,.0f}{1e6 / base:>12.1f}")
    print(f"ratio baseline / estimate: {base / estimate:.1f}x")


if __name__ == "__main__":
    main()
