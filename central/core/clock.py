"""The business clock: `today()` is what jobs and rules use, and tests or `--today` can move it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
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


def now_on(day: date) -> datetime:
    """The current time of day on the business date `day` (the real time unless `--today` moved
    the clock), in UTC: what a job or a request stamps on the work it changes."""
    local = datetime.now(BRUSSELS)
    if local.date() == day:
        return local.astimezone(UTC)
    return datetime.combine(day, local.time(), BRUSSELS).astimezone(UTC)


def business_now() -> datetime:
    """Now, on the business date (moved by `--today` in development and tests)."""
    return now_on(today())
