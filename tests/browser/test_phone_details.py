"""Browser, on a phone: details that decide whether a page works in the street — a long word
does not widen the page, and "Open in map app" opens a map app on Android and on an iPhone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, _open_page
from tests.browser.helpers import sign_in

IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def iphone_page(browser: Browser, request: pytest.FixtureRequest):
    yield from _open_page(
        browser, request, viewport=PHONE, is_mobile=True, has_touch=True, user_agent=IPHONE_UA
    )


def _page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_a_word_of_2000_characters_does_not_widen_the_page_on_a_phone(
    phone_page: Page, live_server: str, assert_accessible
):
    page = phone_page
    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/assets")
    code = page.locator("table a[href^='/assets/']").first.inner_text()
    page.goto(f"{live_server}/needs/new")
    page.get_by_label("Asset code").fill(code)
    page.get_by_label("What is needed").fill("x" * 2000)
    page.get_by_role("button", name="Log the need").click()
    expect(page).to_have_url(re.compile(r"/needs/\d+$"))
    expect(page.get_by_text("x" * 2000)).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    assert_accessible(page)
    # The same for every kind of element that shows what people type (a contest reason in a
    # list item or a paragraph, a note in a table cell or a heading), on any page.
    page.goto(f"{live_server}/accessibility")
    for html in (
        "<p>{word}</p>",
        "<ul><li>{word}</li></ul>",
        "<div class='table-wrap'><table><tr><td>{word}</td><td>x</td></tr></table></div>",
        "<h2>{word}</h2>",
        "<p class='contest-note'><strong>Betwist:</strong> {word}</p>",
    ):
        page.evaluate(
            "(html) => { const main = document.querySelector('main');"
            " main.insertAdjacentHTML('beforeend', html); }",
            html.format(word="y" * 2000),
        )
        assert _page_width(page) <= PHONE["width"], html


def test_open_in_map_app_is_a_geo_link_on_android_and_apple_maps_on_an_iphone(
    phone_page: Page, iphone_page: Page, live_server: str
):
    sign_in(phone_page, live_server, "provider")
    phone_page.goto(f"{live_server}/field/rounds")
    round_url = live_server + phone_page.locator("a.round-card").first.get_attribute("href")
    phone_page.goto(round_url)
    android = phone_page.locator("a", has_text="Open in map app").first
    assert re.match(r"geo:-?\d+\.\d+,-?\d+\.\d+\?q=", android.get_attribute("href"))

    sign_in(iphone_page, live_server, "provider")
    iphone_page.goto(round_url)
    apple = iphone_page.locator("a", has_text="Open in map app").first
    href = apple.get_attribute("href")
    lat, lon = re.match(r"geo:(-?[\d.]+),(-?[\d.]+)", android.get_attribute("href")).groups()
    assert href.startswith(f"https://maps.apple.com/?ll={lat},{lon}&q="), href


def test_the_consumption_tables_fit_a_1280_pixel_screen(page: Page, live_server: str):
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/reports/consumption")
    wraps = page.locator(".table-wrap")
    expect(wraps.first).to_be_visible()
    for index in range(wraps.count()):
        cut = wraps.nth(index).evaluate("(w) => w.scrollWidth - w.clientWidth")
        assert cut <= 1, f"table {index} is cut by {cut} px"


@pytest.mark.parametrize("role", ["provider", "coordinator"])
def test_the_header_takes_little_of_a_phones_screen(
    phone_page: Page, live_server: str, role, shot, assert_accessible
):
    """A coordinator has some 19 menu links and the header used to take 40 % of a phone's
    screen: it is a few short lines now, whatever the role, and the page starts below it."""
    page = phone_page
    sign_in(page, live_server, role, language="nl")
    page.goto(f"{live_server}/")
    header = page.locator("header.site-header").bounding_box()
    assert header is not None
    assert header["height"] <= 0.2 * PHONE["height"], header
    main = page.locator("main").bounding_box()
    assert main is not None and main["y"] < 0.25 * PHONE["height"]
    assert _page_width(page) <= PHONE["width"]  # the menu row scrolls, not the page
    # Every link of the menu is still there, one sideways swipe away.
    last = page.locator("nav.main-nav li").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    shot(page, f"phone-header-{role}")
    assert_accessible(page)
