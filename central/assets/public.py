"""The public report link of an asset (SPEC 7.4): /r/<token>, built on PUBLIC_BASE_URL."""

from __future__ import annotations

from flask import current_app, has_request_context, request

PUBLIC_PATH = "/r/"


def public_url(asset) -> str:
    """The asset's public report URL: PUBLIC_BASE_URL (the address the public reaches) followed
    by /r/<token>; without it, this server's own address."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        return f"{base}{PUBLIC_PATH}{asset.public_token}"
    if has_request_context():
        base = request.host_url.rstrip("/")
    return f"{base}{PUBLIC_PATH}{asset.public_token}"
