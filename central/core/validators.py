"""Identifiers of Belgian organisations and payments: the KBO enterprise number, the NIS code,
the IBAN (ISO 13616) and the Belgian structured communication (+++ddd/dddd/ddddd+++)."""

from __future__ import annotations

import re

from central.core.errors import N_

_KBO_RE = re.compile(r"^[01]\d{9}$")
_NIS_RE = re.compile(r"^\d{5}$")
_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
# Country code and length of the IBANs of the SEPA countries a Belgian provider banks with.
IBAN_LENGTHS = {
    "BE": 16, "NL": 18, "LU": 20, "FR": 27, "DE": 22, "AT": 20, "ES": 24, "IT": 27,
    "PT": 25, "IE": 22, "FI": 18, "DK": 18, "SE": 24, "NO": 15, "PL": 28, "CZ": 24,
    "SK": 24, "SI": 19, "HR": 21, "HU": 28, "RO": 24, "BG": 22, "GR": 27, "CY": 28,
    "MT": 31, "EE": 20, "LV": 21, "LT": 20, "CH": 21, "LI": 21, "IS": 26, "GB": 22,
    "MC": 27, "SM": 27,
}  # fmt: skip


def normalise_enterprise_number(raw: str) -> str:
    """Return the KBO number as `0123.456.789`, or raise ValueError saying why it is invalid.

    Ten digits, the first 0 or 1; the last two are 97 minus the first eight modulo 97.
    """
    digits = re.sub(r"[\s.\-]", "", raw or "")
    if digits.upper().startswith("BE"):
        digits = digits[2:]
    if len(digits) == 9 and digits.isdigit():
        digits = "0" + digits  # numbers issued before 2023 are often written without the 0
    if not _KBO_RE.match(digits):
        raise ValueError(N_("An enterprise number has ten digits and starts with 0 or 1."))
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        raise ValueError(N_("This enterprise number fails the mod-97 check; check for a typo."))
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def kbo_with_check_digits(first_eight: str) -> str:
    """Complete eight digits with their mod-97 check digits (used for demo and test data)."""
    check = 97 - int(first_eight) % 97
    return normalise_enterprise_number(f"{first_eight}{check:02d}")


def validate_nis_code(raw: str) -> str:
    """A NIS code is five digits."""
    value = (raw or "").strip()
    if not _NIS_RE.match(value):
        raise ValueError(N_("A NIS code has five digits."))
    return value


def normalise_iban(raw: str) -> str:
    """Return the IBAN without spaces, in capitals, or raise ValueError saying why it is invalid.

    ISO 13616: a country code, two check digits and the account; moved four characters to the
    end and read with A=10 ... Z=35, the number modulo 97 is 1."""
    value = re.sub(r"[\s.\-]", "", raw or "").upper()
    if not _IBAN_RE.match(value):
        raise ValueError(
            N_("An IBAN starts with a country code and two digits, e.g. BE68 5390 0754 7034.")
        )
    if IBAN_LENGTHS.get(value[:2], len(value)) != len(value):
        raise ValueError(N_("This IBAN has the wrong length for its country."))
    digits = "".join(str(int(ch, 36)) for ch in value[4:] + value[:4])
    if int(digits) % 97 != 1:
        raise ValueError(N_("This IBAN fails the mod-97 check; check for a typo."))
    return value


def format_iban(iban: str) -> str:
    """An IBAN in groups of four, as it is printed."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def structured_communication(base: int) -> str:
    """The Belgian structured communication (OGM/VCS) of a ten-digit number: the number and two
    check digits (the number modulo 97, or 97 when that is 0), written +++ddd/dddd/ddddd+++."""
    if not 0 < base < 10**10:
        raise ValueError("a structured communication holds a number of at most ten digits")
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def is_structured_communication(value: str) -> bool:
    """Whether a text is a well-formed structured communication with valid check digits."""
    match = re.fullmatch(r"\+\+\+(\d{3})/(\d{4})/(\d{5})\+\+\+", value or "")
    if not match:
        return False
    digits = "".join(match.groups())
    base, check = int(digits[:10]), int(digits[10:])
    return base > 0 and (base % 97 or 97) == check
