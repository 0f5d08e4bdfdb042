"""The fee estimate (preventivo) of DM 202/2014 art. 14-18: one pure calculation, used by the screens, the
JSON API, the CLI and the saved estimates (fees.md sections 4.2 and 4.3).

Rounding. Money is Decimal and every amount shown is rounded half-up to the cent. The worked examples of
fees.md section 5 fix *where*: the fee itself (bracket sums, base, medio, reduction, halving) is carried
exactly and each value is rounded once, from the exact figure (rounding every bracket slice first would give
R9 attivo minimo 8.015,19 instead of 8.015,20, and reducing the rounded base would give U1 massimo 3.937,62
instead of 3.937,61); from the compenso on, every step is an invoice line and works on the rounded line
before it (spese generali on the rounded compenso, IVA on rounded lines: S5, S6). So the bracket lines of the
breakdown, each rounded, may add up to a cent or two more or less than the rounded total above them."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from occ_core.errors import UserError
from occ_core.money import CENT, HUNDRED, ZERO, cents, percent_of
from occ_core.web.forms import MONEY_LIMIT
from occ_core.web.ui import fmt_money

RULES_VERSION = "dm202-2014/dm30-2012:1"

EURO = Decimal("1")
# What NUMERIC(14,2) holds: every input, the expenses together and every amount of the result stay within
# it, so that a saved estimate (its proposed fee and total) and the invoices made from it can be stored.
# Beyond it no input describes a real debtor.
AMOUNT_LIMIT = MONEY_LIMIT
MAX_EXPENSES = 50
DESCRIPTION_LIMIT = 200

READINGS = {
    "single": "Una sola riduzione, scelta per il caso, su minimo, medio e massimo",
    "range": "Intera forbice di legge: minimo ridotto del 40 %, massimo ridotto del 15 %",
}
ROUNDINGS = {"cent": "Al centesimo", "euro": "All'euro (il compenso; le altre voci al centesimo)"}
VALUES = ("minimo", "medio", "massimo")
REDUCTION_RANGE = (Decimal("15"), Decimal("40"))
GENERAL_EXPENSES_RANGE = (Decimal("10"), Decimal("15"))
PERCENT_RANGE = (Decimal("0"), HUNDRED)

# Art. 16 co. 5: above this passivo the cap is 5 %, else 10 %; below this attributed amount there is no cap.
HIGH_PASSIVO = Decimal("1000000")
HIGH_CAP, LOW_CAP = Decimal("5"), Decimal("10")
CAP_EXEMPTION = Decimal("20000")
INCAPIENTE_SHARE = Decimal("0.5")  # art. 283 co. 6 CCII


@dataclass(frozen=True)
class Bracket:
    code: str
    lower: Decimal  # excluded
    upper: Decimal | None  # included; None: no upper end
    min_percent: Decimal
    max_percent: Decimal


def _table(*rows) -> tuple[Bracket, ...]:
    return tuple(Bracket(code, Decimal(lower), Decimal(upper) if upper else None, Decimal(low), Decimal(high))
                 for code, lower, upper, low, high in rows)


# DM 30/2012 art. 1 co. 1 (attivo), marginal brackets.
ATTIVO_BRACKETS = _table(
    ("a", "0", "16227.08", "12", "14"),
    ("b", "16227.08", "24340.62", "10", "12"),
    ("c", "24340.62", "40567.68", "8.50", "9.50"),
    ("d", "40567.68", "81135.38", "7", "8"),
    ("e", "81135.38", "405676.89", "5.5", "6.5"),
    ("f", "405676.89", "811353.79", "4", "5"),
    ("g", "811353.79", "2434061.37", "0.90", "1.80"),
    ("h", "2434061.37", None, "0.45", "0.90"),
)
# DM 30/2012 art. 1 co. 2 (passivo). The threshold is 81.131,38, not the attivo's 81.135,38: both are in the
# decree, do not "fix" one to the other.
PASSIVO_BRACKETS = _table(
    ("1", "0", "81131.38", "0.19", "0.94"),
    ("2", "81131.38", None, "0.06", "0.46"),
)


def money(value: Decimal) -> str:
    """An amount as the JSON carries it: a string with two decimals."""
    return str(cents(value))


def split(amount: Decimal, gestore_percent: Decimal) -> tuple[Decimal, Decimal]:
    """``(gestore, occ)`` shares of a collected fee: the gestore's rounded half-up, the OCC the rest, so the
    two always add up to the amount (fees.md S8)."""
    gestore = percent_of(amount, gestore_percent)
    return gestore, cents(amount) - gestore


@dataclass(frozen=True)
class Expense:
    """A documented expense (art. 14 co. 3). Sums the OCC advanced in the debtor's name are outside the
    scope of IVA (art. 15 DPR 633/72): ``taxable`` False."""
    description: str
    amount: Decimal
    taxable: bool = False


@dataclass(frozen=True)
class FeeInputs:
    attivo: Decimal
    passivo: Decimal
    reading: str = "single"
    reduction_percent: Decimal = Decimal("15")  # used by the "single" reading
    general_expenses_percent: Decimal = Decimal("12.5")
    incapiente: bool = False
    attributed: Decimal | None = None  # total attributed to the creditors, for the cap of art. 16 co. 5
    # Art. 16 co. 1 and art. 18: attivo realizzato and passivo accertato of a liquidation.
    liquidation: bool = False
    expenses: tuple[Expense, ...] = ()
    vat_rate: Decimal = Decimal("22")
    minimum_fee: Decimal = ZERO
    rounding: str = "cent"
    high_cap_at_threshold: bool = False
    cap_exempt_at_threshold: bool = False
    general_expenses_on_liquidation: bool = True

    def as_json(self) -> dict:
        return {
            "attivo": money(self.attivo), "passivo": money(self.passivo), "reading": self.reading,
            "reduction_percent": money(self.reduction_percent),
            "general_expenses_percent": money(self.general_expenses_percent),
            "incapiente": self.incapiente,
            "attributed": None if self.attributed is None else money(self.attributed),
            "liquidation": self.liquidation,
            "expenses": [{"description": e.description, "amount": money(e.amount), "taxable": e.taxable}
                         for e in self.expenses],
            "vat_rate": money(self.vat_rate), "minimum_fee": money(self.minimum_fee), "rounding": self.rounding,
            "high_cap_at_threshold": self.high_cap_at_threshold,
            "cap_exempt_at_threshold": self.cap_exempt_at_threshold,
            "general_expenses_on_liquidation": self.general_expenses_on_liquidation,
        }


@dataclass(frozen=True)
class BracketLine:
    code: str
    lower: Decimal
    upper: Decimal | None
    slice: Decimal
    min_percent: Decimal
    max_percent: Decimal
    min_amount: Decimal  # exact
    max_amount: Decimal  # exact

    def as_json(self) -> dict:
        return {"bracket": self.code, "from": money(self.lower),
                "to": None if self.upper is None else money(self.upper), "slice": money(self.slice),
                "min_percent": money(self.min_percent), "max_percent": money(self.max_percent),
                "min_amount": money(self.min_amount), "max_amount": money(self.max_amount)}


@dataclass(frozen=True)
class Value:
    """One of minimo / medio / massimo, step by step."""
    base: Decimal
    reduction_percent: Decimal
    reduced: Decimal
    halved: Decimal | None
    minimum_raised: bool
    compenso: Decimal
    general_expenses: Decimal
    capped: bool
    fee: Decimal  # compenso + spese generali
    expenses: Decimal
    taxable: Decimal
    vat: Decimal
    total: Decimal

    def as_json(self) -> dict:
        return {"base": money(self.base), "reduction_percent": money(self.reduction_percent),
                "reduced": money(self.reduced), "halved": None if self.halved is None else money(self.halved),
                "minimum_raised": self.minimum_raised, "compenso": money(self.compenso),
                "general_expenses": money(self.general_expenses), "capped": self.capped, "fee": money(self.fee),
                "expenses": money(self.expenses), "taxable": money(self.taxable), "vat": money(self.vat),
                "total": money(self.total)}


@dataclass(frozen=True)
class Cap:
    applies: bool
    percent: Decimal | None
    amount: Decimal | None
    reason: str
    capped: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"applies": self.applies, "percent": None if self.percent is None else money(self.percent),
                "amount": None if self.amount is None else money(self.amount), "reason": self.reason,
                "capped": list(self.capped)}


@dataclass(frozen=True)
class FeeResult:
    inputs: FeeInputs
    attivo_lines: tuple[BracketLine, ...]
    passivo_lines: tuple[BracketLine, ...]
    general_expenses_percent: Decimal  # 0 when spese generali do not apply (liquidation, by the Order's choice)
    cap: Cap
    values: dict[str, Value] = field(default_factory=dict)
    rules_version: str = RULES_VERSION

    def total_of(self, lines, attribute: str) -> Decimal:
        return cents(sum((getattr(line, attribute) for line in lines), ZERO))

    def as_json(self) -> dict:
        sides = {}
        for name, lines in (("attivo", self.attivo_lines), ("passivo", self.passivo_lines)):
            sides[name] = {"brackets": [line.as_json() for line in lines],
                           "minimo": money(self.total_of(lines, "min_amount")),
                           "massimo": money(self.total_of(lines, "max_amount"))}
        return {
            "rules_version": self.rules_version,
            "inputs": self.inputs.as_json(),
            **sides,
            "general_expenses_percent": money(self.general_expenses_percent),
            "cap": self.cap.as_json(),
            "values": {name: value.as_json() for name, value in self.values.items()},
        }


# --- validation -----------------------------------------------------------------------------------

def _amount(value: Decimal, label: str, field_name: str) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise UserError(f"{label}: importo non valido.", field=field_name)
    if value < 0:
        raise UserError(f"{label}: l'importo non può essere negativo.", field=field_name)
    if value > AMOUNT_LIMIT:
        raise UserError(f"{label}: importo troppo grande.", field=field_name)


def check_percent(value: Decimal, bounds: tuple[Decimal, Decimal], label: str, field_name: str) -> None:
    """A percentage within ``bounds`` (both included), else a ``UserError`` naming them."""
    if not isinstance(value, Decimal) or not value.is_finite() or not bounds[0] <= value <= bounds[1]:
        raise UserError(f"{label}: indicare una percentuale tra {bounds[0]} e {bounds[1]}.", field=field_name)


def validate(inputs: FeeInputs) -> FeeInputs:
    """``inputs`` if sound, else a ``UserError`` naming the first problem."""
    _amount(inputs.attivo, "Attivo", "attivo")
    _amount(inputs.passivo, "Passivo", "passivo")
    if inputs.attributed is not None:
        _amount(inputs.attributed, "Importo attribuito ai creditori", "attributed")
    _amount(inputs.minimum_fee, "Compenso minimo", "minimum_fee")
    if inputs.reading not in READINGS:
        raise UserError("Lettura della riduzione: scelta non valida.", field="reading")
    check_percent(inputs.reduction_percent, REDUCTION_RANGE, "Riduzione (art. 16 co. 4)", "reduction_percent")
    check_percent(inputs.general_expenses_percent, GENERAL_EXPENSES_RANGE, "Spese generali (art. 14 co. 3)",
                  "general_expenses_percent")
    check_percent(inputs.vat_rate, PERCENT_RANGE, "Aliquota IVA", "vat_rate")
    if inputs.rounding not in ROUNDINGS:
        raise UserError("Arrotondamento: scelta non valida.", field="rounding")
    if len(inputs.expenses) > MAX_EXPENSES:
        raise UserError(f"Spese documentate: al massimo {MAX_EXPENSES} voci.", field="expenses")
    for number, expense in enumerate(inputs.expenses, 1):
        if not expense.description.strip() or len(expense.description) > DESCRIPTION_LIMIT:
            raise UserError(f"Spesa {number}: indicare una descrizione (al massimo {DESCRIPTION_LIMIT} caratteri).",
                            field="expenses")
        _amount(expense.amount, f"Spesa {number}", "expenses")
    if sum((expense.amount for expense in inputs.expenses), ZERO) > AMOUNT_LIMIT:
        raise UserError(f"Spese documentate: il totale non può superare {fmt_money(AMOUNT_LIMIT)}.",
                        field="expenses")
    return inputs


# --- the calculation ------------------------------------------------------------------------------

def bracket_lines(amount: Decimal, table: tuple[Bracket, ...]) -> tuple[BracketLine, ...]:
    """The marginal brackets ``amount`` reaches, each with its slice and its exact minimum and maximum."""
    lines = []
    for bracket in table:
        if amount <= bracket.lower:
            break
        top = amount if bracket.upper is None else min(amount, bracket.upper)
        part = top - bracket.lower
        lines.append(BracketLine(bracket.code, bracket.lower, bracket.upper, part, bracket.min_percent,
                                 bracket.max_percent, part * bracket.min_percent / HUNDRED,
                                 part * bracket.max_percent / HUNDRED))
    return tuple(lines)


def _exact_sum(lines, attribute: str) -> Decimal:
    return sum((getattr(line, attribute) for line in lines), ZERO)


def reductions(inputs: FeeInputs) -> dict[str, Decimal]:
    """The art. 16 co. 4 reduction (percent) of each value. The "range" reading has no single reduction for
    the medio: it is the mean of the reduced minimo and massimo (see ``_reduced``), shown with the mean
    reduction's label only for information."""
    if inputs.reading == "single":
        return dict.fromkeys(VALUES, inputs.reduction_percent)
    low, high = REDUCTION_RANGE
    return {"minimo": high, "medio": (low + high) / 2, "massimo": low}


def _reduced(bases: dict[str, Decimal], inputs: FeeInputs) -> dict[str, Decimal]:
    percent = reductions(inputs)
    reduced = {name: bases[name] * (HUNDRED - percent[name]) / HUNDRED for name in ("minimo", "massimo")}
    if inputs.reading == "single":
        reduced["medio"] = bases["medio"] * (HUNDRED - percent["medio"]) / HUNDRED
    else:
        # The range reading fixes only the two ends (minimo at 40 %, massimo at 15 %); the medio stays in the
        # middle of the range it proposes, as the medio of the base is in the middle of the base's range. The
        # other natural choice, the base medio reduced by 27,5 %, lies below that middle, because the larger
        # reduction hits the smaller value.
        reduced["medio"] = (reduced["minimo"] + reduced["massimo"]) / 2
    return reduced


def cap_of(inputs: FeeInputs) -> Cap:
    """The ceiling of art. 16 co. 5 on compenso + spese generali, with the Order's readings of its two
    boundaries (exactly 20.000 attributed, exactly 1.000.000 of passivo)."""
    attributed = inputs.attributed
    if attributed is None:
        return Cap(False, None, None, "Importo attribuito ai creditori non indicato: limite non verificato.")
    exempt = attributed <= CAP_EXEMPTION if inputs.cap_exempt_at_threshold else attributed < CAP_EXEMPTION
    if exempt:
        return Cap(False, None, None, "Importo attribuito ai creditori inferiore a € 20.000: il limite dell'art. 16 "
                                      "co. 5 non si applica.")
    high = inputs.passivo >= HIGH_PASSIVO if inputs.high_cap_at_threshold else inputs.passivo > HIGH_PASSIVO
    percent = HIGH_CAP if high else LOW_CAP
    reason = ("Passivo superiore a € 1.000.000: limite del 5 % dell'attribuito ai creditori." if high else
              "Passivo fino a € 1.000.000: limite del 10 % dell'attribuito ai creditori.")
    return Cap(True, percent, percent_of(attributed, percent), reason)


def _round_fee(amount: Decimal, rounding: str) -> Decimal:
    return amount.quantize(EURO if rounding == "euro" else CENT, rounding=ROUND_HALF_UP)


def calculate(inputs: FeeInputs) -> FeeResult:
    validate(inputs)
    attivo_lines = bracket_lines(inputs.attivo, ATTIVO_BRACKETS)
    passivo_lines = bracket_lines(inputs.passivo, PASSIVO_BRACKETS)
    low = _exact_sum(attivo_lines, "min_amount") + _exact_sum(passivo_lines, "min_amount")
    high = _exact_sum(attivo_lines, "max_amount") + _exact_sum(passivo_lines, "max_amount")
    bases = {"minimo": low, "medio": (low + high) / 2, "massimo": high}
    reduced = _reduced(bases, inputs)
    percent = reductions(inputs)
    sg_percent = ZERO if inputs.liquidation and not inputs.general_expenses_on_liquidation \
        else inputs.general_expenses_percent
    cap = cap_of(inputs)
    expenses = cents(sum((e.amount for e in inputs.expenses), ZERO))
    taxable_expenses = cents(sum((e.amount for e in inputs.expenses if e.taxable), ZERO))
    values, capped = {}, []
    for name in VALUES:
        halved = reduced[name] * INCAPIENTE_SHARE if inputs.incapiente else None
        compenso = _round_fee(reduced[name] if halved is None else halved, inputs.rounding)
        # The Order's own minimum (DM 202 has none: art. 14 co. 4) raises the fee; the legal cap below still
        # prevails over it.
        raised = compenso < inputs.minimum_fee
        if raised:
            compenso = cents(inputs.minimum_fee)
        general = percent_of(compenso, sg_percent)
        over = cap.applies and compenso + general > cap.amount
        if over:
            # Compenso and spese generali shrink together, keeping their ratio, until they reach the cap.
            compenso = cents(cap.amount * HUNDRED / (HUNDRED + sg_percent))
            general = cap.amount - compenso
            capped.append(name)
        fee = compenso + general
        taxable = fee + taxable_expenses
        vat = percent_of(taxable, inputs.vat_rate)
        values[name] = Value(cents(bases[name]), percent[name], cents(reduced[name]),
                             None if halved is None else cents(halved), raised, compenso, general, over, fee,
                             expenses, taxable, vat, fee + expenses + vat)
    largest = max(value.total for value in values.values())
    if largest > AMOUNT_LIMIT:
        # Of what a saved estimate and its invoices store, the total is the largest: the fee is part of it.
        raise UserError(f"Il totale del preventivo ({fmt_money(largest)}) supera l'importo massimo registrabile "
                        f"({fmt_money(AMOUNT_LIMIT)}): controlli gli importi delle spese documentate.",
                        field="expenses")
    if capped:
        cap = Cap(cap.applies, cap.percent, cap.amount, cap.reason, tuple(capped))
    return FeeResult(inputs, attivo_lines, passivo_lines, sg_percent, cap, values)
