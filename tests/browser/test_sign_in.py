"""Browser: every role signs in on the demo, sees its home page, and switches language."""

import pytest

from central.demo import DEMO_LOGINS, DEMO_TOTP_SECRETS
from tests.browser.helpers import sign_in as sign_in_as
from tests.browser.helpers import sign_out, totp_code


def sign_in(page, live_server, email, password, assert_accessible=None, shot=None):
    """Sign in through the Dutch pages; admins and coordinators enter a code from the printed
    two-factor secret of the demo."""
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Aanmelden").click()
    if email in DEMO_TOTP_SECRETS:
        assert page.url.endswith("/login/code")
        if assert_accessible:
            assert_accessible(page)
        if shot:
            shot(page, f"login-code-{email.split('@')[0]}")
        page.locator("input[name='code']").fill(totp_code(email))
        page.locator("form:has(input[name='code']) button[type='submit']").click()


@pytest.mark.parametrize(
    ("email", "password", "role"), DEMO_LOGINS, ids=[r for *_, r in DEMO_LOGINS]
)
def test_each_role_signs_in_and_switches_language(
    page, live_server, email, password, role, shot, assert_accessible
):
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert_accessible(page)
    sign_in(page, live_server, email, password, assert_accessible, shot)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welkom")
    assert email in page.content()
    assert_accessible(page)
    shot(page, f"home-{role}-nl")

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    shot(page, f"home-{role}-en")

    page.get_by_role("button", name="Nederlands").click()
    page.get_by_role("button", name="Afmelden").click()
    assert "/login" in page.url


def test_wrong_password_is_refused_on_a_phone(phone_page, live_server, shot):
    sign_in(phone_page, live_server, DEMO_LOGINS[2][0], "not the password")
    assert "niet juist" in phone_page.content()
    shot(phone_page, "login-refused-phone")


def test_a_new_coordinator_sets_up_two_factor_sign_in_first(
    page, live_server, shot, assert_accessible
):
    """The admin makes a coordinator account; at its first sign-in the coordinator scans the key,
    confirms a first code and sees ten recovery codes, then reaches the home page."""
    sign_in_as(page, live_server, "admin")
    page.goto(f"{live_server}/admin/users/new")
    page.get_by_label("E-mail address").fill("new.coordinator@roeselare.example")
    page.get_by_label("Role").select_option("coordinator")
    page.get_by_label("Organisation").select_option(label="Stad Roeselare")
    page.get_by_label("Password").fill("a-long-password-2026")
    page.get_by_role("button", name="Save").click()
    assert "is saved" in page.content()
    sign_out(page)

    page.get_by_label("E-mail address").fill("new.coordinator@roeselare.example")
    page.get_by_label("Password").fill("a-long-password-2026")
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/login/enrol")
    assert page.get_by_role("img", name="QR code with the key for your authenticator app").count()
    assert_accessible(page)
    shot(page, "two-factor-enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(
        totp_code("new.coordinator@roeselare.example", secret)
    )
    page.get_by_role("button", name="Confirm").click()
    assert page.locator("#recovery-codes li").count() == 10
    assert_accessible(page)
    shot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have stored them, continue").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert "new.coordinator@roeselare.example" in page.content()
