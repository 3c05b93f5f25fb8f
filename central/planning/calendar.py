"""The working calendar and a provider's crews (SPEC §7.5).

A working day is a weekday that is not a Belgian public holiday (the `holidays` package). A
provider is open on a working day it did not close; a crew on one that neither the provider nor
that crew closed. A crew does one round a day on at most `days_per_week` days of a week, so a
provider's crews bound the rounds it gets in a week (over all its lots and frameworks) and on a
day. A provider with no crews on record is bounded by its awards' capacities alone.

`ProviderCalendar` reads the crews and closures of some providers once, from one day on, and
answers the questions assignment asks for many rounds without another query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.planning.models import Closure, Crew

WORKING_WEEKDAYS = 5  # Monday to Friday
LATE_WEEKS = 8  # how far ahead a round past its due date (or moved by a closure) may go
# Days a closure may name: a plan of this century (far dates are typos, not plans).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


@lru_cache(maxsize=64)
def _belgian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year))


def is_public_holiday(day: date) -> bool:
    """A Belgian public holiday (New Year, Easter Monday, 1 May, Ascension, Whit Monday,
    21 July, 15 August, 1 and 11 November, Christmas)."""
    return day in _belgian_holidays(day.year)


def is_working_day(day: date) -> bool:
    """A weekday that is not a Belgian public holiday."""
    return day.weekday() < WORKING_WEEKDAYS and not is_public_holiday(day)


@dataclass
class ProviderCalendar:
    """The crews and closures of a set of providers, from `since` on (loaded once)."""

    since: date
    crews: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # (crew id, days)
    # (start, end, crew id or None for the whole provider)
    closures: dict[int, list[tuple[date, date, int | None]]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, provider_ids: Iterable[int], since: date) -> ProviderCalendar:
        ids = sorted(set(provider_ids))
        calendar = cls(since=since)
        if not ids:
            return calendar
        crews: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for provider_id, crew_id, days in session.execute(
            select(Crew.provider_id, Crew.id, Crew.days_per_week)
            .where(Crew.provider_id.in_(ids))
            .order_by(Crew.provider_id, Crew.id)
        ):
            crews[provider_id].append((crew_id, days))
        closures: dict[int, list[tuple[date, date, int | None]]] = defaultdict(list)
        for provider_id, start, end, crew_id in session.execute(
            select(Closure.provider_id, Closure.start_date, Closure.end_date, Closure.crew_id)
            .where(Closure.provider_id.in_(ids), Closure.end_date >= since)
            .order_by(Closure.provider_id, Closure.start_date, Closure.id)
        ):
            closures[provider_id].append((start, end, crew_id))
        calendar.crews = dict(crews)
        calendar.closures = dict(closures)
        return calendar

    def has_crews(self, provider_id: int) -> bool:
        return bool(self.crews.get(provider_id))

    def is_open(self, provider_id: int, day: date, crew_id: int | None = None) -> bool:
        """Whether the provider (or that crew of it) works on `day`."""
        if not is_working_day(day):
            return False
        for start, end, closed_crew in self.closures.get(provider_id, ()):
            if start <= day <= end and (closed_crew is None or closed_crew == crew_id):
                return False
        return True

    def crews_open(self, provider_id: int, day: date) -> int:
        """How many of the provider's crews work on `day` (the rounds it can do that day)."""
        if not self.is_open(provider_id, day):
            return 0
        return sum(
            1
            for crew_id, _ in self.crews.get(provider_id, ())
            if self.is_open(provider_id, day, crew_id)
        )

    def week_capacity(self, provider_id: int, week: date) -> int:
        """Rounds the provider's crews do in the week of Monday `week`: each crew one a day, on
        at most its days a week, counted over the days it is open."""
        days = [week + timedelta(days=i) for i in range(WORKING_WEEKDAYS)]
        total = 0
        for crew_id, days_per_week in self.crews.get(provider_id, ()):
            open_days = sum(1 for day in days if self.is_open(provider_id, day, crew_id))
            total += min(days_per_week, open_days)
        return total

    def open_days(self, provider_id: int, week: date, today: date) -> list[date]:
        """The provider's open working days of the week of Monday `week`, from the later of
        today and that Monday on (never a day in the past)."""
        first = max(today, week)
        days = [week + timedelta(days=i) for i in range(WORKING_WEEKDAYS)]
        return [day for day in days if day >= first and self.is_open(provider_id, day)]
