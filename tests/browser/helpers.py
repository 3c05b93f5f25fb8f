"""Shared steps for the browser journeys: the ONE place that signs in and out.

Two-factor sign-in (TOTP for admins and coordinators) changes the sign-in steps here only; every
journey calls `sign_in(page, live_server, role)` and does not know how signing in works.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from central.demo import DEMO_LOGINS

# role -> (e-mail, password) of the demo account with that role.
LOGINS: dict[str, tuple[str, str]] = {role: (email, pw) for email, pw, role in DEMO_LOGINS}


def set_language(page: Page, code: str) -> None:
    """Switch the interface to `code` ("en" or "nl") with the header's language button."""
    if page.locator("html").get_attribute("lang") != code:
        page.locator(f"form.lang-switch button[name='lang'][value='{code}']").click()
        expect(page.locator("html")).to_have_attribute("lang", code)


def sign_in(page: Page, live_server: str, role: str, *, language: str | None = "en") -> None:
    """Sign in as the demo user with `role` and land on the home page.

    `language` switches the interface after signing in (None keeps the default, Dutch); the
    journeys use English where they read text, so that they do not depend on the Dutch catalogue.
    """
    email, password = LOGINS[role]
    page.goto(f"{live_server}/login")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='email']").fill(email)
    form.locator("input[name='password']").fill(password)
    form.locator("button[type='submit']").click()
    expect(page.locator("form[action$='/logout']")).to_have_count(1)
    if language:
        set_language(page, language)


def sign_out(page: Page) -> None:
    """Sign out with the header's sign-out button."""
    page.locator("form[action$='/logout'] button[type='submit']").click()
    expect(page.locator("input[name='password']")).to_have_count(1)
