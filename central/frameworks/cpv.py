"""The Common Procurement Vocabulary (CPV 2008, Regulation (EC) 213/2008): the vendored list of
its 9,454 codes (data/cpv_2008.csv, see data/NOTICE.md), read once on first use."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "cpv_2008.csv"
# Eight digits, a dash and the check digit, e.g. 50413200-5.
CODE_PATTERN = re.compile(r"^\d{8}-\d$")


@cache
def vocabulary() -> dict[str, str]:
    """Every CPV 2008 code with its English label."""
    with DATA.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["label_en"] for row in csv.DictReader(handle)}


def label(code: str) -> str | None:
    """The code's label, or None for a code that is not in the list."""
    return vocabulary().get(code)


def is_well_formed(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def is_known(code: str) -> bool:
    return code in vocabulary()
