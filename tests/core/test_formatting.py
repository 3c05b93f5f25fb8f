"""One style for each kind of value: nl-BE in Dutch, en-GB in English, Brussels time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from central.core.formatting import (
    format_day,
    format_km,
    format_moment,
    format_number,
    format_percent,
)


def test_dates_are_written_one_way_in_dutch_and_in_english():
    day = date(2026, 12, 5)
    assert format_day(day, language="nl") == "5 dec 2026"
    assert format_day(day, language="en") == "5 Dec 2026"
    assert format_day(day, "full", language="nl") == "zaterdag 5 december 2026"


def test_moments_are_shown_in_brussels_time_also_across_midnight():
    late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # 00:30 on 6 December in Brussels
    assert format_moment(late, language="nl") == "6 dec 2026 00:30"
    assert format_day(late, language="nl") == "6 dec 2026"
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert format_moment(summer, language="en") == "1 Jul 2026 12:00"


def test_numbers_percentages_and_distances_use_the_dutch_decimal_comma():
    assert format_number(Decimal("1234.5"), language="nl") == "1.234,5"
    assert format_number(Decimal("1.5"), language="en") == "1.5"
    assert format_percent(Decimal("21.00"), language="nl") == "21\xa0%"
    assert format_percent(Decimal("12.5"), language="nl") == "12,5\xa0%"
    assert format_percent(Decimal("60"), 1, language="nl") == "60,0\xa0%"
    assert format_km(Decimal("0.43"), language="nl") == "0,43\xa0km"
    assert format_percent(None) == "" and format_day(None) == ""


def test_months_are_named_in_the_readers_language():
    from central.core.formatting import format_months

    assert format_months([4, 5, 9], "nl") == "apr, mei, sep"
    assert format_months([4, 5, 9], "en") == "Apr, May, Sept"  # en-GB
    assert format_months([], "nl") == ""
