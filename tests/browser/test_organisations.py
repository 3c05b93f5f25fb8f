"""Browser: the admin records a provider's social-economy recognition (every error at once, then
saved) and a municipal merger in two steps (what moves is shown, then confirmed), in Dutch. Made
on organisations of its own, so that the demo's stay as they are. Every page is checked with
axe-core."""

from playwright.sync_api import expect

from central.core.validators import kbo_with_check_digits
from tests.browser.helpers import sign_in


def _new_organisation(page, live_server, name: str, kind: str, digits: str, nis: str = "") -> str:
    page.goto(f"{live_server}/admin/organisations/new")
    form = page.locator("form.form")
    form.locator("input[name='name']").fill(name)
    form.locator("select[name='kind']").select_option(kind)
    form.locator("input[name='enterprise_number']").fill(kbo_with_check_digits(digits))
    form.locator("input[name='nis_code']").fill(nis)
    form.locator("button[type='submit']").click()
    page.goto(f"{live_server}/admin/organisations?q={name}")
    page.get_by_role("link", name=name).click()
    return page.url.rstrip("/")


def test_admin_records_a_recognition_and_a_merger(page, live_server, shot, assert_accessible):
    sign_in(page, live_server, "admin", language=None)
    provider = _new_organisation(page, live_server, "Kringloop Werkt vzw", "provider", "07770001")
    page.goto(f"{provider}/recognitions")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Erkenningen")
    assert_accessible(page)
    form = page.locator("form.form")
    form.locator("input[name='valid_until']").fill("2020-01-01")
    form.locator("button[type='submit']").click()
    expect(page.locator(".error-message")).to_have_count(2)  # number and start, together
    assert_accessible(page)
    form = page.locator("form.form")
    form.locator("select[name='status']").select_option("lde")
    form.locator("input[name='number']").fill("LDE-2024-0117")
    form.locator("input[name='valid_from']").fill("2024-01-01")
    form.locator("input[name='valid_until']").fill("")
    form.locator("button[type='submit']").click()
    expect(page.locator("table")).to_contain_text("LDE-2024-0117")
    expect(page.locator("main")).to_contain_text("Lokale diensteneconomie")
    shot(page, "recognitions-admin-nl")

    ledegem = _new_organisation(
        page, live_server, "Gemeente Ledegem (test)", "authority", "07770002", "36999"
    )
    _new_organisation(page, live_server, "Stad Menen (test)", "authority", "07770003", "34999")
    page.goto(f"{ledegem}/succession")
    assert_accessible(page)
    form = page.locator("form.form")
    form.locator("select[name='successor_id']").select_option(label="Stad Menen (test)")
    form.locator("input[name='effective_date']").fill("2025-01-01")
    form.locator("button[type='submit']").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Bevestig de opvolging")
    assert_accessible(page)
    shot(page, "succession-confirm-nl")
    page.locator("form.form button[type='submit']").click()
    expect(page.locator("main")).to_contain_text("Opgevolgd door Stad Menen (test)")
    assert_accessible(page)
