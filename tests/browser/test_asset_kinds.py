"""Browser: a coordinator adds an asset kind on a phone, in Dutch and in English; a member then
finds it on the new-asset form, with the measure field. Every page is checked with axe-core."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in, sign_out

# Per language: the kind added (codes differ, so the two runs do not clash) and the page texts.
LANGUAGES = {
    "nl": {"kind": ("road_sign_nl", "verkeersbord", "road sign"), "menu": "Soorten objecten"},
    "en": {"kind": ("bench_en", "zitbank", "bench"), "menu": "Asset kinds"},
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_coordinator_adds_an_asset_kind_and_a_member_uses_it(
    phone_page, live_server, shot, assert_accessible, language
):
    page = phone_page
    code, name_nl, name_en = LANGUAGES[language]["kind"]
    sign_in(page, live_server, "coordinator", language=language)
    page.goto(f"{live_server}/asset-kinds")
    expect(page.get_by_role("heading", level=1)).to_have_text(LANGUAGES[language]["menu"])
    assert_accessible(page)
    form = page.locator("form.form")
    form.locator("input[name='code']").fill(code)
    form.locator("input[name='name_nl']").fill(name_nl)
    form.locator("input[name='name_en']").fill(name_en)
    form.locator("button[type='submit']").click()
    expect(page.locator("table")).to_contain_text(code)
    # The same code again is refused on the form, in the page's language.
    form.locator("input[name='code']").fill(code)
    form.locator("input[name='name_nl']").fill(name_nl + " 2")
    form.locator("input[name='name_en']").fill(name_en + " 2")
    form.locator("button[type='submit']").click()
    expect(page.locator(".has-error")).to_have_count(1)
    assert_accessible(page)
    shot(page, f"asset-kinds-coordinator-{language}-phone")
    sign_out(page)

    sign_in(page, live_server, "member", language=language)
    page.goto(f"{live_server}/assets/new")
    kind_names = page.locator("select[name='kind'] option").all_inner_texts()
    assert (name_nl if language == "nl" else name_en) in kind_names
    expect(page.locator("input[name='measure']")).to_be_visible()
    assert_accessible(page)
    shot(page, f"asset-form-member-{language}-phone")
