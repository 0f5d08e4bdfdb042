"""The fee estimate's calculation: the worked examples of fees.md section 5, every bracket threshold, the
boundaries of the cap of art. 16 co. 5 in both readings, bad input, and properties (hypothesis)."""
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from occ_core.errors import UserError
from occ_core.fees.calculation import (
    ATTIVO_BRACKETS, INCAPIENTE_SHARE, PASSIVO_BRACKETS, Expense, FeeInputs, calculate, split)
from occ_core.money import cents


def estimate(attivo, passivo, **options):
    return calculate(FeeInputs(D(attivo), D(passivo), **options))


def amounts(result, key="compenso"):
    return tuple(str(result.values[name].__getattribute__(key)) for name in ("minimo", "medio", "massimo"))


# fees.md 8.1: attivo min, attivo max, passivo min, passivo max, total min, medio, max.
RAW = {
    "R5": ("81135.38", "81131.38", "6977.64 8032.40 154.15 762.63 7131.79 7963.41 8795.04"),
    "R6": ("100000000", "0", "494705.59 956713.63 0.00 0.00 494705.59 725709.61 956713.63"),
    "R8": ("20000", "20000", "2324.54 2724.54 38.00 188.00 2362.54 2637.54 2912.54"),
    "R9": ("100000", "100000", "8015.20 9258.60 165.47 849.43 8180.67 9144.35 10108.03"),
    "R10": ("500000", "500000", "28600.35 33843.76 405.47 2689.43 29005.82 32769.50 36533.19"),
    "R11": ("1000000", "1000000", "42752.32 52807.08 705.47 4989.43 43457.79 50627.15 57796.51"),
    "R12": ("30000", "100000", "3239.65 3783.06 165.47 849.43 3405.12 4018.80 4632.49"),
    "R13": ("50000", "80000", "4798.17 5541.57 152.00 752.00 4950.17 5621.87 6293.57"),
}


@pytest.mark.parametrize("case", sorted(RAW))
def test_raw_amounts_of_dm_30_2012(case):
    attivo, passivo, expected = RAW[case]
    body = estimate(attivo, passivo).as_json()
    got = [body["attivo"]["minimo"], body["attivo"]["massimo"], body["passivo"]["minimo"],
           body["passivo"]["massimo"], *(body["values"][name]["base"] for name in ("minimo", "medio", "massimo"))]
    assert got == expected.split()


# fees.md 8.2, reading (ii): minimo reduced by 40 %, massimo by 15 %.
@pytest.mark.parametrize("case,attivo,passivo,low,high", [
    ("C6", "16227.08", "0", "1168.35", "1931.02"),
    ("C7", "100000", "200000", "4944.40", "8982.83"),
    ("C8", "30000", "100000", "2043.07", "3937.61"),
])
def test_range_reading(case, attivo, passivo, low, high):
    result = estimate(attivo, passivo, reading="range")
    assert (str(result.values["minimo"].compenso), str(result.values["massimo"].compenso)) == (low, high)
    # The medio is the middle of the proposed range (of the exact values, so within a cent of the rounded ones).
    assert abs(result.values["medio"].compenso - (D(low) + D(high)) / 2) <= D("0.01")


# fees.md 8.3, reading (i): one reduction r on all three values.
@pytest.mark.parametrize("case,attivo,passivo,r,expected", [
    ("U1", "30000", "100000", "15", ("2894.35", "3415.98", "3937.61")),
    ("U2", "30000", "100000", "25", ("2553.84", "3014.10", "3474.37")),
    ("U3", "30000", "100000", "40", ("2043.07", "2411.28", "2779.49")),
    ("U4", "50000", "80000", "20", ("3960.13", "4497.50", "5034.86")),
    ("U5", "0", "50000", "40", ("57.00", "169.50", "282.00")),
])
def test_single_reading(case, attivo, passivo, r, expected):
    assert amounts(estimate(attivo, passivo, reading="single", reduction_percent=D(r))) == expected


def u2(**options):
    return estimate("30000", "100000", reading="single", reduction_percent=D("25"), **options).values["medio"]


def test_s5_general_expenses_on_the_compenso():
    assert [str(u2(general_expenses_percent=D(s)).general_expenses) for s in ("10", "12.5", "15")] == [
        "301.41", "376.76", "452.12"]


def test_s6_vat_and_total():
    medio = u2(general_expenses_percent=D("12.5"), vat_rate=D("22"))
    assert (str(medio.fee), str(medio.vat), str(medio.total)) == ("3390.86", "745.99", "4136.85")


def test_s7_incapiente_is_halved():
    result = estimate("0", "50000", incapiente=True, reading="range")
    low, high = result.values["minimo"], result.values["massimo"]
    assert (str(low.base), str(high.base)) == ("95.00", "470.00")
    # Halving and reducing commute: the raw amounts halved are 47,50 and 235,00, then the range reduces them.
    assert (str(cents(low.base * INCAPIENTE_SHARE)), str(cents(high.base * INCAPIENTE_SHARE))) == ("47.50", "235.00")
    assert (str(low.compenso), str(high.compenso)) == ("28.50", "199.75")  # 47,50 x 0,60 and 235,00 x 0,85
    assert estimate("0", "50000", reading="range").values["massimo"].compenso == D("399.50")


def test_s8_split_with_the_gestore():
    assert split(u2().compenso, D("80")) == (D("2411.28"), D("602.82"))
    gestore, occ = split(D("100.01"), D("33.33"))
    assert gestore + occ == D("100.01")


# --- brackets -------------------------------------------------------------------------------------

@pytest.mark.parametrize("index,bracket", [(i, b) for i, b in enumerate(ATTIVO_BRACKETS) if b.upper is not None])
def test_each_attivo_threshold_and_one_cent_above(index, bracket):
    at = estimate(bracket.upper, "0")
    above = estimate(bracket.upper + D("0.01"), "0")
    assert [line.code for line in at.attivo_lines] == [b.code for b in ATTIVO_BRACKETS[:index + 1]]
    assert at.attivo_lines[-1].slice == bracket.upper - bracket.lower
    assert above.attivo_lines[-1].code == ATTIVO_BRACKETS[index + 1].code
    assert above.attivo_lines[-1].slice == D("0.01")
    nxt = ATTIVO_BRACKETS[index + 1]
    assert above.attivo_lines[-1].min_amount == D("0.01") * nxt.min_percent / 100
    for name in ("minimo", "massimo"):
        step = above.values[name].base - at.values[name].base
        assert D("0") <= step <= D("0.01")


def test_passivo_threshold_is_its_own():
    at = estimate("0", "81131.38")
    above = estimate("0", "81131.39")
    assert [line.code for line in at.passivo_lines] == ["1"]
    assert [(line.code, line.slice) for line in above.passivo_lines] == [("1", D("81131.38")), ("2", D("0.01"))]
    # The attivo's threshold (81.135,38) is already in the passivo's second bracket.
    assert estimate("0", "81135.38").passivo_lines[-1].slice == D("4.00")
    assert [line.code for line in estimate("81131.39", "0").attivo_lines] == ["a", "b", "c", "d"]
    assert str(at.values["minimo"].base) == "154.15" and str(at.values["massimo"].base) == "762.63"


def test_zero_has_no_brackets():
    result = estimate("0", "0")
    assert result.attivo_lines == () and result.passivo_lines == ()
    assert amounts(result, "total") == ("0.00", "0.00", "0.00")


# --- the cap of art. 16 co. 5 ---------------------------------------------------------------------

def cap(attributed, passivo="100000", **readings):
    return estimate("100000", passivo, attributed=D(attributed), **readings).cap


@pytest.mark.parametrize("exempt_at_threshold", [False, True])
def test_cap_exemption_boundary(exempt_at_threshold):
    reading = {"cap_exempt_at_threshold": exempt_at_threshold}
    assert cap("19999.99", **reading).applies is False
    assert cap("20000", **reading).applies is (not exempt_at_threshold)
    assert cap("20000.01", **reading).applies is True
    assert cap("20000.01", **reading).amount == D("2000.00")


@pytest.mark.parametrize("high_at_threshold,at_million", [(False, "10.00"), (True, "5.00")])
def test_cap_percent_boundary(high_at_threshold, at_million):
    reading = {"high_cap_at_threshold": high_at_threshold}
    assert str(cap("50000", "999999.99", **reading).percent.quantize(D("0.01"))) == "10.00"
    assert str(cap("50000", "1000000", **reading).percent.quantize(D("0.01"))) == at_million
    assert str(cap("50000", "1000000.01", **reading).percent.quantize(D("0.01"))) == "5.00"
    assert cap("50000", "1000000.01", **reading).amount == D("2500.00")


def test_capped_values_are_named_and_reach_the_cap_exactly():
    result = estimate("100000", "100000", attributed=D("30000"), reading="range",
                      general_expenses_percent=D("12.5"))
    # Cap 3.000,00; minimo 4.908,40 + 12,5 % is already above it.
    assert result.cap.capped == ("minimo", "medio", "massimo")
    for value in result.values.values():
        assert value.capped and value.fee == D("3000.00")
        assert value.compenso == D("2666.67") and value.general_expenses == D("333.33")
    assert result.as_json()["cap"]["capped"] == ["minimo", "medio", "massimo"]
    partly = estimate("30000", "100000", attributed=D("30000"), reading="range")
    assert partly.cap.capped == ("medio", "massimo") and not partly.values["minimo"].capped
    assert estimate("100000", "100000").cap.applies is False


# --- the rest of the chain --------------------------------------------------------------------------

def test_minimum_fee_raises_and_is_flagged():
    result = estimate("0", "50000", reading="range", minimum_fee=D("1000"))
    assert all(v.minimum_raised and v.compenso == D("1000.00") for v in result.values.values())
    assert result.values["minimo"].general_expenses == D("125.00")
    assert not estimate("100000", "100000", minimum_fee=D("1000")).values["minimo"].minimum_raised


def test_expenses_and_vat():
    expenses = (Expense("Contributo unificato", D("98")), Expense("Marca da bollo", D("27")),
                Expense("Perizia dell'ausiliario", D("500"), taxable=True))
    medio = u2(expenses=expenses)
    assert medio.expenses == D("625.00")
    assert medio.taxable == D("3890.86") and medio.vat == D("855.99")
    assert medio.total == D("3390.86") + D("625.00") + D("855.99")


def test_liquidation_and_general_expenses_by_the_orders_choice():
    with_sg = estimate("30000", "100000", liquidation=True)
    without = estimate("30000", "100000", liquidation=True, general_expenses_on_liquidation=False)
    assert with_sg.values["medio"].general_expenses > 0
    assert without.values["medio"].general_expenses == 0 and without.general_expenses_percent == 0
    assert without.values["medio"].compenso == with_sg.values["medio"].compenso
    # Outside a liquidation the choice does not matter.
    assert estimate("30000", "100000", general_expenses_on_liquidation=False).values["medio"].general_expenses > 0


def test_rounding_to_the_euro():
    medio = u2(rounding="euro")
    assert medio.compenso == D("3014") and medio.general_expenses == D("376.75")


def test_json_amounts_are_strings_with_two_decimals():
    body = estimate("12345.6", "7", attributed=D("25000"), expenses=(Expense("Posta", D("3.5")),)).as_json()

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        else:
            yield node

    assert not [v for v in walk(body) if isinstance(v, (float, int)) and not isinstance(v, bool)]
    assert body["values"]["medio"]["expenses"] == "3.50" and body["inputs"]["attivo"] == "12345.60"
    assert body["rules_version"]


@pytest.mark.parametrize("changes,message", [
    ({"attivo": D("-1")}, "Attivo: l'importo non può essere negativo."),
    ({"passivo": D("-0.01")}, "Passivo: l'importo non può essere negativo."),
    ({"attributed": D("-5")}, "Importo attribuito ai creditori: l'importo non può essere negativo."),
    ({"attivo": D("1e15")}, "Attivo: importo troppo grande."),
    ({"attivo": D("NaN")}, "Attivo: importo non valido."),
    ({"reduction_percent": D("14.99")}, "Riduzione (art. 16 co. 4): indicare una percentuale tra 15 e 40."),
    ({"reduction_percent": D("40.01")}, "Riduzione (art. 16 co. 4): indicare una percentuale tra 15 e 40."),
    ({"general_expenses_percent": D("9")}, "Spese generali (art. 14 co. 3): indicare una percentuale tra 10 e 15."),
    ({"general_expenses_percent": D("16")}, "Spese generali (art. 14 co. 3): indicare una percentuale tra 10 e 15."),
    ({"reading": "tutte"}, "Lettura della riduzione: scelta non valida."),
    ({"expenses": (Expense("", D("1")),)}, "Spesa 1: indicare una descrizione"),
    ({"expenses": (Expense("Posta", D("-1")),)}, "Spesa 1: l'importo non può essere negativo."),
    ({"expenses": (Expense("Posta", D("1")),) * 51}, "Spese documentate: al massimo 50 voci."),
])
def test_bad_input_is_refused_in_italian(changes, message):
    with pytest.raises(UserError) as refused:
        calculate(replace(FeeInputs(D("1000"), D("1000")), **changes))
    assert refused.value.message.startswith(message)


# --- properties -------------------------------------------------------------------------------------

MONEY = st.decimals(min_value=0, max_value=D("50000000"), places=2, allow_nan=False, allow_infinity=False)
OPTIONS = st.fixed_dictionaries({
    "reading": st.sampled_from(["single", "range"]),
    "reduction_percent": st.decimals(min_value=15, max_value=40, places=2),
    "general_expenses_percent": st.decimals(min_value=10, max_value=15, places=2),
    "incapiente": st.booleans(),
    "rounding": st.sampled_from(["cent", "euro"]),
    "minimum_fee": st.sampled_from([D("0"), D("1000")]),
})
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(MONEY, MONEY, MONEY, OPTIONS)
def test_monotone_in_attivo_and_passivo(attivo, passivo, more, options):
    result = calculate(FeeInputs(attivo, passivo, **options))
    richer = calculate(FeeInputs(attivo + more, passivo, **options))
    deeper = calculate(FeeInputs(attivo, passivo + more, **options))
    for name in ("minimo", "medio", "massimo"):
        assert richer.values[name].total >= result.values[name].total
        assert deeper.values[name].total >= result.values[name].total


@FAST
@given(MONEY, MONEY, OPTIONS, st.one_of(st.none(), MONEY))
def test_minimo_medio_massimo_are_ordered(attivo, passivo, options, attributed):
    values = calculate(FeeInputs(attivo, passivo, attributed=attributed, **options)).values
    for key in ("base", "compenso", "fee", "total"):
        assert getattr(values["minimo"], key) <= getattr(values["medio"], key) <= getattr(values["massimo"], key)


THRESHOLDS = [b.upper for b in ATTIVO_BRACKETS + PASSIVO_BRACKETS if b.upper is not None]


@FAST
@given(st.sampled_from(THRESHOLDS), st.booleans(), st.decimals(min_value=D("-0.02"), max_value=D("0.02"), places=2))
def test_continuous_at_thresholds_within_a_cent(threshold, on_attivo, offset):
    def base(amount):
        pair = (amount, D("0")) if on_attivo else (D("0"), amount)
        return calculate(FeeInputs(*pair)).values

    here, there = base(threshold), base(threshold + offset)
    for name in ("minimo", "medio", "massimo"):
        # A cent more of attivo or passivo adds at most 14 % of a cent, which rounds to at most one cent.
        assert abs(there[name].base - here[name].base) <= D("0.01") * max(1, abs(offset) * 100)
