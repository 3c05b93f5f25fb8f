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
