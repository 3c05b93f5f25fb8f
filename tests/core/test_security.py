"""Safe `next` redirects."""

from __future__ import annotations

import pytest

from central.core.security import safe_next_url


@pytest.mark.parametrize("target", ["/", "/admin/users", "/tokens?page=2", "/a/b#frag"])
def test_local_paths_are_kept(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "http://central.test/admin",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example/path",
        "ftp://evil.example",
    ],
)
def test_external_or_odd_targets_are_dropped(target):
    assert safe_next_url(target) is None


@pytest.mark.parametrize(
    "url, origin",
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", " https://*.tile.openstreetmap.org"),
        ("https://tiles.data.gov.be/{z}/{x}/{y}.png", " https://tiles.data.gov.be"),
        ("https://geo.api.vlaanderen.be/tiles/{z}/{x}/{y}", " https://geo.api.vlaanderen.be"),
        ("https://a{s}.example.be/{z}/{x}/{y}.png", ""),  # a wildcard CSP cannot express
        (None, ""),
    ],
)
def test_the_csp_names_the_tile_servers_origin(app, monkeypatch, url, origin):
    from central.core.security import _tile_origin

    monkeypatch.setitem(app.config, "MAP_TILE_URL", url)
    with app.app_context():
        assert _tile_origin() == origin
