"""Browser: Ghent's case on the demo (SPEC 7.3, 7.6), in Dutch. The coordinator follows the award
of lot 2 — its social clause against realised, its subcontractor and its half-realised action
plan — and sees every error of the subcontractor form at once; the crew's provider, as a main
contractor, files its own action plan on a phone (every error at once, then filed) and opens
its subcontracted work. Every page is checked with axe-core."""

from playwright.sync_api import expect

from tests.browser.helpers import sign_in, sign_out


def _lot_2_award_page(page, live_server, provider: str) -> None:
    page.goto(f"{live_server}/frameworks")
    page.get_by_role("link", name="RSL-2025-BK-01").first.click()
    page.get_by_role("link", name=f"Sociale clausule en actieplan ({provider})").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sociale clausule en actieplan")


def test_ghent_case_coordinator_and_provider(
    page, phone_page, live_server, shot, assert_accessible
):
    sign_in(page, live_server, "coordinator", language=None)
    _lot_2_award_page(page, live_server, "Maatwerkbedrijf Mandel & Leie")
    main = page.locator("main")
    expect(main).to_contain_text("10 % van de aanvaarde waarde via onderaannemers")
    expect(main).to_contain_text("De Kraanwerkers LDE vzw")
    expect(main).to_contain_text("Werkervaring")
    expect(main).to_contain_text("50 %")
    assert_accessible(page)
    shot(page, "ghent-award-coordinator-nl")
    page.get_by_role("button", name="Onderaannemer registreren").click()
    expect(page.locator(".error-message")).to_have_count(2)  # subcontractor and task types
    assert_accessible(page)
    sign_out(page)

    phone = phone_page
    sign_in(phone, live_server, "provider", language=None)
    phone.goto(f"{live_server}/frameworks")
    phone.get_by_role("link", name="RSL-2025-BK-01").first.click()
    phone.get_by_role(
        "link", name="Sociale clausule en actieplan (De Kraanwerkers LDE vzw)"
    ).last.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sociale clausule en actieplan")
    assert_accessible(phone)
    form = phone.locator("form:has(input[name='form_name'][value='plan'])")
    form.locator("select[name='actions-0-kind']").select_option("hiring")
    form.locator("input[name='actions-0-target']").fill("1,5")
    form.locator("input[name='actions-0-due_date']").fill("2020-01-01")
    form.locator("button[type='submit']").click()
    expect(phone.locator(".error-message")).to_have_count(2)  # target and due date together
    assert_accessible(phone)
    form = phone.locator("form:has(input[name='form_name'][value='plan'])")
    form.locator("input[name='actions-0-target']").fill("2")
    form.locator("input[name='actions-0-due_date']").fill("2030-06-30")
    form.locator("button[type='submit']").click()
    expect(phone.locator("main")).to_contain_text("ingediend, wacht op goedkeuring")
    assert_accessible(phone)
    shot(phone, "ghent-plan-provider-phone-nl")
    phone.goto(f"{live_server}/field/subcontracted")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Werk in onderaanneming")
    assert_accessible(phone)
