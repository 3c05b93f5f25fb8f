"""Map popups and markers show asset codes and addresses as text: a code such as
`<a href=...>x</a>` (which a member can type) is never rendered as HTML on a crew's phone. Each map
script of the app runs in Chromium with Leaflet from the live server, on such a stop, and its
popup is opened (with the app's one map module, maps.js)."""

from __future__ import annotations

import json
from html import escape

import pytest
from playwright.sync_api import Browser, expect

HOSTILE = '<a href="https://phish.example/login">Log in again</a><img src=x onerror="window.hit=1">'


def map_page(browser: Browser, live_server: str, script: str, attributes: str):
    page = browser.new_page(viewport={"width": 800, "height": 600})
    page.set_content(
        f"""<!doctype html><html><head>
        <link rel="stylesheet" href="{live_server}/vendor/leaflet/leaflet.css"></head><body>
        <div {attributes} style="width:600px;height:400px"></div>
        <script src="{live_server}/vendor/leaflet/leaflet.js"></script>
        <script src="{live_server}/static/js/maps.js"></script>
        <script src="{live_server}/static/js/{script}"></script></body></html>"""
    )
    return page


def route_points(label: str) -> str:
    point = {"lat": 50.92, "lon": 3.2, "seq": 1, "label": label, "status": "open"}
    return escape(json.dumps([point]), quote=True)


@pytest.mark.parametrize("script", ["fieldwork-map.js", "rounds-map.js"])
def test_a_route_map_popup_shows_an_asset_code_with_html_as_text(browser, live_server, script):
    page = map_page(
        browser, live_server, script, f'data-route-map data-points="{route_points(HOSTILE)}"'
    )
    try:
        marker = page.locator(".leaflet-marker-icon").first
        expect(marker).to_be_visible()
        marker.click()
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_have_text(f"1. {HOSTILE}")
        assert popup.locator("a, img").count() == 0
        assert page.locator(".leaflet-container a[href*='phish']").count() == 0
        assert page.evaluate("window.hit") is None
    finally:
        page.close()


def test_an_asset_map_popup_shows_code_and_address_as_text(browser, live_server):
    point = {
        "lat": 50.92,
        "lon": 3.2,
        "code": HOSTILE,
        "address": "<b>Kerkstraat</b> 1",
        "status": "active",
        "status_label": "active",
        "url": "/assets/1",
    }
    data = escape(json.dumps([point]), quote=True)
    page = map_page(browser, live_server, "assets-map.js", f'data-map data-points="{data}"')
    try:
        page.locator(".leaflet-marker-icon").first.click()
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_contain_text(HOSTILE)
        expect(popup).to_contain_text("<b>Kerkstraat</b> 1")
        assert popup.locator("img, b, a[href*='phish']").count() == 0
        assert page.evaluate("window.hit") is None
    finally:
        page.close()
