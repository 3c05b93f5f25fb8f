"""Browser: every role signs in on the demo, sees its home page, and switches language."""

import pytest

from central.demo import DEMO_LOGINS


def sign_in(page, live_server, email, password):
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Aanmelden").click()


@pytest.mark.parametrize(
    ("email", "password", "role"), DEMO_LOGINS, ids=[r for *_, r in DEMO_LOGINS]
)
def test_each_role_signs_in_and_switches_language(
    page, live_server, email, password, role, shot, assert_accessible
):
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert_accessible(page)
    sign_in(page, live_server, email, password)
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
