"""The inventory pages: list, map, detail, add/edit/retire, import with preview, service plans,
needs; and who may open each of them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from central.assets.models import Asset, Need, ServicePlan
from tests.conftest import csrf_token
from tests.factories import make_active_framework, make_asset, make_org, make_user

GOOD = (
    "code;type;straat;huisnummer;postcode;gemeente;x;y\n"
    "HK-1;ondergrondse brandkraan;Kerkstraat;1;8800;Roeselare;63500;187500\n"
    "HK-2;bovengrondse brandkraan;Markt;2;8800;Roeselare;63600,5;187600\n"
)
BAD = GOOD + "HK-3;kraan;Markt;3;8800;Roeselare;63700;187700\n"


@pytest.fixture
def member():
    return make_org("authority")


@pytest.fixture
def member_client(login_as, member):
    return login_as(make_user("member", member))


def count(model, **where) -> int:
    from central.extensions import db

    stmt = select(func.count(model.id))
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def post_file(client, data: bytes, name: str = "inventaris.csv"):
    return client.post(
        "/assets/import",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_page_previews_then_confirms_a_real_upload(member_client, member, app):
    page = member_client.get("/assets/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    preview = post_file(member_client, GOOD.encode())
    assert preview.status_code == 200, preview.text[:3000]
    assert count(Asset, member_id=member.id) == 0
    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text).group(1)
    stored = Path(app.config["STORAGE_DIR"]) / "imports" / f"{upload}.upload"
    assert stored.is_file()
    done = member_client.post(
        "/assets/import/confirm",
        data={"csrf_token": csrf_token(member_client), "upload": upload},
    )
    assert done.status_code == 302
    assert count(Asset, member_id=member.id) == 2
    assert not stored.exists(), "the kept upload is deleted after the import"
    # Confirming again finds nothing to import.
    again = member_client.post(
        "/assets/import/confirm",
        data={"csrf_token": csrf_token(member_client), "upload": upload},
    )
    assert again.status_code == 302 and count(Asset, member_id=member.id) == 2


def test_import_page_shows_every_bad_row_and_offers_no_confirmation(member_client, member):
    refused = post_file(member_client, BAD.encode())
    assert refused.status_code == 400
    assert "kraan" in refused.text and ">4<" in refused.text
    assert "import/confirm" not in refused.text
    assert count(Asset, member_id=member.id) == 0


def test_import_page_refuses_a_file_that_is_not_csv_or_xlsx(member_client):
    refused = post_file(member_client, b"\x89PNG\r\n\x1a\n\x00\x00binary", name="photo.csv")
    assert refused.status_code == 400
    assert "CSV" in refused.text


def test_another_sessions_upload_cannot_be_confirmed(member_client, member, client, login_as):
    preview = post_file(member_client, GOOD.encode())
    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.text).group(1)
    member_client.get("/")  # keep the first session
    other = make_user("member", member)
    from flask.testing import FlaskClient

    second = FlaskClient(client.application, client.response_wrapper)
    second.post(
        "/login",
        data={
            "email": other.email,
            "password": "correct horse battery",
            "csrf_token": csrf_token(second),
        },
    )
    refused = second.post(
        "/assets/import/confirm", data={"csrf_token": csrf_token(second), "upload": upload}
    )
    assert refused.status_code == 302
    assert count(Asset, member_id=member.id) == 0


def test_asset_list_filters_and_shows_service_columns(member_client, member):
    make_asset(member, code="HK-A", municipality="Izegem")
    make_asset(member, code="HK-B", municipality="Roeselare")
    make_asset(make_org("authority"), code="HK-OTHER")
    page = member_client.get("/assets?municipality=Izegem")
    assert page.status_code == 200
    assert "HK-A" in page.text and "HK-B" not in page.text and "HK-OTHER" not in page.text
    assert "Last service" in page.text or "Laatste" in page.text


def test_asset_add_edit_and_retire_with_confirmation(member_client, member):
    created = member_client.post(
        "/assets/new",
        data={
            "csrf_token": csrf_token(member_client),
            "code": "HK-NEW",
            "kind": "hydrant_pillar",
            "street": "Markt",
            "municipality": "Roeselare",
            "lat": "50.9465",
            "lon": "3.1235",
        },
    )
    assert created.status_code == 302, created.text[:2000]
    asset_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    edited = member_client.post(
        f"/assets/{asset_id}/edit",
        data={
            "csrf_token": csrf_token(member_client),
            "code": "HK-NEW",
            "kind": "hydrant_pillar",
            "street": "Grote Markt",
            "municipality": "Roeselare",
            "lat": "50.9465",
            "lon": "3.1235",
        },
    )
    assert edited.status_code == 302
    confirm = member_client.get(f"/assets/{asset_id}/retire")
    assert confirm.status_code == 200
    retired = member_client.post(
        f"/assets/{asset_id}/retire", data={"csrf_token": csrf_token(member_client)}
    )
    assert retired.status_code == 302
    detail = member_client.get(f"/assets/{asset_id}")
    assert detail.status_code == 200 and "asset.retired" in detail.text


def test_asset_outside_belgium_is_refused_on_the_form(member_client):
    refused = member_client.post(
        "/assets/new",
        data={
            "csrf_token": csrf_token(member_client),
            "code": "HK-X",
            "kind": "hydrant_pillar",
            "street": "Dam",
            "municipality": "Amsterdam",
            "lat": "52.37",
            "lon": "4.89",
        },
    )
    assert refused.status_code == 400


def test_map_page_loads_leaflet_from_the_app_and_data_as_json(member_client, member):
    make_asset(member, code="HK-MAP")
    page = member_client.get("/assets/map")
    assert page.status_code == 200
    assert "/vendor/leaflet/leaflet.js" in page.text and "unpkg" not in page.text
    assert member_client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert member_client.get("/vendor/leaflet/leaflet.css").status_code == 200
    data = member_client.get("/assets/map.json").json
    assert [p["code"] for p in data] == ["HK-MAP"]


def test_map_has_no_base_tiles_unless_configured(member_client, app):
    assert 'data-tiles=""' in member_client.get("/assets/map").text


def test_csv_export_escapes_formulas(member_client, member):
    make_asset(member, code="HK-F", notes='=HYPERLINK("http://evil.example")')
    export = member_client.get("/assets/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "'=HYPERLINK" in export.text


def test_service_plan_pages_show_due_counts(member_client, member):
    framework = make_active_framework(members=[member])
    lot = framework.lots[0]
    make_asset(member)
    form = member_client.get("/service-plans/new")
    assert form.status_code == 200 and f'value="{lot.id}:hydrant_inspection"' in form.text
    created = member_client.post(
        "/service-plans/new",
        data={
            "csrf_token": csrf_token(member_client),
            "lot_task": f"{lot.id}:hydrant_inspection",
            "asset_kind": "",
            "interval_months": "12",
            "season_months": ["3", "4"],
            "active": "y",
        },
    )
    assert created.status_code == 302, created.text[:2000]
    assert count(ServicePlan, member_id=member.id) == 1
    listing = member_client.get("/service-plans")
    assert listing.status_code == 200 and "mrt, apr" in listing.text


def test_need_pages_log_on_a_place_and_cancel(member_client, member):
    form = member_client.get("/needs/new")
    assert form.status_code == 200 and "data-pick" in form.text
    created = member_client.post(
        "/needs/new",
        data={
            "csrf_token": csrf_token(member_client),
            "lat": "50.95",
            "lon": "3.12",
            "address": "Markt 1, Roeselare",
            "description": "Broken signpost",
            "priority": "urgent",
            "lot_task": "",
        },
    )
    assert created.status_code == 302, created.text[:2000]
    need_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert member_client.get(f"/needs/{need_id}").status_code == 200
    assert member_client.get(f"/needs/{need_id}/cancel").status_code == 200
    member_client.post(f"/needs/{need_id}/cancel", data={"csrf_token": csrf_token(member_client)})
    from central.extensions import db

    assert db.session.get(Need, need_id).status == "cancelled"


def test_need_on_an_asset_code_of_another_member_is_refused(member_client):
    make_asset(make_org("authority"), code="HK-THEIRS")
    refused = member_client.post(
        "/needs/new",
        data={
            "csrf_token": csrf_token(member_client),
            "asset_code": "HK-THEIRS",
            "description": "x",
            "priority": "normal",
            "lot_task": "",
        },
    )
    assert refused.status_code == 400
    assert count(Need) == 0


def test_asset_form_takes_a_measure_with_a_decimal_comma(member_client, member):
    from decimal import Decimal

    from central.extensions import db

    data = {
        "csrf_token": csrf_token(member_client),
        "code": "HAAG-1",
        "kind": "hydrant_pillar",
        "street": "Markt",
        "municipality": "Roeselare",
        "lat": "50.9465",
        "lon": "3.1235",
    }
    form = member_client.get("/assets/new")
    assert "Maat" in form.text  # Dutch by default
    refused = member_client.post("/assets/new", data={**data, "measure": "0"})
    assert refused.status_code == 400
    assert "groter dan 0 en kleiner dan 10.000.000" in refused.text
    created = member_client.post("/assets/new", data={**data, "measure": "40,5"})
    assert created.status_code == 302, created.text[:2000]
    asset = db.session.scalar(select(Asset).where(Asset.code == "HAAG-1"))
    assert asset.measure == Decimal("40.50")
    assert "40.50" in member_client.get(f"/assets/{asset.id}").text


def test_need_form_takes_a_quantity(member_client, member):
    from decimal import Decimal

    from central.extensions import db

    created = member_client.post(
        "/needs/new",
        data={
            "csrf_token": csrf_token(member_client),
            "lat": "50.95",
            "lon": "3.12",
            "address": "Markt 1, Roeselare",
            "description": "Trim the hedge",
            "priority": "normal",
            "lot_task": "",
            "quantity": "12,25",
        },
    )
    assert created.status_code == 302, created.text[:2000]
    need_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert db.session.get(Need, need_id).quantity == Decimal("12.25")
    page = member_client.get(f"/needs/{need_id}")
    assert "Hoeveelheid" in page.text and "12.25" in page.text


# --- reach: every page, each role x own / other authority -------------------------------------


PAGES = [
    "/assets",
    "/assets/map",
    "/assets/map.json",
    "/assets/import",
    "/assets/export.csv",
    "/assets/new",
    "/service-plans",
    "/service-plans/new",
    "/needs",
    "/needs/new",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("role", "allowed"),
    [("member", True), ("coordinator", True), ("provider", False), ("admin", False)],
)
def test_inventory_pages_are_for_members_and_coordinators(login_as, path, role, allowed):
    client = login_as(make_user(role))
    status = client.get(path).status_code
    assert (status == 200) is allowed, (path, role, status)
    if not allowed:
        assert status == 403


def test_pages_need_sign_in(client):
    for path in PAGES:
        assert client.get(path).status_code == 302, path


OBJECT_PAGES = [
    "/assets/{asset}",
    "/assets/{asset}/edit",
    "/assets/{asset}/retire",
    "/service-plans/{plan}/edit",
    "/needs/{need}",
    "/needs/{need}/cancel",
]


@pytest.fixture
def objects(member):
    from central.extensions import db

    framework = make_active_framework(members=[member])
    lot = framework.lots[0]
    asset = make_asset(member)
    plan = ServicePlan(
        member_id=member.id, lot_id=lot.id, task_type="hydrant_inspection", interval_months=12
    )
    need = Need(member_id=member.id, asset_id=asset.id, description="x", lot_id=lot.id)
    db.session.add_all([plan, need])
    db.session.flush()
    return {"asset": asset.id, "plan": plan.id, "need": need.id, "framework": framework}


@pytest.mark.parametrize("path", OBJECT_PAGES)
def test_own_authoritys_objects_open(login_as, member, objects, path):
    client = login_as(make_user("member", member))
    assert client.get(path.format(**objects)).status_code == 200


@pytest.mark.parametrize("path", OBJECT_PAGES)
@pytest.mark.parametrize("role", ["member", "coordinator", "provider", "admin"])
def test_other_authoritys_objects_are_not_found(login_as, objects, path, role):
    client = login_as(make_user(role))
    status = client.get(path.format(**objects)).status_code
    assert status in (403, 404) if role in ("provider", "admin") else status == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/assets/{asset}", 200),
        ("/assets/{asset}/edit", 403),
        ("/assets/{asset}/retire", 403),
        ("/service-plans/{plan}/edit", 403),
        ("/needs/{need}", 200),
        ("/needs/{need}/cancel", 403),
    ],
)
def test_lead_coordinator_reads_but_does_not_change_members_objects(
    login_as, objects, path, status
):
    lead = objects["framework"].lead_organisation
    client = login_as(make_user("coordinator", lead))
    assert client.get(path.format(**objects)).status_code == status


def test_a_domain_error_on_a_page_is_in_dutch(member_client, member):
    """A service's error (rule 9: a code is unique within the member) reaches a Dutch user in
    Dutch, on the form it came from."""
    make_asset(member, code="HK-TAKEN")
    form = {
        "csrf_token": csrf_token(member_client),
        "kind": "hydrant_pillar",
        "street": "Markt",
        "municipality": "Roeselare",
        "lat": "50.9465",
        "lon": "3.1235",
    }
    taken = member_client.post("/assets/new", data={**form, "code": "HK-TAKEN"})
    assert taken.status_code == 400
    assert "Een ander object van uw bestuur heeft deze code." in taken.text
    assert "Another asset of your authority has this code." not in taken.text
    assert count(Asset, member_id=member.id) == 1


def test_a_file_over_the_limit_goes_back_to_the_form_saying_the_limit(
    member_client, app, monkeypatch
):
    """§7.6: not a generic error page — the import form again, with the limit in Dutch."""
    from central.assets import services

    monkeypatch.setattr(services, "IMPORT_MAX_BYTES", 1024 * 1024 // 2)  # 0,5 MB
    answer = post_file(member_client, b"code;street\n" + b"x" * (1024 * 1024))
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/assets/import")
    page = member_client.get(answer.headers["Location"])
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert "groter dan de limiet van 0,5 MB" in page.text


def test_a_request_over_the_platforms_limit_goes_back_to_the_form_too(
    member_client, app, monkeypatch
):
    """The platform-wide limit (MAX_CONTENT_LENGTH) is caught before any view: same answer."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    answer = post_file(member_client, b"x" * (2 * 1024 * 1024))
    assert answer.status_code == 303
    page = member_client.get(answer.headers["Location"])
    assert "groter dan de limiet van 1 MB" in page.text


def test_an_import_problem_names_its_column_in_words(member_client):
    """The page says which column is wrong in the reader's words, not the field's code."""
    bad = (
        "code;soort;straat;huisnummer;postcode;gemeente;lat;lon\n"
        "BK-1;;Kerkstraat;1;8870;Izegem;50.9;3.2\n"
    )
    page = post_file(member_client, bad.encode()).get_data(as_text=True)
    assert "<td>soort (kind)</td>" in page
    assert "<td>kind</td>" not in page
