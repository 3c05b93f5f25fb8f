"""SPEC 7.4 pages: the out-of-service list and status map (member and viewer), marking repaired,
the status history on the asset page, naming a fire zone and water company, QR label sheets and
a public report's photo. Each role × own / other member's hydrants."""

from __future__ import annotations

import re
import xml.dom.minidom

import pytest

from central.assets.models import AssetStatusChange
from central.extensions import db
from tests.conftest import csrf_token, use_english
from tests.factories import make_asset, make_org, make_user


@pytest.fixture
def town():
    member, other = make_org("authority"), make_org("authority")
    fire_zone = make_org("fire_zone", nis_code=None, name="Brandweerzone Fluvia")
    water = make_org("water_company", nis_code=None, name="Farys")
    member.fire_zone_id = fire_zone.id
    db.session.flush()
    broken = make_asset(member, service_status="out_of_service")
    fine = make_asset(member, service_status="in_service")
    foreign = make_asset(other, service_status="out_of_service")
    return {
        "member": member,
        "fire_zone": fire_zone,
        "water": water,
        "broken": broken,
        "fine": fine,
        "foreign": foreign,
        "member_user": make_user("member", member),
        "viewer": make_user("viewer", fire_zone),
        "water_viewer": make_user("viewer", water),
    }


def test_the_out_of_service_list_shows_status_by_label_not_colour_alone(login_as, town):
    client = use_english(login_as(town["member_user"]))
    page = client.get("/hydrants").get_data(as_text=True)
    assert town["broken"].code in page
    assert town["fine"].code not in page and town["foreign"].code not in page
    assert "Out of service" in page and 'class="service-shape"' in page


def test_a_viewer_sees_the_list_and_map_of_the_members_that_name_it(login_as, town):
    client = login_as(town["viewer"])
    page = client.get("/hydrants").get_data(as_text=True)
    assert town["broken"].code in page and town["foreign"].code not in page
    points = client.get("/hydrants/map.json").get_json()
    assert {p["code"] for p in points} == {town["broken"].code, town["fine"].code}
    assert {p["status_label"] for p in points} == {"Buiten dienst", "In dienst"}
    assert client.get("/hydrants/map").status_code == 200
    assert client.get(f"/assets/{town['broken'].id}").status_code == 200
    assert client.get(f"/assets/{town['foreign'].id}").status_code == 404


def test_a_viewer_of_no_member_sees_no_hydrant(login_as, town):
    client = login_as(town["water_viewer"])
    assert client.get("/hydrants/map.json").get_json() == []
    assert client.get(f"/assets/{town['broken'].id}").status_code == 404


def test_a_viewer_has_no_money_pages_and_no_member_actions(login_as, town):
    client = login_as(town["viewer"])
    for path in ("/assets", "/needs", "/reports/statements", "/hydrants/labels"):
        assert client.get(path).status_code in (403, 404), path
    token = csrf_token(client)
    response = client.post(f"/assets/{town['broken'].id}/repaired", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.refresh(town["broken"])
    assert town["broken"].service_status == "out_of_service"


def test_a_member_marks_a_hydrant_repaired_on_its_page(login_as, town):
    client = login_as(town["member_user"])
    asset = town["broken"]
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Markeer als hersteld" in page and asset.public_token in page
    response = client.post(
        f"/assets/{asset.id}/repaired",
        data={"csrf_token": csrf_token(client), "note": "Klep vervangen"},
    )
    assert response.status_code == 302
    db.session.refresh(asset)
    assert asset.service_status == "in_service"
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Klep vervangen" in page and "Als hersteld gemeld" in page
    assert db.session.query(AssetStatusChange).filter_by(asset_id=asset.id).count() == 1


def test_another_member_cannot_mark_a_hydrant_repaired(login_as, town):
    client = login_as(make_user("member"))
    response = client.post(
        f"/assets/{town['broken'].id}/repaired", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404


def test_a_member_names_its_fire_zone_and_water_company_on_a_page(login_as, town):
    client = login_as(town["member_user"])
    page = client.get("/organisation/fire-zone").get_data(as_text=True)
    assert "Brandweerzone Fluvia" in page and "Farys" in page
    response = client.post(
        "/organisation/fire-zone",
        data={
            "csrf_token": csrf_token(client),
            "fire_zone_id": town["fire_zone"].id,
            "water_company_id": town["water"].id,
        },
    )
    assert response.status_code == 302
    db.session.refresh(town["member"])
    assert town["member"].water_company_id == town["water"].id
    wrong = client.post(
        "/organisation/fire-zone",
        data={
            "csrf_token": csrf_token(client),
            "fire_zone_id": town["water"].id,
            "water_company_id": 0,
        },
    )
    assert wrong.status_code == 400


def test_a_member_prints_a4_sheets_of_qr_labels_of_its_public_links(app, login_as, town):
    app.config["PUBLIC_BASE_URL"] = "https://melding.example.be"
    try:
        client = login_as(town["member_user"])
        assert "Blad 1 (SVG)" in client.get("/hydrants/labels").get_data(as_text=True)
        response = client.get("/hydrants/labels.svg?sheet=1")
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    document = xml.dom.minidom.parseString(svg.encode())  # noqa: S318 - our own SVG
    assert document.documentElement.getAttribute("width") == "210.0mm"
    assert town["broken"].code in svg and town["fine"].code in svg
    assert town["foreign"].code not in svg
    assert len(re.findall(r'class="segno"', svg)) == 2


def test_a_public_reports_photo_is_shown_only_within_reach(login_as, client, town, file_store):
    import io

    from PIL import Image

    from central.assets.models import Need
    from central.assets.public_reports import report_problem

    out = io.BytesIO()
    Image.new("RGB", (40, 40)).save(out, "PNG")
    need = report_problem(town["fine"], category="damaged", text="Deksel weg", photo=out.getvalue())
    db.session.flush()
    member_client = login_as(town["member_user"])
    assert member_client.get(f"/needs/{need.id}/photo").mimetype == "image/jpeg"
    page = member_client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Publieke melding" in page
    member_client.post("/logout", data={"csrf_token": csrf_token(member_client)})
    other = login_as(make_user("member"))
    assert other.get(f"/needs/{need.id}/photo").status_code == 404
    assert isinstance(need, Need)
