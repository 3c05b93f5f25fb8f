"""The social-impact pages of §7.1: the member's own target and its outside spend on the budget
page, and the member-wide report in Dutch and English, with its chart and tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.clock import frozen_today
from central.core.validators import kbo_with_check_digits
from central.extensions import db
from central.reports import services
from central.reports.models import ExternalSocialSpend
from tests.conftest import csrf_token, use_english
from tests.factories import make_work

KBO = kbo_with_check_digits("04123456")


def spend_form(client, **change):
    return {
        "spend-year": "2025",
        "spend-provider_name": "Kringwinkel Hasselt",
        "spend-enterprise_number": KBO,
        "spend-social_economy_status": "maatwerkbedrijf",
        "spend-amount": "1.250,00",
        "spend-description": "Groenonderhoud",
        "spend-csrf_token": csrf_token(client),
        **change,
    }


def test_a_member_sets_its_target_with_the_budget_and_keeps_it(client, login_as, central):
    login_as(central.users["member_a"])
    token = csrf_token(client)
    for data in (
        {"maintenance_budget": "1000", "social_target_percent": "15,5"},
        {"maintenance_budget": "2000", "social_target_percent": ""},
    ):
        response = client.post("/budgets", data={"year": "2025", "csrf_token": token, **data})
        assert response.status_code == 302
    budget = services.get_budget(central.member_a.id, 2025)
    assert (budget.amount, budget.social_target_percent) == (Decimal("2000.00"), Decimal("15.50"))
    response = client.post(
        "/budgets",
        data={
            "year": "2025",
            "maintenance_budget": "5",
            "social_target_percent": "150",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_a_member_declares_outside_spend_on_the_budget_page(client, login_as, central):
    login_as(central.users["member_a"])
    response = client.post("/budgets/external-spend", data=spend_form(client))
    assert response.status_code == 302
    (spend,) = db.session.scalars(select(ExternalSocialSpend)).all()
    assert (spend.amount, spend.year, spend.member_id) == (
        Decimal("1250.00"),
        2025,
        central.member_a.id,
    )
    html = use_english(client).get("/budgets").get_data(as_text=True)
    assert "Kringwinkel Hasselt" in html and "Custom-work company" in html


@pytest.mark.parametrize(
    "change",
    [
        {"spend-enterprise_number": "0123.456.789"},
        {"spend-amount": "0"},
        {"spend-social_economy_status": "none"},
        {"spend-csrf_token": ""},
    ],
)
def test_bad_outside_spend_rerenders_the_form_and_writes_nothing(client, login_as, central, change):
    login_as(central.users["member_a"])
    response = client.post("/budgets/external-spend", data=spend_form(client, **change))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ExternalSocialSpend)) == 0


@pytest.fixture
def hasselt(central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "100.00"}])
    make_work(
        central.framework.lots[0], central.member_a, central.ordinary, [{"unit_price": "200.00"}]
    )
    make_work(
        central.other_framework.lots[0],
        central.member_a,
        central.provider,
        [{"unit_price": "50.00"}],
    )
    services.set_budget(
        central.member_a,
        2025,
        "1000.00",
        actor=central.users["member_a"],
        social_target_percent="15",
    )
    services.add_external_spend(
        central.member_a,
        2025,
        {
            "provider_name": "Kringwinkel Hasselt",
            "enterprise_number": KBO,
            "social_economy_status": "lde",
            "amount": "20.00",
        },
        actor=central.users["member_a"],
    )
    return central


def test_the_member_wide_page_in_dutch_and_english(client, login_as, hasselt):
    login_as(hasselt.users["member_a"])
    with frozen_today(date(2025, 9, 1)):
        dutch = client.get("/reports/social-impact/member?year=2025").get_data(as_text=True)
        assert "Streefdoel gehaald" in dutch and "17\xa0%" in dutch
        english = use_english(client).get("/reports/social-impact/member?year=2025")
    html = english.get_data(as_text=True)
    assert english.status_code == 200
    assert "Target met" in html and "17\xa0%" in html
    assert "Kringwinkel Hasselt" in html
    assert hasselt.framework.reference in html and hasselt.other_framework.reference in html
    assert html.count("<svg") == 2 and "style=" not in html.split("<main", 1)[-1]


@pytest.mark.parametrize(
    ("who", "status"), [("coordinator", 200), ("member_b", 404), ("provider", 403)]
)
def test_the_member_wide_page_by_role(client, login_as, hasselt, who, status):
    login_as(hasselt.users[who])
    response = client.get(f"/reports/social-impact/member?member={hasselt.member_a.id}&year=2025")
    assert response.status_code == status
    if who == "coordinator":
        html = (
            use_english(client)
            .get(f"/reports/social-impact/member?member={hasselt.member_a.id}&year=2025")
            .get_data(as_text=True)
        )
        assert hasselt.framework.reference in html
        assert hasselt.other_framework.reference not in html
        assert "Kringwinkel Hasselt" not in html
