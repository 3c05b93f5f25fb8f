"""The README's screenshots: the real pages of the demo, in Dutch (the default language), for a
coordinator and a member on a desktop and a crew on a phone. Each page is checked with axe-core
and saved as test-artifacts/screenshots/readme-NAME.png; `docs/screenshots/` holds the copies the
README shows (copy them over after a change to these pages)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import sign_in

PAGES = {
    "coordinator": [("coordinator-home", "/"), ("coordinator-frameworks", "/frameworks")],
    "member": [
        ("member-home", "/"),
        ("member-assets", "/assets"),
        ("member-statements", "/statements"),
    ],
    "provider": [("crew-rounds", "/field/rounds")],
}


def _save(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"readme-{name}.png")  # what the screen shows


@pytest.mark.parametrize("role", list(PAGES))
def test_readme_screenshots_show_the_dutch_pages(role, request, live_server, assert_accessible):
    page = request.getfixturevalue("phone_page" if role == "provider" else "page")
    sign_in(page, live_server, role, language=None)
    for name, path in PAGES[role]:
        page.goto(f"{live_server}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        assert_accessible(page)
        _save(page, name)
    if role == "provider":
        # A round of today, as the crew opens it in the street.
        page.locator("a.round-card").first.click()
        page.wait_for_url(re.compile(r"/field/rounds/\d+$"))
        assert_accessible(page)
        _save(page, "crew-round")
