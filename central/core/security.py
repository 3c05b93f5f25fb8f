"""Security headers on every response (a strict CSP without inline scripts, no framing, nosniff),
safe download names and the stored form of API tokens."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Response, current_app, request


def _tile_origin() -> str:
    """The tile server's origin for the CSP; a `{s}` subdomain placeholder becomes the `*.`
    wildcard (which CSP allows only as the leftmost label)."""
    url = current_app.config.get("MAP_TILE_URL")
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "subdomain-placeholder"))
    host = parts.netloc.replace("subdomain-placeholder", "*")
    if not host or ("*" in host and not host.startswith("*.")) or host.count("*") > 1:
        return ""
    return f" {parts.scheme}://{host}"


def set_security_headers(response: Response) -> Response:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{_tile_origin()}; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/api/") or response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def safe_next_url(target: str | None) -> str | None:
    """Accept only a local path for `next`, so that sign-in cannot redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition header that downloads `filename` (RFC 6266): a plain ASCII name
    without quotes, slashes or control characters for old clients, and the full name as
    UTF-8 in `filename*` (RFC 8187). Nothing in a name (a reference from any coordinator) can
    end the header or add another."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._") or "download"
    full = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(full, safe='')}"


def hash_token(token: str) -> str:
    """The stored form of an API token: its SHA-256 (the token itself is shown once, never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


# How an API token is found by its stored hash: the accounts domain, which owns the tokens,
# registers it (core imports no domain); see `find_api_token`.
_api_token_lookup: Callable[[str], Any] | None = None


def register_api_token_lookup(lookup: Callable[[str], Any]) -> Callable[[str], Any]:
    """Declare `lookup(token_hash)` as the way an API token (or None) is found by its hash."""
    global _api_token_lookup
    _api_token_lookup = lookup
    return lookup


def find_api_token(secret: str) -> Any:
    """The API token whose stored hash is that of `secret`, or None (whatever its state)."""
    if _api_token_lookup is None:
        raise LookupError("No API token lookup is registered (the accounts domain registers one)")
    return _api_token_lookup(hash_token(secret))
