"""Browser: a water company's viewer reads the service-status map and the out-of-service list of
the demo hydrants (status by shape and label, not colour alone); a passer-by reports a problem
from a phone through a hydrant's public link, without signing in, in Dutch. Every page is checked
with axe-core."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import sign_in, sign_out


def test_a_viewer_reads_the_service_status_map_and_list(
    page, phone_page, live_server, shot, assert_accessible
):
    for current, label in ((page, "desktop"), (phone_page, "phone")):
        sign_in(current, live_server, "viewer")
        current.goto(f"{live_server}/hydrants/map")
        expect(current.get_by_role("heading", level=1)).to_have_text("Map of the service status")
        expect(current.locator("[data-hydrant-map][data-count]")).to_be_attached(timeout=20_000)
        out = current.locator(".leaflet-marker-icon.hydrant-out")
        expect(out.first).to_be_attached()
        assert re.search(r"\(Out of service\)$", out.first.get_attribute("title") or "")
        assert current.locator(".leaflet-marker-icon.hydrant-in").count() > 0
        assert_accessible(current)
        shot(current, f"hydrants-viewer-map-{label}")
        current.goto(f"{live_server}/hydrants")
        expect(current.locator("table")).to_contain_text("Out of service")
        assert_accessible(current)
        shot(current, f"hydrants-viewer-list-{label}")
        # No money and no member pages for a viewer.
        response = current.goto(f"{live_server}/reports/statements")
        assert response.status in (403, 404)
        sign_out(current)


def test_a_passer_by_reports_a_problem_from_a_phone(
    page, phone_page, live_server, shot, assert_accessible
):
    # The member reads a hydrant's public link on its page (as printed on its QR label).
    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/hydrants")
    page.locator("table a").first.click()
    link = page.locator("a[href*='/r/']").first.get_attribute("href")
    code = page.get_by_role("heading", level=1).inner_text()
    sign_out(page)

    phone = phone_page
    phone.goto(link)
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Meld een probleem met een brandkraan"
    )
    assert code.split()[1] in phone.locator(".public-asset").inner_text()
    assert_accessible(phone)
    shot(phone, "public-report-phone")
    phone.locator("select[name='category']").select_option("leaking")
    phone.locator("textarea[name='text']").fill("Er spuit water uit de klep.")
    phone.locator("form.form button[type='submit']").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Bedankt voor uw melding")
    assert_accessible(phone)
    shot(phone, "public-report-thanks-phone")

    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/needs")
    expect(page.locator("main")).to_contain_text("Er spuit water uit de klep.")
    sign_out(page)
