"""How Central writes dates, times and numbers for people: nl-BE in Dutch, en-GB in English,
times in Brussels time. One style each, used by every page, mail and chart (Babel)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from central.core.clock import BRUSSELS

_BABEL_LOCALES = {"nl": "nl_BE", "en": "en_GB"}


def babel_locale(language: str | None = None) -> str:
    """The Babel locale of a UI language ("nl" → nl_BE); the request's language by default."""
    if language is None:
        from flask_babel import get_locale

        language = str(get_locale() or "nl")
    return _BABEL_LOCALES.get(language.split("_")[0], "nl_BE")


def format_day(
    value: date | datetime | None, style: str = "medium", language: str | None = None
) -> str:
    """A date: "5 dec 2026" (medium), or "zaterdag 5 december 2026" (full, where the weekday
    matters: the day a crew goes out). A moment is taken in Brussels time first."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = in_brussels(value).date()
    return format_date(value, style, locale=babel_locale(language))


def format_moment(value: datetime | None, language: str | None = None) -> str:
    """A moment in Brussels time: "5 dec 2026 14:30"."""
    if value is None:
        return ""
    local = in_brussels(value)
    locale = babel_locale(language)
    day = format_date(local.date(), "medium", locale=locale)
    return f"{day} {format_datetime(local, 'HH:mm', locale=locale)}"


def format_number(
    value: Decimal | float | int | None, places: int | None = None, language: str | None = None
) -> str:
    """A number in the reader's style ("1.234,5" in Dutch); `places` fixes the decimals,
    otherwise up to three are shown as needed."""
    if value is None:
        return ""
    decimals = "0" * places if places is not None else "###"
    pattern = f"#,##0.{decimals}" if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=babel_locale(language))


def format_percent(
    value: Decimal | float | int | None, places: int | None = None, language: str | None = None
) -> str:
    """A percentage given in percent: 60 → "60 %", 21.00 → "21 %", 12.5 → "12,5 %" (up to two
    decimals as needed unless `places` fixes them), with a non-breaking space before %."""
    if value is None:
        return ""
    if places is None:
        number = format_decimal(value, format="#,##0.##", locale=babel_locale(language))
    else:
        number = format_number(value, places, language)
    return f"{number}\xa0%"


def format_km(value: Decimal | float | int | None, language: str | None = None) -> str:
    """A distance in km with two decimals: "0,43 km"."""
    if value is None:
        return ""
    return f"{format_number(value, 2, language)}\xa0km"


def format_months(months: list[int] | None, language: str | None = None) -> str:
    """Month numbers by their names: [4, 5, 9] → "apr, mei, sep" in Dutch."""
    from babel.dates import get_month_names

    names = get_month_names("abbreviated", locale=babel_locale(language))
    return ", ".join(str(names[m]).rstrip(".") for m in months or [] if 1 <= m <= 12)


def in_brussels(moment: datetime) -> datetime:
    """A stored (UTC) moment as Brussels time; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BRUSSELS)
