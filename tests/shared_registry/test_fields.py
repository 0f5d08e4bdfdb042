"""Codice fiscale (with omocodia), field parsers, credits and record validation: no database needed."""
from datetime import date
from decimal import Decimal

import pytest
from stdnum.it import codicefiscale

from shared_registry.fields import (
    FIELDS, OMOCODIA_LETTERS, OMOCODIA_POSITIONS, FieldError, birth_data_from_codice_fiscale,
    normalize_codice_fiscale,
)
from shared_registry.services import parse_credits, parse_record

MALE = "RCCMNL83S18D969H"  # Rocco Manuel, born 18/11/1983 in Napoli (python-stdnum's example)
FEMALE = "CNTCHR83T41D969D"  # born 01/12/1983


def omocode(code: str, substitutions: int, positions=OMOCODIA_POSITIONS) -> str:
    """``code`` with its rightmost ``substitutions`` digits replaced by letters, check letter recomputed."""
    chars = list(code[:15])
    for position in positions[:substitutions]:
        chars[position] = OMOCODIA_LETTERS[int(chars[position])]
    body = "".join(chars)
    return body + codicefiscale.calc_check_digit(body)


def test_codice_fiscale_is_compacted_and_upper_cased():
    assert normalize_codice_fiscale("  rccmnl 83s18 d969h ") == MALE


@pytest.mark.parametrize("value, message", [
    ("", "obbligatorio"),
    (None, "obbligatorio"),
    ("RCCMNL83S18D969X", "non è valido"),  # wrong check letter
    ("RCCMNL83S18D969", "non è valido"),  # too short
    ("12345678901234567", "non è valido"),
    ("01114601006", "partita IVA"),  # a valid partita IVA is not a person's code
])
def test_invalid_codice_fiscale_is_refused_in_italian(value, message):
    with pytest.raises(FieldError) as error:
        normalize_codice_fiscale(value)
    assert error.value.field == "codice_fiscale"
    assert message in error.value.message


@pytest.mark.parametrize("substitutions", range(1, 8))
def test_every_omocodic_variant_is_valid_and_keeps_birth_data(substitutions):
    variant = omocode(MALE, substitutions)
    assert variant != MALE
    assert normalize_codice_fiscale(variant.lower()) == variant
    assert birth_data_from_codice_fiscale(variant) == (date(1983, 11, 18), "M")


@pytest.mark.parametrize("substitutions", [5, 7])
def test_substituted_day_digits_keep_female_gender_and_day(substitutions):
    # Positions 9 and 10 (the day, 41 for a woman born on the 1st) are letters from 5 substitutions on.
    variant = omocode(FEMALE, substitutions)
    assert not variant[9:11].isdigit()
    assert birth_data_from_codice_fiscale(variant) == (date(1983, 12, 1), "F")


def test_omocodia_must_start_from_the_rightmost_digit():
    out_of_order = omocode(MALE, 1, positions=(6,))  # only the year's first digit replaced
    assert codicefiscale.is_valid(out_of_order)  # python-stdnum does not check the order
    with pytest.raises(FieldError) as error:
        normalize_codice_fiscale(out_of_order)
    assert "omocodia" in error.value.message


def test_impossible_birth_day_is_refused_although_stdnum_accepts_it():
    body = MALE[:9] + "81" + MALE[11:15]  # day 81 is neither 1-31 (men) nor 41-71 (women)
    code = body + codicefiscale.calc_check_digit(body)
    assert codicefiscale.is_valid(code)
    with pytest.raises(FieldError) as error:
        normalize_codice_fiscale(code)
    assert "data di nascita impossibile" in error.value.message


def test_century_is_chosen_so_that_a_registrant_is_an_adult():
    code = "RCCMNL05S18D969" + codicefiscale.calc_check_digit("RCCMNL05S18D969")
    assert birth_data_from_codice_fiscale(code, today=date(2026, 1, 1))[0] == date(2005, 11, 18)
    assert birth_data_from_codice_fiscale(code, today=date(2020, 1, 1))[0] == date(1905, 11, 18)


@pytest.mark.parametrize("name, raw, expected", [
    ("birth_date", "18/11/1983", date(1983, 11, 18)),
    ("birth_date", "1983-11-18", date(1983, 11, 18)),
    ("birth_date", "18.11.1983", date(1983, 11, 18)),
    ("birth_date", "", None),
    ("category", "Commercialista ed esperto contabile", "commercialista"),
    ("category", "AVVOCATO", "avvocato"),
    ("status", "sospeso", "sospeso"),
    ("email", " Mario.Rossi@Studio.IT ", "mario.rossi@studio.it"),
    ("province", "mi", "MI"),
    ("birth_province", "ee", "EE"),
    ("specialisations", "Crisi d'impresa; Diritto bancario | Famiglia", ["Crisi d'impresa", "Diritto bancario", "Famiglia"]),
    ("specialisations", ["Uno;Due", " Tre "], ["Uno", "Due", "Tre"]),
    ("specialisations", None, []),
    ("phone", "+39 02 1234567", "+39 02 1234567"),
    ("postal_code", "20121", "20121"),
    ("registration_number", 1234, "1234"),
])
def test_field_parsers(name, raw, expected):
    assert FIELDS[name].parse(name, raw) == expected


@pytest.mark.parametrize("name, raw, message", [
    ("last_name", "  ", "Campo obbligatorio"),
    ("last_name", "x" * 101, "Al massimo 100"),
    ("last_name", {"a": 1}, "è atteso un testo"),
    ("birth_date", "31/02/1983", "non valida"),
    ("birth_date", "01/01/1800", "fuori dall'intervallo"),
    ("category", "ingegnere", "non ammesso"),
    ("category", "", "obbligatorio"),
    ("email", "non-una-email", "non è un indirizzo di posta valido"),
    ("pec", "a@b", "non è un indirizzo di posta valido"),
    ("phone", "chiamare ore pasti", "non valido"),
    ("postal_code", "2012", "5 cifre"),
    ("province", "Milano", "Sigla"),
    ("specialisations", ["x" * 101], "100 caratteri"),
    ("specialisations", [{"a": 1}], "è atteso un testo"),
])
def test_field_parsers_refuse_bad_values_in_italian(name, raw, message):
    with pytest.raises(FieldError) as error:
        FIELDS[name].parse(name, raw)
    assert message in error.value.message


def test_credits_from_text_and_from_json():
    assert parse_credits("2024:15; 2025:20,5") == {2024: Decimal("15.00"), 2025: Decimal("20.50")}
    assert parse_credits({"2025": 20, "2023": "7.25"}) == {2025: Decimal("20.00"), 2023: Decimal("7.25")}
    assert parse_credits("") == {} and parse_credits(None) == {}


@pytest.mark.parametrize("value, message", [
    ("2025", "non validi"),
    ("2025:venti", "non validi"),
    ("1900:10", "fuori dai limiti"),
    ("2025:-1", "fuori dai limiti"),
    ("2025:5000", "fuori dai limiti"),
    ("2025:NaN", "fuori dai limiti"),
    ("2025:10;2025:12", "due volte"),
    ({"2025": [1]}, "non validi"),
    ([2025, 20], "indicare anno e crediti"),
])
def test_bad_credits_are_refused(value, message):
    with pytest.raises(FieldError) as error:
        parse_credits(value)
    assert message in error.value.message


def test_record_derives_birth_data_and_gender_from_the_code():
    record = parse_record({"codice_fiscale": omocode(FEMALE, 7), "last_name": "Conti", "first_name": "Chiara"})
    assert record.errors == {}
    assert record.values["birth_date"] == date(1983, 12, 1)
    assert record.values["gender"] == "F"


def test_record_refuses_a_birth_date_that_contradicts_the_code():
    record = parse_record({"codice_fiscale": MALE, "last_name": "R", "first_name": "M", "birth_date": "19/11/1983"})
    assert record.errors == {"birth_date": "La data di nascita non corrisponde al codice fiscale."}


def test_record_keeps_a_stated_birth_date_a_century_apart_from_the_decoded_one():
    # The code carries two digits of the year only: the stated date decides the century.
    code = "RCCMNL05S18D969" + codicefiscale.calc_check_digit("RCCMNL05S18D969")
    record = parse_record({"codice_fiscale": code, "last_name": "R", "first_name": "M", "birth_date": "18/11/1905"})
    assert record.errors == {} and record.values["birth_date"] == date(1905, 11, 18)
    record = parse_record({"codice_fiscale": code, "last_name": "R", "first_name": "M", "birth_date": "18/11/1805"})
    assert "fuori dall'intervallo" in record.errors["birth_date"]


def test_record_requires_names_unless_partial_and_refuses_unknown_fields():
    record = parse_record({"codice_fiscale": MALE, "colore": "blu"})
    assert record.errors == {"last_name": "Campo obbligatorio.", "first_name": "Campo obbligatorio.",
                             "colore": "Campo sconosciuto."}
    partial = parse_record({"codice_fiscale": MALE, "email": "a@b.it"}, partial=True)
    assert partial.errors == {}
    assert set(partial.values) == {"email", "gender"}  # nothing else is touched by a partial update


def test_control_characters_never_reach_the_registry():
    """Pasted from elsewhere, or sent by a client: PostgreSQL refuses NUL, and XML exports any C0 control."""
    record = parse_record({"codice_fiscale": MALE, "last_name": "\x00Rossi\x07", "first_name": "Ma\x1frio"})
    assert (record.values["last_name"], record.values["first_name"]) == ("Rossi", "Mario")
    assert parse_record({"codice_fiscale": MALE, "last_name": "\x00\x07", "first_name": "Mario"}).errors == {
        "last_name": "Campo obbligatorio."}
