"""Browser: maps explain themselves — a legend, each round's start and end told by a symbol as
well as by colour, a crew's done stops by a tick; axe-checked."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in


def test_the_rounds_map_has_a_legend_and_marks_each_rounds_start_and_end(
    page: Page, live_server: str, assert_accessible
):
    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/rounds/map")
    legend = page.locator(".map-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Start of the round")
    expect(legend).to_contain_text("End of the round")
    assert re.search(r"#\d+ Stad Izegem", legend.inner_text())
    starts = page.locator(".leaflet-marker-icon.route-start")
    ends = page.locator(".leaflet-marker-icon.route-end")
    expect(starts.first).to_be_attached()
    assert starts.count() >= 2 and ends.count() >= 2
    assert starts.first.inner_text() == "\u25b6"  # not the "1" every start used to show
    assert_accessible(page)


def test_a_rounds_page_names_its_first_and_last_stop(page: Page, live_server: str):
    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/rounds")
    page.locator("table a[href^='/rounds/']").first.click()
    page.wait_for_url(re.compile(r"/rounds/\d+$"))
    legend = page.locator(".map-legend")
    expect(legend).to_contain_text("First stop")
    expect(legend).to_contain_text("Last stop")
    expect(page.locator(".leaflet-marker-icon.route-start")).to_have_count(1)
    expect(page.locator(".leaflet-marker-icon.route-end")).to_have_count(1)


def test_a_crews_round_map_says_what_its_markers_mean_in_dutch(
    phone_page: Page, live_server: str, assert_accessible
):
    sign_in(phone_page, live_server, "provider", language="nl")
    phone_page.goto(f"{live_server}/field/rounds")
    cards = phone_page.locator("a.round-card")
    expect(cards.first).to_be_visible()
    cards.first.click()
    legend = phone_page.locator(".map-legend")
    expect(legend).to_contain_text("Te doen, in de volgorde van de route")
    expect(legend).to_contain_text("Klaar")
    assert_accessible(phone_page)


# A 1×1 PNG: the tile the test's base map serves.
TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
    "9c633873e6cc7f000830036484b2be9b0000000049454e44ae426082"
)


def _with_base_map(page: Page, tiles: str) -> None:
    """The pages name a base map (the tests' server has none: they never reach outside)."""

    def named(route):
        response = route.fetch()
        body = response.text().replace('data-tiles=""', f'data-tiles="{tiles}"')
        body = body.replace('data-attribution=""', 'data-attribution="© GRB, Digitaal Vlaanderen"')
        route.fulfill(response=response, body=body)

    page.route(re.compile(r"/assets/\d+$"), named)


def test_a_map_shows_its_base_map_with_attribution_and_its_points_without_tiles(
    page: Page, live_server: str, assert_accessible
):
    sign_in(page, live_server, "member")
    page.goto(f"{live_server}/assets")
    detail = page.locator("table a[href^='/assets/']").first.get_attribute("href")
    _with_base_map(page, "https://tiles.test/{z}/{x}/{y}.png")
    page.route("https://tiles.test/**", lambda r: r.fulfill(body=TILE, content_type="image/png"))
    page.goto(f"{live_server}{detail}")
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_attached()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("GRB, Digitaal Vlaanderen")
    assert page.locator(".leaflet-interactive, .leaflet-marker-icon").count() >= 1
    assert_accessible(page)

    # Offline (no tile answers): the asset is still on the map, the attribution still there.
    page.unroute("https://tiles.test/**")
    page.route("https://tiles.test/**", lambda route: route.abort("internetdisconnected"))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}{detail}")
    expect(page.locator(".leaflet-interactive, .leaflet-marker-icon").first).to_be_attached()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("GRB")
    assert page.locator("img.leaflet-tile-loaded").count() == 0
    assert not errors
