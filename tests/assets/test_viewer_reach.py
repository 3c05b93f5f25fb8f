"""SPEC 7.4 reach of the viewer role (a fire zone's or a water company's user): the assets of the
members that name its organisation, their status, history and the out-of-service list — nothing
else (404), no money, no writes; and a member names its fire zone and water company."""

from __future__ import annotations

import json

import pytest

from central.accounts.services import create_user
from central.assets import geojson
from central.assets.models import Need
from central.core.errors import ValidationError
from central.extensions import db
from tests.factories import make_active_framework, make_asset, make_org, make_token, make_user


def call(client, user, method: str, path: str, **kwargs):
    token = make_token(user)
    return getattr(client, method)(
        f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


@pytest.fixture
def served():
    """A member that names a fire zone and a water company; another member that names neither."""
    lead = make_org("authority")
    member, other = make_org("authority"), make_org("authority")
    make_active_framework(lead, members=[member, other])
    fire_zone = make_org("fire_zone", nis_code=None)
    water = make_org("water_company", nis_code=None)
    member.fire_zone_id, member.water_company_id = fire_zone.id, water.id
    asset, broken = make_asset(member), make_asset(member, service_status="out_of_service")
    foreign = make_asset(other)
    need = Need(member_id=member.id, asset_id=asset.id, description="Leaks")
    db.session.add(need)
    db.session.flush()
    return {
        "member": member,
        "other": other,
        "fire_zone": fire_zone,
        "water": water,
        "asset": asset,
        "broken": broken,
        "foreign": foreign,
        "need": need,
        "viewer": make_user("viewer", fire_zone),
        "water_viewer": make_user("viewer", water),
        "member_user": make_user("member", member),
    }


def test_a_viewer_reads_the_assets_of_the_members_that_name_its_organisation(client, served):
    for viewer in (served["viewer"], served["water_viewer"]):
        listed = call(client, viewer, "get", "/assets")
        assert listed.status_code == 200
        assert {a["id"] for a in listed.json} == {served["asset"].id, served["broken"].id}
        one = call(client, viewer, "get", f"/assets/{served['asset'].id}")
        assert one.status_code == 200 and one.json["service_status"] == "unknown"
        history = call(client, viewer, "get", f"/assets/{served['broken'].id}/status-history")
        assert history.status_code == 200


def test_a_viewer_reads_the_out_of_service_list(client, served):
    listed = call(client, served["viewer"], "get", "/assets?service_status=out_of_service")
    assert [a["id"] for a in listed.json] == [served["broken"].id]


def test_a_viewer_reaches_nothing_of_a_member_that_does_not_name_it(client, served):
    viewer, foreign = served["viewer"], served["foreign"]
    assert call(client, viewer, "get", f"/assets/{foreign.id}").status_code == 404
    assert call(client, viewer, "get", f"/assets/{foreign.id}/status-history").status_code == 404
    assert call(client, viewer, "get", f"/organisations/{served['other'].id}").status_code == 404


def test_a_viewer_sees_no_needs_money_or_work(client, served):
    viewer = served["viewer"]
    assert call(client, viewer, "get", f"/needs/{served['need'].id}").status_code == 404
    for path in ("/needs", "/service-plans", "/rounds", "/statements", "/budgets", "/frameworks"):
        response = call(client, viewer, "get", path)
        assert response.status_code in (200, 403, 404), path
        if response.status_code == 200:
            assert response.json == [], path


def test_a_viewer_changes_nothing(client, served):
    viewer, asset = served["viewer"], served["broken"]
    assert (
        call(client, viewer, "patch", f"/assets/{asset.id}", json={"notes": "x"}).status_code == 403
    )
    assert call(client, viewer, "post", f"/assets/{asset.id}/repaired").status_code == 403
    assert call(client, viewer, "post", f"/assets/{asset.id}/out-of-service").status_code == 403
    assert call(client, viewer, "get", f"/assets/{asset.id}/public-link").status_code == 403
    assert call(client, viewer, "post", "/assets", json={}).status_code in (400, 403)
    db.session.refresh(asset)
    assert asset.service_status == "out_of_service"


def test_a_viewer_works_for_a_fire_zone_or_a_water_company(served):
    with pytest.raises(ValidationError):
        create_user(
            email="viewer@gemeente.example",
            role="viewer",
            organisation_id=served["member"].id,
            password="correct horse battery",
        )
    with pytest.raises(ValidationError):
        create_user(
            email="member@brandweer.example",
            role="member",
            organisation_id=served["fire_zone"].id,
            password="correct horse battery",
        )


def test_a_member_names_its_fire_zone_and_water_company(client, served):
    member_user, other = served["member_user"], served["other"]
    other_user = make_user("member", other)
    response = call(
        client,
        other_user,
        "patch",
        f"/organisations/{other.id}",
        json={"fire_zone_id": served["fire_zone"].id, "water_company_id": served["water"].id},
    )
    assert response.status_code == 200, response.json
    assert response.json["fire_zone_id"] == served["fire_zone"].id
    # Its viewers now reach the other member's assets too.
    listed = call(client, served["viewer"], "get", "/assets")
    assert served["foreign"].id in {a["id"] for a in listed.json}
    # A fire zone must be a fire zone; other fields stay the admin's; another's is not theirs.
    wrong = call(
        client,
        other_user,
        "patch",
        f"/organisations/{other.id}",
        json={"fire_zone_id": served["water"].id},
    )
    assert wrong.status_code == 400
    name = call(client, other_user, "patch", f"/organisations/{other.id}", json={"name": "X"})
    assert name.status_code == 403
    theirs = call(
        client,
        member_user,
        "patch",
        f"/organisations/{other.id}",
        json={"fire_zone_id": None},
    )
    assert theirs.status_code in (403, 404)


def test_a_member_sees_the_fire_zones_and_water_companies_it_may_name(client, served):
    listed = call(client, served["member_user"], "get", "/organisations?per_page=100").json
    ids = {o["id"] for o in listed}
    assert {served["fire_zone"].id, served["water"].id} <= ids


def test_a_public_link_is_built_on_public_base_url_and_rotates(app, client, served, monkeypatch):
    member_user, asset = served["member_user"], served["asset"]
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://melding.example.be/")
    first = call(client, member_user, "get", f"/assets/{asset.id}/public-link").json
    assert first["public_url"] == f"https://melding.example.be/r/{asset.public_token}"
    assert first["public_url"].rsplit("/", 1)[1] == asset.public_token != str(asset.id)
    rotated = call(client, member_user, "post", f"/assets/{asset.id}/public-link").json
    assert rotated["public_url"] != first["public_url"]
    assert len(rotated["public_url"].rsplit("/", 1)[1]) >= 22  # at least 128 random bits


# --- GeoJSON (RFC 7946) -----------------------------------------------------------------------


def _geojson(client, user, query=""):
    response = call(client, user, "get", f"/assets.geojson{query}")
    return response, (response.get_json(force=True) if response.status_code == 200 else None)


def test_the_geojson_is_an_rfc7946_feature_collection_in_lon_lat(client, served):
    response, body = _geojson(client, served["viewer"])
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert body["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in body["features"]}
    assert set(by_id) == {served["asset"].id, served["broken"].id}
    broken = by_id[served["broken"].id]
    assert broken["type"] == "Feature" and broken["geometry"]["type"] == "Point"
    lon, lat = broken["geometry"]["coordinates"]
    assert (round(lon, 6), round(lat, 6)) == (
        round(served["broken"].lon, 6),
        round(served["broken"].lat, 6),
    )
    assert broken["properties"]["service_status"] == "out_of_service"
    assert broken["properties"]["code"] == served["broken"].code


def test_the_geojson_is_streamed_whole_not_paginated(client, served):
    for _ in range(3):
        make_asset(served["member"])
    response = call(client, served["member_user"], "get", "/assets.geojson?per_page=1")
    assert response.is_streamed
    assert len(response.get_json(force=True)["features"]) == 5
    assert "X-Total-Count" not in response.headers


def test_the_geojson_of_a_member_is_only_its_assets_and_only_in_reach(client, served):
    coordinator_org = make_org("authority")
    make_active_framework(coordinator_org, members=[served["member"]])
    coordinator = make_user("coordinator", coordinator_org)
    _response, body = _geojson(client, coordinator, f"?member={served['member'].id}")
    assert {f["properties"]["member_id"] for f in body["features"]} == {served["member"].id}
    refused, _ = _geojson(client, served["viewer"], f"?member={served['other'].id}")
    assert refused.status_code == 404
    assert _geojson(client, served["viewer"], "?member=abc")[0].status_code == 400
    provider = make_user("provider")
    assert _geojson(client, provider)[0].status_code == 403


def test_the_geojson_leaves_out_retired_assets_and_escapes_text(client, served):
    from datetime import UTC, datetime

    served["asset"].status, served["asset"].retired_at = "retired", datetime.now(UTC)
    served["broken"].street = 'Kerkstraat "oud" \\ <b>'
    db.session.flush()
    _response, body = _geojson(client, served["viewer"])
    assert [f["id"] for f in body["features"]] == [served["broken"].id]
    assert body["features"][0]["properties"]["street"] == 'Kerkstraat "oud" \\ <b>'


def test_the_geojson_writes_every_text_as_the_json_encoder_does(client, served, monkeypatch):
    """Names with quotes, line breaks, control characters and non-ASCII letters come back exactly;
    missing values are null; the bytes do not depend on the batch size or on how many texts the
    export keeps escaped."""
    odd = make_asset(
        served["member"],
        code='HK-"1"\\',
        street='Rue de l\'Église\nachter "de kerk"\t\x01 \u2028 🚒',
        house_number=None,
        postcode=None,
        municipality="Sint-Eloois-Vijve\r",
        diameter_mm=80,
    )
    response = call(client, served["viewer"], "get", "/assets.geojson")
    text = response.get_data(as_text=True)
    by_id = {f["id"]: f for f in json.loads(text)["features"]}
    assert set(by_id) == {served["asset"].id, served["broken"].id, odd.id}
    properties = by_id[odd.id]["properties"]
    assert properties["code"] == odd.code and properties["street"] == odd.street
    assert properties["municipality"] == odd.municipality
    assert (properties["house_number"], properties["postcode"]) == (None, None)
    assert properties["diameter_mm"] == 80
    assert by_id[served["asset"].id]["properties"]["diameter_mm"] is None
    assert f"[{odd.lon:.6f},{odd.lat:.6f}]" in text
    assert json.dumps(odd.street, ensure_ascii=False) in text  # the encoder's own escaping

    monkeypatch.setattr(geojson, "BATCH", 1)
    monkeypatch.setattr(geojson, "TEXTS_KEPT", 1)
    again = call(client, served["viewer"], "get", "/assets.geojson").get_data(as_text=True)
    assert again == text


def test_the_hydrant_api_paths_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/assets/{asset_id}/repaired"]
    assert "post" in paths["/assets/{asset_id}/out-of-service"]
    assert "get" in paths["/assets/{asset_id}/status-history"]
    assert {"get", "post"} <= set(paths["/assets/{asset_id}/public-link"])
    geojson = paths["/assets.geojson"]["get"]
    assert "application/geo+json" in geojson["responses"]["200"]["content"]
    assert any(p["name"] == "member" for p in geojson["parameters"])
    assert any(p["name"] == "service_status" for p in paths["/assets"]["get"]["parameters"])
