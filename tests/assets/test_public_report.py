"""SPEC 7.4 public reports: /r/<token> without sign-in, in Dutch, CSRF-protected; a report becomes
a need with `source: public`; a retired asset's link says so; no other asset, no personal data;
the photo is checked and stripped as crews' photos are."""

from __future__ import annotations

import io
import re

from PIL import ExifTags, Image
from sqlalchemy import select

from central.assets.models import Need
from central.core.audit import AuditEvent
from central.core.mail import OutgoingMail
from central.extensions import db
from tests.conftest import csrf_token
from tests.factories import make_asset, make_org, make_user


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _jpeg_with_location() -> bytes:
    image = Image.new("RGB", (800, 600), (200, 30, 30))
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 56.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _post(client, asset, **data):
    page = client.get(f"/r/{asset.public_token}").get_data(as_text=True)
    values = {"csrf_token": _token(page), "category": "leaking", "text": "Lekt hevig", **data}
    return client.post(f"/r/{asset.public_token}", data=values, content_type="multipart/form-data")


def _public_needs(asset):
    return db.session.scalars(
        select(Need).where(Need.asset_id == asset.id, Need.source == "public")
    ).all()


def test_the_public_page_opens_without_sign_in_in_dutch(client):
    member = make_org("authority")
    asset, other = make_asset(member), make_asset(member)
    response = client.get(f"/r/{asset.public_token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="nl">' in page and "Meld een probleem" in page
    assert asset.code in page and other.code not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_public_report_becomes_a_need_with_source_public(client):
    member = make_org("authority")
    member_user = make_user("member", member)
    asset = make_asset(member)
    response = _post(client, asset, email="buur@example.org")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/r/{asset.public_token}/thanks")
    [need] = _public_needs(asset)
    assert need.status == "open" and need.member_id == member.id
    assert "Lekt hevig" in need.description and need.created_by_id is None
    assert need.reporter_email == "buur@example.org"
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "need.reported_publicly", AuditEvent.object_id == need.id
        )
    )
    assert event.actor_id is None
    mails = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.recipient == member_user.email)
    ).all()
    assert len(mails) == 1
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "buur@example.org" not in thanks


def test_a_public_report_without_a_csrf_token_is_refused(client):
    asset = make_asset(make_org("authority"))
    response = client.post(f"/r/{asset.public_token}", data={"category": "leaking", "text": "Lekt"})
    assert response.status_code == 400
    assert _public_needs(asset) == []


def test_a_public_report_needs_a_category_and_a_text(client):
    asset = make_asset(make_org("authority"))
    response = _post(client, asset, category="", text="")
    assert response.status_code == 400
    assert _public_needs(asset) == []
    response = _post(client, asset, email="geen-adres")
    assert response.status_code == 400
    assert _public_needs(asset) == []


def test_a_public_report_photo_is_checked_and_stripped(app, client, file_store):
    asset = make_asset(make_org("authority"))
    response = _post(client, asset, photo=(io.BytesIO(_jpeg_with_location()), "foto.jpg"))
    assert response.status_code == 302
    [need] = _public_needs(asset)
    from central.core import storage

    with Image.open(io.BytesIO(storage.current_storage().get(need.photo_key))) as stored:
        assert ExifTags.IFD.GPSInfo not in stored.getexif()
    refused = _post(client, asset, photo=(io.BytesIO(b"not an image"), "foto.jpg"))
    assert refused.status_code == 400
    assert len(_public_needs(asset)) == 1


def test_a_retired_assets_link_says_so(client):
    from datetime import UTC, datetime

    asset = make_asset(make_org("authority"))
    asset.status, asset.retired_at = "retired", datetime.now(UTC)
    db.session.flush()
    response = client.get(f"/r/{asset.public_token}")
    assert response.status_code == 410
    assert "niet meer in gebruik" in response.get_data(as_text=True)
    token = csrf_token(client)
    posted = client.post(f"/r/{asset.public_token}", data={"csrf_token": token, "text": "x"})
    assert posted.status_code == 410
    assert _public_needs(asset) == []


def test_an_unknown_or_rotated_token_names_nothing(client):
    from central.assets import availability

    member = make_org("authority")
    asset = make_asset(member)
    old = asset.public_token
    availability.rotate_public_token(asset, actor=make_user("member", member))
    assert client.get(f"/r/{old}").status_code == 404
    assert client.get(f"/r/{asset.public_token}").status_code == 200
    assert client.get(f"/r/{asset.id}").status_code == 404


def test_public_reports_are_rate_limited_per_client_address(app, client, monkeypatch):
    from central.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_PUBLIC_REPORT", "2 per hour")
    member = make_org("authority")
    first, second = make_asset(member), make_asset(member)
    assert _post(client, first).status_code == 302
    assert _post(client, second).status_code == 302
    refused = _post(client, first)
    assert refused.status_code == 429
    assert len(_public_needs(first)) == 1
    limiter.reset()


def test_public_reports_are_rate_limited_per_asset(app, client, monkeypatch):
    from central.extensions import limiter

    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_PUBLIC_REPORT_ASSET", "1 per day")
    member = make_org("authority")
    asset, other = make_asset(member), make_asset(member)
    assert _post(client, asset).status_code == 302
    assert _post(client, asset).status_code == 429
    assert _post(client, other).status_code == 302
    assert len(_public_needs(asset)) == 1
    limiter.reset()
