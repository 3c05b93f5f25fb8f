"""The business clock: `today()` is what jobs and rules use, and tests or `--today` can move it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
_override: date | None = None


def today() -> date:
    """The current business date in Europe/Brussels, unless moved by `frozen_today`."""
    if _override is not None:
        return _override
    return datetime.now(BRUSSELS).date()


@contextmanager
def frozen_today(day: date) -> Iterator[None]:
    """Move the business clock to `day` for the duration of the block."""
    global _override
    previous, _override = _override, day
    try:
        yield
    finally:
        _override = previous
