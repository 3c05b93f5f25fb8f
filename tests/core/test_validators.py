"""KBO enterprise numbers (mod-97) and NIS codes."""

from __future__ import annotations

import pytest

from central.core.validators import (
    kbo_with_check_digits,
    normalise_enterprise_number,
    validate_nis_code,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0207446673", "0207.446.673"),
        ("0207.446.673", "0207.446.673"),
        ("0207 446 673", "0207.446.673"),
        ("BE0207446673", "0207.446.673"),
        ("BE 0207.446.673", "0207.446.673"),
        ("be0207-446-673", "0207.446.673"),
        # Numbers from before 2023 are often written with nine digits, without the leading 0.
        ("207446673", "0207.446.673"),
        ("207.446.673", "0207.446.673"),
    ],
)
def test_valid_enterprise_numbers_are_normalised(raw, expected):
    assert normalise_enterprise_number(raw) == expected


def test_an_enterprise_number_with_a_bad_checksum_is_refused():
    with pytest.raises(ValueError, match="mod-97"):
        normalise_enterprise_number("0207446674")
    with pytest.raises(ValueError, match="mod-97"):
        normalise_enterprise_number("207446674")


@pytest.mark.parametrize(
    "raw", ["", "12345678", "02074466731", "020744667A", "ABCDEFGHIJ", "2207446673", "BE"]
)
def test_malformed_enterprise_numbers_are_refused(raw):
    with pytest.raises(ValueError, match="ten digits"):
        normalise_enterprise_number(raw)


def test_check_digits_of_a_multiple_of_97_are_97():
    # 97 - 0 = 97: the only case where the check digits are not below 97.
    assert kbo_with_check_digits("00000097") == "0000.009.797"
    assert normalise_enterprise_number("0000000097") == "0000.000.097"


def test_kbo_with_check_digits_completes_eight_digits():
    assert kbo_with_check_digits("02074466") == "0207.446.673"


@pytest.mark.parametrize("raw", ["36015", " 36015 "])
def test_valid_nis_codes(raw):
    assert validate_nis_code(raw) == "36015"


@pytest.mark.parametrize("raw", ["", "3601", "360155", "3601A"])
def test_invalid_nis_codes_are_refused(raw):
    with pytest.raises(ValueError, match="five digits"):
        validate_nis_code(raw)
