"""Money is Decimal, exact, rounded half up to the cent, formatted per locale."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency

CENT = Decimal("0.01")


def has_at_most_places(number: Decimal, places: int = 2) -> bool:
    """Whether a finite decimal has at most `places` decimals. Read from its digits, so that it
    never raises: quantising a number as large as 1E+30 overflows the decimal context."""
    if not number.is_finite():
        return False
    _sign, digits, exponent = number.as_tuple()
    if exponent >= -places:
        return True
    return not any(digits[-(-places - exponent) :])


def task_amount(unit_price: Decimal, quantity: Decimal) -> Decimal:
    """The amount of one task excl. VAT (rule 5, §7.1): unit price × quantity, rounded half up
    to the cent. Each task stores it; every value and statement line is a sum of these."""
    return (Decimal(unit_price) * Decimal(quantity)).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_for_base(base: Decimal, rate: Decimal) -> Decimal:
    """The VAT on the total at one rate (a percentage), rounded half up to the cent: as an
    invoice and a statement carry it, on the total per rate, never line by line."""
    return (Decimal(base) * Decimal(rate) / Decimal("100")).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, locale: str = "nl") -> str:
    """`€ 1.234,50` in Dutch, `€1,234.50` in English."""
    if amount is None:
        return ""
    babel_locale = "nl_BE" if locale == "nl" else "en_IE"
    text = format_currency(amount, "EUR", locale=babel_locale, format_type="standard")
    if locale == "nl":
        # Flemish usage puts the euro sign in front: € 1.234,50.
        number = text.replace("€", "").replace("\xa0", "").strip()
        return f"€\xa0{number}"
    return text.replace("\xa0", "")
