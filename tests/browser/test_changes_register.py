"""Browser: on the demo's active framework the coordinator tries a new price without a recorded
change (refused, the reason shown on the form), records a change for additional services (every
error at once first, then saved), sees it in the framework page's changes register and adds the
price under it. In Dutch; every page is checked with axe-core. The change and price are for a
date to come and a task type of lot 2, so the other tests' figures stay as they are."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import sign_in

DESCRIPTION = "Herstellen van deksels in een betonnen kader (browsertest)"


def _lot_two_price_form(page, live_server):
    page.goto(f"{live_server}/frameworks")
    page.get_by_role("link", name="RSL-2025-BK-01").click()
    page.locator("article.lot").nth(1).get_by_role(
        "link", name=re.compile("Voeg een prijs toe")
    ).click()
    form = page.locator("form.form")
    form.locator("select[name='task_type']").select_option("lid_frame_repair")
    form.get_by_label("Eenheidsprijs (EUR, excl. btw)").fill("71,40")
    form.get_by_label("Geldig vanaf").fill("2031-01-01")
    return form


def test_a_change_on_record_carries_a_new_price(page, live_server, shot, assert_accessible):
    sign_in(page, live_server, "coordinator", language=None)

    # Without a recorded change the new price is refused, and the form says why.
    form = _lot_two_price_form(page, live_server)
    form.locator("button[type='submit']").click()
    expect(page.locator("#change_id-error")).to_contain_text("Registreer eerst de wijziging")
    assert_accessible(page)
    shot(page, "changes-price-refused-nl")

    # The change: every error of an empty form at once, then recorded.
    page.goto(f"{live_server}/frameworks")
    page.get_by_role("link", name="RSL-2025-BK-01").click()
    page.get_by_role("link", name="Wijziging registreren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wijziging registreren")
    assert_accessible(page)
    form = page.locator("form.form")
    form.locator("select[name='kind']").select_option("additional_services")
    form.locator("button[type='submit']").click()
    # The description and the ground's own rule (a justification), together.
    expect(page.locator("#description-error")).to_be_visible()
    expect(page.locator("#justification-error")).to_contain_text("wet")
    assert_accessible(page)
    form = page.locator("form.form")
    form.locator("select[name='kind']").select_option("additional_services")
    form.locator("select[name='lot_id']").select_option(index=2)  # lot 2
    form.locator("textarea[name='description']").fill(DESCRIPTION)
    form.locator("textarea[name='justification']").fill(
        "De brandweer vraagt deksels die gelijk liggen met het wegdek; de oorspronkelijke "
        "opdrachtnemer voert ze uit zonder onderbreking van de dienst."
    )
    form.locator("input[name='value']").fill("1.500,00")
    form.locator("input[name='effective_from']").fill("2031-01-01")
    form.locator("button[type='submit']").click()
    expect(page.locator(".flash")).to_contain_text("De wijziging is geregistreerd")
    register = page.locator("section#changes")
    row = register.locator("tr", has_text=DESCRIPTION)
    expect(row).to_contain_text("Bijkomende diensten")
    expect(row).to_contain_text("1.500,00")
    assert_accessible(page)
    shot(page, "changes-register-nl")

    # The price, now under the change, is accepted and listed.
    form = _lot_two_price_form(page, live_server)
    form.locator("select[name='change_id']").select_option(
        label=f"Bijkomende diensten (art. 38/1) — {DESCRIPTION}"
    )
    form.locator("button[type='submit']").click()
    expect(page.locator("article.lot").nth(1)).to_contain_text("71,40")
    assert_accessible(page)
