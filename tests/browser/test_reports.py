"""Browser: the coordinator hands the council its reports (consumption, social impact, progress),
opens an issued statement, its print view and the credit form; the member reads its statement
and enters its maintenance budget on a phone. Every page is checked with axe-core."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_coordinator_reads_the_reports_and_a_statement(
    request, device, live_server, shot, assert_accessible
):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")

    def check(name, on=page):
        assert_accessible(on)
        shot(on, f"reports-coordinator-{name}-{device}")

    sign_in(page, live_server, "coordinator")
    page.get_by_role("link", name="Reports", exact=True).first.click()
    check("01-index")
    page.get_by_role("link", name="Consumption").first.click()
    expect(page.locator("svg.chart").first).to_be_visible()
    check("02-consumption")
    page.goto(f"{live_server}/reports/social-impact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Social impact")
    check("03-social-impact")
    page.goto(f"{live_server}/reports/progress")
    check("04-progress")
    page.goto(f"{live_server}/statements")
    check("05-statements")
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statement")
    check("06-statement")
    page.get_by_role("link", name="Decide a credit").click()
    check("07-credit-form")
    page.go_back()
    page.get_by_role("link", name="Print view").click()
    check("08-print")


def test_member_reads_its_statement_and_enters_its_budget(
    phone_page, live_server, shot, assert_accessible
):
    page = phone_page
    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/statements")
    assert_accessible(page)
    shot(page, "reports-member-01-statements")
    page.locator("table a").first.click()
    assert "Izegem" in page.content()
    assert_accessible(page)
    shot(page, "reports-member-02-statement")
    page.goto(f"{live_server}/budgets")
    page.get_by_label("Year").first.fill("2027")
    page.get_by_label("Maintenance budget (euro)").fill("312,500.00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert "2027" in page.content()
    assert_accessible(page)
    shot(page, "reports-member-03-budget")
