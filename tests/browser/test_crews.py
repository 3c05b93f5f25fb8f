"""Browser: a provider keeps its crews and closes days on a phone, in Dutch and in English (a
closure ending before it starts is refused on the form), and sees its week's rounds against its
crews on Workload by week. Every page is checked with axe-core."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

LANGUAGES = {
    "nl": {"crew": "Ploeg Noord", "heading": "Ploegen en sluitingen", "reason": "Opleiding"},
    "en": {"crew": "North crew", "heading": "Crews and closures", "reason": "Training"},
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_provider_keeps_crews_and_closes_days_on_a_phone(
    phone_page, live_server, shot, assert_accessible, language
):
    page = phone_page
    texts = LANGUAGES[language]
    sign_in(page, live_server, "provider", language=language)
    page.goto(f"{live_server}/crews")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["heading"])
    assert_accessible(page)

    add = page.locator("form:has(input[name='action'][value='crew'])")
    add.locator("input[name='crew-name']").fill(texts["crew"])
    add.locator("input[name='crew-days_per_week']").fill("4")
    add.locator("button[type='submit']").click()
    expect(page.locator(".card input[value='" + texts["crew"] + "']")).to_have_count(1)

    close = page.locator("form:has(input[name='action'][value='closure'])")
    close.locator("input[name='start_date']").fill("2031-03-12")
    close.locator("input[name='end_date']").fill("2031-03-10")
    close.locator("input[name='reason']").fill(texts["reason"])
    close.locator("button[type='submit']").click()
    expect(page.locator("#end_date-error")).to_be_visible()  # next to the field, not on top
    assert_accessible(page)

    close = page.locator("form:has(input[name='action'][value='closure'])")
    close.locator("input[name='start_date']").fill("2031-03-10")
    close.locator("input[name='end_date']").fill("2031-03-12")
    close.locator("input[name='reason']").fill(texts["reason"])
    close.locator("select[name='crew_id']").select_option(label=texts["crew"])
    close.locator("button[type='submit']").click()
    expect(page.locator("table")).to_contain_text(texts["reason"])
    expect(page.locator("table")).to_contain_text(texts["crew"])
    assert_accessible(page)
    shot(page, f"crews-provider-{language}-phone")

    page.goto(f"{live_server}/workload")
    expect(page.locator("figure.load-chart svg")).to_be_visible()
    assert_accessible(page)
    shot(page, f"workload-provider-{language}-phone")
