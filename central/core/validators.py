"""Identifiers of Belgian organisations (the KBO enterprise number, the NIS code) and plain text
checks."""

from __future__ import annotations

import re
import unicodedata

from central.core.errors import N_

_KBO_RE = re.compile(r"^[01]\d{9}$")
_NIS_RE = re.compile(r"^\d{5}$")


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


def has_control_characters(text: str) -> bool:
    """Whether text holds a control character or a line or paragraph separator: such text
    cannot be one line of a header, a file name or a CSV cell."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text)
