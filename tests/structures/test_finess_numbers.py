import pytest
from django.core.exceptions import ValidationError

from structures.finess import (
    departement_code,
    fold,
    is_valid_finess,
    validate_finess,
    with_check_digit,
)


@pytest.mark.parametrize(
    "number",
    ["010000024", "310000021", "2A0000097", "2A0000089", "660000027", "430000026"],
)
def test_valid_numbers_from_the_register_pass(number):
    assert is_valid_finess(number)


@pytest.mark.parametrize(
    "number",
    [
        "010000025",  # wrong check digit
        "01000002",  # too short
        "0100000240",  # too long
        "2C0000097",  # no such Corsican code
        "3A0000097",  # a letter outside Corsica
        "01000002X",
        "",
        " 010000024",
    ],
)
def test_invalid_numbers_are_refused(number):
    assert not is_valid_finess(number)
    with pytest.raises(ValidationError):
        validate_finess(number)


def test_corsican_numbers_read_2a_as_21_for_the_check_digit():
    # 2A... is valid exactly when 21... is.
    assert is_valid_finess("2A0000097") == is_valid_finess("210000097")
    assert is_valid_finess(with_check_digit("2B123456"))


def test_check_digit_completion_gives_valid_numbers():
    for prefix in ["01000002", "97010000", "2A000008", "75999999"]:
        assert is_valid_finess(with_check_digit(prefix))


@pytest.mark.parametrize(
    ("finess", "commune", "expected"),
    [
        ("310000021", "31555", "31"),
        ("2A0000097", "2A004", "2A"),
        ("970100010", "97105", "9A"),
        ("970400010", "", "9D"),
        ("976000010", "", "9F"),
        ("310000021", "", "31"),
        ("", "", ""),
    ],
)
def test_departement_codes_follow_the_register(finess, commune, expected):
    assert departement_code(finess, commune) == expected


def test_fold_removes_accents_case_and_punctuation():
    assert fold("HÔPITAL SAINT-JEAN") == "hopital saint jean"
    assert fold("  Œuvre  d'Éole ") == "oeuvre d eole"
