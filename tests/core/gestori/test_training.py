"""The biennial 40-hour update, counted from each gestore's own enrolment date."""
from datetime import date
from decimal import Decimal

import pytest

from occ_core.gestori.training import bienni, biennium_index, training_status

ENROLLED = date(2020, 3, 15)


def hours(*pairs):
    return [(day, Decimal(h)) for day, h in pairs]


def test_bienni_run_from_the_enrolment_date_not_the_calendar():
    periods = bienni(ENROLLED, [], date(2024, 3, 15))
    assert [(p.start, p.end) for p in periods] == [
        (date(2020, 3, 15), date(2022, 3, 14)),
        (date(2022, 3, 15), date(2024, 3, 14)),
        (date(2024, 3, 15), date(2026, 3, 14)),
    ]


@pytest.mark.parametrize("day, index", [
    (date(2020, 3, 15), 0), (date(2022, 3, 14), 0), (date(2022, 3, 15), 1), (date(2024, 3, 14), 1),
    (date(2024, 3, 15), 2), (date(2020, 3, 14), -1),
])
def test_edges_of_a_biennium(day, index):
    assert biennium_index(ENROLLED, day) == index


def test_hours_on_the_last_and_first_day_count_in_their_own_biennium():
    trainings = hours((date(2022, 3, 14), "20"), (date(2021, 1, 10), "20"), (date(2022, 3, 15), "7"))
    first, second = bienni(ENROLLED, trainings, date(2023, 1, 1))
    assert first.hours == Decimal("40") and first.fulfilled
    assert second.hours == Decimal("7")


def test_first_biennium_is_in_regola_without_hours():
    status = training_status(ENROLLED, [], date(2022, 3, 14))
    assert status.in_regola and status.first_biennium
    assert status.progress == "0 di 40 ore, mancano 40 entro il 14/03/2022"


def test_status_is_decided_on_the_last_completed_biennium():
    trainings = hours((date(2021, 5, 1), "40"), (date(2023, 6, 1), "38"), (date(2024, 9, 1), "22"))
    # On the last day of the second biennium the first (40 hours) decides: in regola.
    assert training_status(ENROLLED, trainings, date(2024, 3, 14)).in_regola
    # The day after, the second biennium (38 hours) is the last completed: 2 hours missing.
    status = training_status(ENROLLED, trainings, date(2025, 11, 26))
    assert not status.in_regola
    assert status.verdict == "Non in regola: 38 ore di 40 nel biennio 15/03/2022–14/03/2024 (mancano 2)"
    assert status.progress == "22 di 40 ore, mancano 18 entro il 14/03/2026"


def test_the_other_reading_accepts_a_shortfall_made_good_in_the_running_biennium():
    trainings = hours((date(2021, 5, 1), "40"), (date(2023, 6, 1), "38"), (date(2024, 9, 1), "22"),
                      (date(2025, 1, 10), "18.5"))
    strict = training_status(ENROLLED, trainings, date(2025, 2, 1), "last_completed")
    lenient = training_status(ENROLLED, trainings, date(2025, 2, 1), "last_completed_or_current")
    assert not strict.in_regola
    assert lenient.in_regola
    assert lenient.current.hours == Decimal("40.5")
    assert "recuperate" in lenient.verdict
    assert lenient.progress == "40,5 di 40 ore: obbligo del biennio in corso assolto"


def test_enrolment_on_29_february():
    enrolled = date(2020, 2, 29)
    periods = bienni(enrolled, [], date(2024, 3, 1))
    assert [(p.start, p.end) for p in periods] == [
        (date(2020, 2, 29), date(2022, 2, 28)),
        (date(2022, 3, 1), date(2024, 2, 28)),
        (date(2024, 2, 29), date(2026, 2, 28)),
    ]


def test_not_yet_enrolled_has_no_biennium():
    status = training_status(date(2030, 1, 1), [], date(2026, 1, 1))
    assert status.current is None and status.in_regola
