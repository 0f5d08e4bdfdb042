"""Art. 155 c.p.c., the holidays and the August suspension, on the worked examples of occ-law.md section 8 and
the edge cases the issue names. Pure computations: no database."""
from datetime import date
from types import SimpleNamespace

import pytest

from occ_core.deadlines.calendar import (
    Patron, Term, WorkingCalendar, add_months, august_suspension, compute,
)
from occ_core.deadlines.catalogue import BUILTIN_BY_CODE
from occ_core.deadlines.preferences import Preferences, preferences_of

NATIONAL = WorkingCalendar()
CCII, L3 = "ristrutturazione_consumatore", "accordo_composizione"


def term_of(code: str) -> Term:
    rule = BUILTIN_BY_CODE[code]
    return Term(rule.amount, rule.unit, rule.direction, rule.kind, rule.outside_hearing)


def run(code, start, procedure=CCII, filed_on=date(2025, 1, 10), cal=NATIONAL, reading="fermo"):
    rule = BUILTIN_BY_CODE[code]
    return compute(cal, term_of(code), start, backward_reading=reading,
                   suspension=august_suspension(procedure, filed_on, rule.kind))


# --- occ-law.md section 8 ---------------------------------------------------------------------------------
# The table's dates are the raw ends of the count, before art. 155 co. 4-5: where a raw end is a holiday or
# a Saturday (T2, T3's second step) the deadline is the next working day, and the steps say why.

def test_t1_incarico_conferito_seven_days():
    result = run("D1", date(2025, 3, 3))
    assert result.due_on == date(2025, 3, 10)
    assert result.steps[0] == "Termine di 7 giorni dal 03/03/2025: primo giorno non computato"


def test_t2_thirty_days_end_on_the_first_of_may_and_move_to_the_second():
    result = run("D3", date(2025, 4, 1))
    assert result.due_on == date(2025, 5, 2)  # table: 2025-05-01, Festa del Lavoro
    assert "Il computo termina giovedì 01/05/2025" in result.steps
    assert "01/05/2025 Festa del Lavoro: prorogato al 02/05/2025" in result.steps


def test_t3_observations_then_report_from_their_end():
    observations = run("D4", date(2025, 5, 1))
    assert observations.due_on == date(2025, 5, 21)
    report = run("D5", observations.due_on)
    # Table: 2025-05-31, a Saturday; Sunday 1 June and Monday 2 June (Festa della Repubblica) follow.
    assert report.due_on == date(2025, 6, 3)
    assert report.steps[1:-1] == [
        "Il computo termina sabato 31/05/2025",
        "scade sabato 31/05/2025: atto fuori udienza, prorogato al primo giorno non festivo",
        "01/06/2025 è domenica: prorogato al 02/06/2025",
        "02/06/2025 Festa della Repubblica: prorogato al 03/06/2025",
    ]
    assert report.steps[-1] == "Scadenza: martedì 03/06/2025"


def test_t4_liquidazione_controllata_inventory_and_esdebitazione():
    assert run("D11", date(2025, 6, 10), "liquidazione_controllata").due_on == date(2025, 9, 8)
    esdebitazione = run("D12", date(2025, 6, 10), "liquidazione_controllata")
    # A Saturday, but a "dal" date is when a right matures: art. 155 does not move it.
    assert esdebitazione.due_on == date(2028, 6, 10)
    assert "10/06/2028 sabato: termine «dal», la data non si sposta" in esdebitazione.steps


def test_t5_l3_deposit_hearing_within_sixty_days():
    assert run("D15", date(2021, 1, 15), L3, date(2021, 1, 15)).due_on == date(2021, 3, 16)


def test_t6_backward_terms_before_the_hearing_are_not_moved():
    consents = run("D16", date(2021, 3, 16), L3, date(2020, 11, 2))
    assert consents.due_on == date(2021, 3, 6)  # a Saturday, left where it falls
    assert any("termine a ritroso, non spostato" in step for step in consents.steps)
    communication = run("D16B", consents.due_on, L3, date(2020, 11, 2))
    assert communication.due_on == date(2021, 2, 4)


def test_t7_incapiente_four_years_of_monitoring():
    assert run("D14", date(2024, 2, 1), "esdebitazione_incapiente").due_on == date(2028, 2, 1)


# --- holidays ---------------------------------------------------------------------------------------------

def test_easter_monday_moves_a_term():
    result = compute(NATIONAL, Term(5), date(2025, 4, 16))  # ends on Monday 21 April 2025
    assert result.due_on == date(2025, 4, 22)
    assert "21/04/2025 Lunedì dell'Angelo: prorogato al 22/04/2025" in result.steps


def test_easter_sunday_then_monday():
    result = compute(NATIONAL, Term(4), date(2025, 4, 16))
    assert result.due_on == date(2025, 4, 22)
    assert "20/04/2025 Pasqua: prorogato al 21/04/2025" in result.steps


def test_saint_francis_is_a_holiday_from_2026():
    assert NATIONAL.holiday(date(2025, 10, 4)) is None
    assert "San Francesco" in NATIONAL.holiday(date(2026, 10, 4))  # a Sunday in 2026
    # 4 October 2027 is a Monday: a term ending then moves to Tuesday.
    result = compute(NATIONAL, Term(10), date(2027, 9, 24))
    assert result.due_on == date(2027, 10, 5)
    assert any(step.startswith("04/10/2027 Festa nazionale di San Francesco") for step in result.steps)
    # Before 2026 it was a working day: Monday 4 October 2021 ends a term.
    assert compute(NATIONAL, Term(10), date(2021, 9, 24)).due_on == date(2021, 10, 4)


def test_saturday_moves_acts_outside_a_hearing_only():
    outside = compute(NATIONAL, Term(10), date(2025, 5, 21))
    inside = compute(NATIONAL, Term(10, outside_hearing=False), date(2025, 5, 21))
    assert outside.due_on == date(2025, 6, 3)
    assert inside.due_on == date(2025, 5, 31)
    assert "scade sabato 31/05/2025: atto da compiere in udienza, il sabato non proroga il termine" in inside.steps


def test_holidays_inside_the_term_are_counted():
    # 25 April and 1 May fall inside: they count like any other day.
    assert compute(NATIONAL, Term(14), date(2025, 4, 22)).due_on == date(2025, 5, 6)


# --- backward terms ---------------------------------------------------------------------------------------

def test_backward_term_both_readings():
    hearing, term = date(2025, 6, 12), Term(10, direction="ritroso")
    kept = compute(NATIONAL, term, hearing)
    earlier = compute(NATIONAL, term, hearing, backward_reading="anticipato")
    assert kept.due_on == date(2025, 6, 2)  # Festa della Repubblica, not moved
    assert earlier.due_on == date(2025, 5, 30)  # Monday 2 June, Sunday 1, Saturday 31 May -> Friday 30 May
    assert earlier.steps[2:5] == [
        "02/06/2025 Festa della Repubblica: termine a ritroso, anticipato al 01/06/2025",
        "01/06/2025 è domenica: termine a ritroso, anticipato al 31/05/2025",
        "31/05/2025 sabato: termine a ritroso, anticipato al 30/05/2025",
    ]
    # Never later than the count, whatever the reading.
    assert max(kept.due_on, earlier.due_on) <= date(2025, 6, 2)


# --- August suspension ------------------------------------------------------------------------------------

def test_august_suspension_for_l3_dossiers_pending_on_15_july_2022():
    start = date(2021, 7, 20)
    suspended = compute(NATIONAL, Term(30), start, suspension=august_suspension(L3, date(2021, 3, 1), "entro"))
    assert suspended.due_on == date(2021, 9, 20)  # 30 + 31 days = Sunday 19 September -> Monday
    assert "sospensione feriale dal 01/08/2021 al 31/08/2021: +31 giorni" in suspended.steps
    assert any("Cass. 35976/2022" in step for step in suspended.steps)


def test_no_august_suspension_for_the_codice_della_crisi():
    result = compute(NATIONAL, Term(30), date(2023, 7, 20),
                     suspension=august_suspension(CCII, date(2023, 3, 1), "entro"))
    assert result.due_on == date(2023, 8, 21)  # 30 days end on Saturday 19 August: Monday 21, no suspension
    assert any("art. 9 D.Lgs. 14/2019" in step for step in result.steps)
    assert not any(step.startswith("sospensione feriale dal") for step in result.steps)


def test_no_august_suspension_for_l3_dossiers_filed_after_15_july_2022_or_substantive_terms():
    late = august_suspension(L3, date(2022, 7, 16), "entro")
    substantive = august_suspension(L3, date(2021, 1, 1), "dal")
    assert not late.applies and "non era pendente" in late.reason
    assert not substantive.applies
    assert august_suspension(L3, date(2022, 7, 15), "entro").applies


def test_a_term_starting_in_august_starts_on_the_first_of_september():
    result = compute(NATIONAL, Term(30), date(2021, 8, 5), suspension=august_suspension(L3, date(2021, 1, 1), "entro"))
    assert result.due_on == date(2021, 9, 30)
    assert "il 05/08/2021 cade nel periodo di sospensione feriale: il termine decorre dal 01/09/2021" in result.steps


def test_backward_term_skips_august():
    result = compute(NATIONAL, Term(10, direction="ritroso"), date(2021, 9, 6),
                     suspension=august_suspension(L3, date(2021, 1, 1), "entro"))
    assert result.due_on == date(2021, 7, 27)  # 5 days in September, August skipped, 5 in July


def test_months_term_with_august_inside():
    result = compute(NATIONAL, Term(1, "mesi"), date(2021, 7, 15),
                     suspension=august_suspension(L3, date(2021, 1, 1), "entro"))
    assert result.due_on == date(2021, 9, 15)


# --- months and years -------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, expected", [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 6, 10), 36, date(2028, 6, 10)),
])
def test_months_follow_the_common_calendar_clamped_to_the_month_end(start, months, expected):
    assert add_months(start, months)[0] == expected


def test_thirty_first_of_january_plus_one_month_explains_the_clamp():
    result = compute(NATIONAL, Term(1, "mesi"), date(2025, 1, 31))
    assert result.due_on == date(2025, 2, 28)
    assert any("ultimo giorno del mese, 28/02/2025" in step for step in result.steps)


# --- patron saint -----------------------------------------------------------------------------------------

def test_the_province_patron_by_default():
    turin = Preferences().calendar("TO")  # San Giovanni Battista, 24 June
    assert "San Giovanni" in turin.holiday(date(2025, 6, 24))
    assert compute(turin, Term(10), date(2025, 6, 14)).due_on == date(2025, 6, 25)
    assert compute(NATIONAL, Term(10), date(2025, 6, 14)).due_on == date(2025, 6, 24)


def test_the_order_s_own_patron_or_none():
    own = Preferences(patron_mode="personalizzato", patron_day=4, patron_month=11, patron_name="San Carlo")
    calendar = own.calendar("TO")
    assert calendar.holiday(date(2025, 11, 4)) == "San Carlo (santo patrono)"
    assert calendar.holiday(date(2025, 6, 24)) is None  # the province's no longer counts
    result = compute(calendar, Term(10), date(2025, 10, 25))
    assert result.due_on == date(2025, 11, 5)
    assert "04/11/2025 San Carlo (santo patrono): prorogato al 05/11/2025" in result.steps
    assert Preferences(patron_mode="nessuno").calendar("TO").holiday(date(2025, 6, 24)) is None
    assert WorkingCalendar("").holiday(date(2025, 6, 24)) is None  # no province, no patron


def test_a_patron_on_the_29th_of_february_exists_in_leap_years_only():
    calendar = WorkingCalendar(patron=Patron(29, 2, "Santo bisestile"))
    assert calendar.holiday(date(2024, 2, 29)) == "Santo bisestile (santo patrono)"
    assert calendar.holiday(date(2025, 2, 28)) is None


def test_before_2015_the_suspension_ran_to_15_september():
    suspension = august_suspension(L3, date(2013, 5, 2), "entro")
    result = compute(NATIONAL, Term(30), date(2014, 7, 20), suspension=suspension)
    assert result.due_on == date(2014, 10, 6)  # 30 + 46 days: Saturday 4 October -> Monday 6
    assert "sospensione feriale dal 01/08/2014 al 15/09/2014: +46 giorni" in result.steps
    started = compute(NATIONAL, Term(30), date(2014, 9, 1), suspension=suspension)
    assert started.due_on == date(2014, 10, 15)
    assert "il 01/09/2014 cade nel periodo di sospensione feriale: il termine decorre dal 16/09/2014" in started.steps


@pytest.mark.parametrize("stored", [
    {"patron_mode": "personalizzato", "patron_day": "x", "patron_month": 1, "patron_name": "San X"},
    {"patron_mode": "personalizzato", "patron_day": 1, "patron_month": 1, "patron_name": 5},
    {"window_days": -3}, {"backward": "indietro"}, {"unknown": 1}, 5, "testo",
])
def test_preferences_edited_into_nonsense_fall_back_to_the_defaults(stored):
    assert preferences_of(SimpleNamespace(preferences={"deadlines": stored})) == Preferences()
