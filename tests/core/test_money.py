"""Money: exact Decimals, rounded half up, formatted the Flemish and the English way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import render_template_string

from central.core.money import format_money, task_amount


def test_dutch_money_format():
    assert format_money(Decimal("1234.5"), "nl") == "€\xa01.234,50"


def test_english_money_format():
    assert format_money(Decimal("1234.5"), "en") == "€1,234.50"


def test_money_format_of_none_is_empty():
    assert format_money(None, "nl") == ""


@pytest.mark.parametrize(
    ("price", "quantity", "expected"),
    [("1.005", "1", "1.01"), ("2.675", "1", "2.68"), ("0.004", "1", "0.00"), ("3", "2.5", "7.50")],
)
def test_a_tasks_amount_is_rounded_half_up_to_the_cent(price, quantity, expected):
    assert task_amount(Decimal(price), Decimal(quantity)) == Decimal(expected)


def test_the_money_filter_follows_the_page_language(app):
    template = "{{ amount|money }}"
    with app.test_request_context("/"):
        from flask import session

        assert render_template_string(template, amount=Decimal("1234.5")) == "€\xa01.234,50"
        session["lang"] = "en"
        from flask_babel import refresh

        refresh()
        assert render_template_string(template, amount=Decimal("1234.5")) == "€1,234.50"
