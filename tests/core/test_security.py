"""Safe `next` redirects."""

from __future__ import annotations

import os

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


def test_maps_show_the_grb_base_map_by_default_and_the_csp_allows_it():
    from central import create_app

    app = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["MAP_TILE_URL"].startswith("https://geo.api.vlaanderen.be/GRB/wmts?")
    assert "{z}" in app.config["MAP_TILE_URL"] and "{x}" in app.config["MAP_TILE_URL"]
    assert app.config["MAP_TILE_ATTRIBUTION"] == "GRB © Digitaal Vlaanderen"
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://geo.api.vlaanderen.be;" in csp


def test_an_empty_map_tile_url_turns_the_base_map_off(tmp_path):
    """`MAP_TILE_URL=` (empty) in the environment: no tiles, no outside origin in the CSP."""
    import subprocess
    import sys

    code = (
        "from central import create_app\n"
        "app = create_app('development', SQLALCHEMY_DATABASE_URI='sqlite://')\n"
        "print(repr(app.config['MAP_TILE_URL']), repr(app.config['MAP_TILE_ATTRIBUTION']))\n"
        "print(app.test_client().get('/login').headers['Content-Security-Policy'])\n"
    )
    env = {**os.environ, "MAP_TILE_URL": "", "CENTRAL_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[0] == "'' ''"
    assert "img-src 'self' data: blob:;" in out
