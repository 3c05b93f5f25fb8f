"""Shared steps for the browser journeys: the ONE place that signs in and out.

Every journey calls `sign_in(page, live_server, role)` and does not know how signing in works;
a change to the sign-in steps (such as two-factor sign-in) changes this file only.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyotp
from playwright.sync_api import Page, expect

from central import demo

# role -> (e-mail, password) of the demo account with that role in the hydrant case (the green
# case's member and crew sign in by their own e-mail).
LOGINS: dict[str, tuple[str, str]] = {
    role: (email, pw) for email, pw, role in demo.DEMO_LOGINS if email not in demo.CASE_LOGINS
}
# A code's time step is accepted once; the server also takes the steps next to the current one.
_TOTP_WINDOW = 1
_last_step: dict[str, int] = {}


def set_language(page: Page, code: str) -> None:
    """Switch the interface to `code` ("en" or "nl") with the header's language button."""
    if page.locator("html").get_attribute("lang") != code:
        page.locator(f"form.lang-switch button[name='lang'][value='{code}']").click()
        expect(page.locator("html")).to_have_attribute("lang", code)


def totp_code(email: str, secret: str | None = None) -> str:
    """A fresh code from the user's authenticator secret (the demo's by default), never one of a
    step used before (the server refuses a replayed step); waits for the next step when the window
    is used up. The previous step is not used: it may expire on the way to the server."""
    totp = pyotp.TOTP(secret or demo.DEMO_TOTP_SECRETS[email])
    while True:
        current = totp.timecode(datetime.now(UTC))
        step = max(current, _last_step.get(email, current - 1) + 1)
        if step <= current + _TOTP_WINDOW:
            _last_step[email] = step
            return totp.generate_otp(step)
        time.sleep(1)


def sign_in(page: Page, live_server: str, role: str, *, language: str | None = "en") -> None:
    """Sign in as the demo user with `role` and land on the home page.

    Admins and coordinators also enter a code from their authenticator app (two-factor sign-in).
    `language` switches the interface for this session (None keeps the default, Dutch); the
    journeys use English where they read text, so that they do not depend on the Dutch catalogue.
    """
    email, password = LOGINS[role]
    page.goto(f"{live_server}/login")
    if language:
        # Chosen before signing in, the language stays with this browser session and is not
        # saved as the demo user's preference (other tests expect the Dutch default).
        set_language(page, language)
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='email']").fill(email)
    form.locator("input[name='password']").fill(password)
    form.locator("button[type='submit']").click()
    signed_in = page.locator("form[action$='/logout']")
    code = page.locator("input[name='code']")
    expect(signed_in.or_(code)).to_have_count(1)
    if code.count():
        code.fill(totp_code(email))
        page.locator("form:has(input[name='code']) button[type='submit']").click()
    expect(signed_in).to_have_count(1)
    if language:
        expect(page.locator("html")).to_have_attribute("lang", language)


def sign_out(page: Page) -> None:
    """Sign out with the header's sign-out button."""
    page.locator("form[action$='/logout'] button[type='submit']").click()
    expect(page.locator("input[name='password']")).to_have_count(1)


# --- measured journeys (§7.6) --------------------------------------------------------------------

# Counts every click and tap the user makes (trusted events only) in the tab's sessionStorage, so
# that the count survives the page loads a journey goes through. Installed on every test page.
CLICK_COUNTER = """(() => {
  if (window.__centralClickCounter) return;
  window.__centralClickCounter = true;
  addEventListener('click', (event) => {
    if (!event.isTrusted) return;
    const key = 'central-clicks';
    sessionStorage.setItem(key, String(Number(sessionStorage.getItem(key) || 0) + 1));
  }, true);
})();"""

# journey -> device -> (clicks and taps, addresses typed): filled by the journeys, written at the
# end of the browser run to test-artifacts/journeys.md.
MEASURED: dict[str, dict[str, tuple[int, int]]] = {}


def clicks(page: Page) -> int:
    return int(page.evaluate("() => Number(sessionStorage.getItem('central-clicks') || 0)"))


class Tally:
    """The clicks/taps and the typed addresses (`page.goto`) of one role's main job on one
    device, from now (after signing in) to `done`, which records them and holds them to the
    journey's budget: a change that makes the job longer fails here."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.clicks = clicks(page)
        self.addresses = page.central_addresses  # type: ignore[attr-defined]

    def done(self, journey: str, device: str, *, budget: int) -> int:
        used = clicks(self.page) - self.clicks
        typed = self.page.central_addresses - self.addresses  # type: ignore[attr-defined]
        MEASURED.setdefault(journey, {})[device] = (used, typed)
        assert used + typed <= budget, (
            f"{journey} on a {device}: {used} clicks and {typed} typed addresses, budget {budget}"
        )
        return used
