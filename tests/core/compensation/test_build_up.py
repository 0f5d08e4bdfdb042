"""The gestore's invoice build-up (fees.md 4.6, standards.md 3.4)."""
from decimal import Decimal

from occ_core.compensation.tax import TaxProfile, build_up

D = Decimal


def amounts(built):
    return (built.pension_fund_amount, built.vat_amount, built.stamp_duty, built.withholding_amount, built.total,
            built.net_payable)


def test_ordinario_with_tc02_on_the_s8_gestore_share():
    built = build_up(D("2411.28"), TaxProfile())
    # cassa 4 % = 96,45; IVA 22 % on 2.507,73 = 551,70; ritenuta 20 % on the compenso only = 482,26
    assert amounts(built) == (D("96.45"), D("551.70"), D("0"), D("482.26"), D("3059.43"), D("2577.17"))
    assert (built.pension_fund, built.vat_nature) == ("TC02", "")


def test_inps_rivalsa_tc22_is_subject_to_ritenuta():
    built = build_up(D("1000.00"), TaxProfile(pension_fund="TC22"))
    assert amounts(built) == (D("40.00"), D("228.80"), D("0"), D("208.00"), D("1268.80"), D("1060.80"))


def test_forfettario_has_no_iva_no_ritenuta_and_bollo_above_77_47():
    built = build_up(D("1000.00"), TaxProfile(vat_regime="forfettario", pension_fund="TC22"))
    assert amounts(built) == (D("40.00"), D("0.00"), D("2.00"), D("0.00"), D("1042.00"), D("1042.00"))
    assert built.vat_nature == "N2.2"
    at_threshold = build_up(D("77.47"), TaxProfile(vat_regime="forfettario", pension_fund=""))
    assert (at_threshold.stamp_duty, at_threshold.total) == (D("0"), D("77.47"))
    above = build_up(D("77.48"), TaxProfile(vat_regime="forfettario", pension_fund=""))
    assert (above.stamp_duty, above.total) == (D("2.00"), D("79.48"))


def test_no_cassa_and_no_ritenuta():
    built = build_up(D("500.00"), TaxProfile(pension_fund="", withholding=False))
    assert amounts(built) == (D("0.00"), D("110.00"), D("0"), D("0.00"), D("610.00"), D("610.00"))
