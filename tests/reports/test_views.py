"""Reports pages: each page for each role × own / other tenant, the budget form and the credit
form (CSRF, bad input re-renders with 400 and writes nothing), charts with a table next to
them and no inline style."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.clock import frozen_today
from central.extensions import db
from central.reports import services
from central.reports.models import Credit, MaintenanceBudget, Statement
from tests.conftest import csrf_token, use_english
from tests.factories import make_work

DAY = date(2025, 7, 15)


@pytest.fixture
def billed(central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "18.50"}] * 2)
    make_work(central.lot, central.member_b, central.provider, [{"unit_price": "30.00"}])
    services.issue_statements(db.session, date(2025, 7, 1))
    return central


def statement_of(member) -> Statement:
    return db.session.scalar(select(Statement).where(Statement.member_id == member.id))


def page(client, url):
    with frozen_today(DAY):
        return client.get(url)


@pytest.mark.parametrize(
    ("who", "status"),
    [("member_a", 200), ("coordinator", 200), ("provider", 403), ("admin", 403)],
)
@pytest.mark.parametrize(
    "url",
    [
        "/reports",
        "/budgets",
        "/statements",
        "/reports/statement?month=2025-06",
        "/reports/social-impact?year=2025",
    ],
)
def test_report_pages_by_role(client, login_as, billed, who, status, url):
    login_as(billed.users[who])
    response = page(client, url)
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 200), ("member_a", 403), ("provider", 403), ("admin", 403)],
)
def test_the_consumption_page_is_the_coordinators(client, login_as, billed, who, status):
    login_as(billed.users[who])
    assert page(client, "/reports/consumption").status_code == status


@pytest.mark.parametrize(
    ("who", "framework"), [("coordinator", "other_framework"), ("other_coordinator", "framework")]
)
def test_the_consumption_page_of_another_authoritys_framework(
    client, login_as, billed, who, framework
):
    login_as(billed.users[who])
    url = f"/reports/consumption?framework={getattr(billed, framework).id}"
    assert page(client, url).status_code == 404  # not named in it: outside reach


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("member_a", "member_a", 200),
        ("member_a", "member_b", 404),
        ("member_b", "member_a", 404),
        ("coordinator", "member_a", 200),
        ("other_coordinator", "member_b", 404),
        ("provider", "member_a", 404),
        ("admin", "member_a", 404),
    ],
)
def test_statement_pages_by_role(client, login_as, billed, who, whose, status):
    statement = statement_of(getattr(billed, whose))
    login_as(billed.users[who])
    for url in (f"/statements/{statement.id}", f"/statements/{statement.id}/print"):
        assert page(client, url).status_code == status


def test_the_statement_page_shows_the_order_reference_and_totals(client, login_as, billed):
    use_english(client)
    statement = statement_of(billed.member_a)
    login_as(billed.users["member_a"])
    html = page(client, f"/statements/{statement.id}").get_data(as_text=True)
    assert "ARD-2025-0042" in html and statement.number in html
    assert "€44.77" in html  # 37.00 + 7.77 VAT
    assert "Decide a credit" not in html
    assert f"/api/v1/statements/{statement.id}?format=ubl" in html


def test_the_month_page_of_another_member_is_404(client, login_as, billed):
    login_as(billed.users["member_a"])
    url = f"/reports/statement?member={billed.member_b.id}&month=2025-06"
    assert page(client, url).status_code == 404


def test_the_month_page_lists_the_lines_with_totals(client, login_as, billed):
    login_as(billed.users["coordinator"])
    use_english(client)
    url = f"/reports/statement?member={billed.member_a.id}&month=2025-06"
    html = page(client, url).get_data(as_text=True)
    assert "€37.00" in html and "€44.77" in html
    assert "VAT 21.00 % on €37.00 · Groep Intro LDE" in html


def test_a_member_enters_its_budget(client, login_as, central):
    login_as(central.users["member_a"])
    response = client.post(
        "/budgets",
        data={"year": "2025", "maintenance_budget": "250.000,50", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert services.get_budget(central.member_a.id, 2025).amount == Decimal("250000.50")


@pytest.mark.parametrize(
    "data",
    [
        {"year": "2025", "maintenance_budget": "-5"},
        {"year": "1999", "maintenance_budget": "5"},
        {"year": "2025", "maintenance_budget": ""},
        {"year": "2025", "maintenance_budget": "abc"},
    ],
)
def test_a_bad_budget_rerenders_the_form(client, login_as, central, data):
    login_as(central.users["member_a"])
    response = client.post("/budgets", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MaintenanceBudget)) == 0


def test_the_budget_form_needs_its_csrf_token(client, login_as, central):
    login_as(central.users["member_a"])
    response = client.post("/budgets", data={"year": "2025", "maintenance_budget": "5"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(MaintenanceBudget)) == 0


def test_the_coordinator_decides_a_credit_from_the_page(client, login_as, billed):
    statement = statement_of(billed.member_a)
    login_as(billed.users["coordinator"])
    assert "Decide a credit" in use_english(client).get(f"/statements/{statement.id}").get_data(
        as_text=True
    )
    response = client.post(
        f"/statements/{statement.id}/credit",
        data={
            "amount": "18,50",
            "vat_rate": "21.00",
            "reason": "Counted twice.",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
    credit = db.session.scalar(select(Credit))
    assert credit.amount == Decimal("18.50") and credit.pending


@pytest.mark.parametrize(("who", "status"), [("member_a", 403), ("other_coordinator", 404)])
def test_only_the_lead_coordinator_opens_the_credit_form(client, login_as, billed, who, status):
    statement = statement_of(billed.member_a)
    login_as(billed.users[who])
    assert client.get(f"/statements/{statement.id}/credit").status_code == status
    response = client.post(
        f"/statements/{statement.id}/credit",
        data={"amount": "1", "vat_rate": "21.00", "reason": "x", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


def test_a_too_large_credit_rerenders_the_form(client, login_as, billed):
    statement = statement_of(billed.member_a)
    login_as(billed.users["coordinator"])
    response = client.post(
        f"/statements/{statement.id}/credit",
        data={
            "amount": "1000",
            "vat_rate": "21.00",
            "reason": "x",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


def test_charts_come_with_a_table_and_no_inline_style(client, login_as, billed):
    login_as(billed.users["coordinator"])
    for url in ("/reports/consumption", "/reports/social-impact?year=2025", "/reports/progress"):
        html = page(client, url).get_data(as_text=True)
        assert "<svg" in html, url
        assert "<table" in html, url
        assert 'role="img"' in html and "<title" in html and "<desc" in html
        assert not re.search(r"\sstyle=", html), url
        assert "<script>" not in html


@pytest.mark.parametrize("who", ["coordinator", "member_a", "provider"])
def test_the_progress_dashboard_for_each_role(client, login_as, billed, who):
    login_as(billed.users[who])
    response = page(client, "/reports/progress")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if who == "member_a":
        assert billed.member_a.name in html and billed.member_b.name not in html
    if who == "coordinator":
        assert billed.member_a.name in html and billed.member_b.name in html


def test_the_progress_dashboard_is_not_the_admins(client, login_as, central):
    login_as(central.users["admin"])
    assert page(client, "/reports/progress").status_code == 403


def test_social_impact_page_of_a_member_shows_only_its_rows(client, login_as, billed):
    login_as(billed.users["member_a"])
    html = page(client, f"/reports/social-impact?framework={billed.framework.id}&year=2025")
    text = html.get_data(as_text=True)
    assert billed.member_a.name in text and billed.member_b.name not in text


def test_hours_per_fte_on_the_social_impact_page(client, login_as, billed):
    login_as(billed.users["coordinator"])
    url = f"/reports/social-impact?framework={billed.framework.id}&year=2025&hours_per_fte=1600"
    html = page(client, url).get_data(as_text=True)
    assert 'value="1600"' in html and "hours_per_fte=1600" in html
    bad = page(client, url.replace("1600", "0"))
    assert bad.status_code == 400


def test_progress_of_a_member_with_nothing_due_is_not_shown_as_100_percent(
    client, login_as, central
):
    login_as(central.users["member_a"])
    html = page(client, "/reports/progress").get_data(as_text=True)
    row = re.search(r"<th scope=\"row\">Gemeente Ardooie</th>(.*?)</tr>", html, re.S).group(1)
    assert "100" not in row and "<meter" not in row
    assert "Dit jaar niets te doen" in row


def test_progress_percentages_are_written_in_dutch_style(client, login_as, billed):
    login_as(billed.users["provider"])
    html = page(client, "/reports/progress").get_data(as_text=True)
    assert re.search(r"\(\d+\xa0%\)", html), "the completion rate as '67 %' with a no-break space"


def test_reports_open_on_the_framework_with_work_not_on_a_newer_empty_one(client, login_as, billed):
    from datetime import date as day

    from central.frameworks.models import FrameworkStatus
    from tests.factories import make_framework

    newer = make_framework(
        billed.lead,
        start_date=day(2026, 1, 1),
        end_date=day(2027, 12, 31),
        status=FrameworkStatus.ACTIVE,
    )
    login_as(billed.users["coordinator"])
    html = page(client, "/reports/consumption").get_data(as_text=True)
    picker = re.search(r'<select id="framework".*?</select>', html, re.S).group(0)
    selected = re.search(r'<option value="(\d+)" selected', picker)
    assert selected and int(selected.group(1)) == billed.framework.id, picker
    assert newer.reference in picker  # still listed, to choose
