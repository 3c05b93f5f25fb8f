"""The assets API: assets, the import, service plans and needs, with their rules and reach."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from central.assets.models import Asset, Need, ServicePlan
from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.extensions import db
from tests.factories import (
    make_accession,
    make_active_framework,
    make_asset,
    make_lot,
    make_org,
    make_task_type,
    make_token,
    make_user,
    name_beneficiaries,
)

CSV = (
    "code;type;straat;huisnummer;postcode;gemeente;lat;lon;opmerkingen\n"
    "HK-1;ondergrondse brandkraan;Kerkstraat;1;8800;Roeselare;50,9465;3,1235;\n"
    "HK-2;bovengrondse brandkraan;Markt;2;8800;Roeselare;50,9470;3,1240;"
    '"=HYPERLINK(""http://evil.example"")"\n'
)


@pytest.fixture
def member():
    return make_org("authority")


@pytest.fixture
def api(client, member):
    """A client calling the API as a member user of `member` with a Bearer token."""
    user = make_user("member", member)
    return _client(client, user)


def _client(client, user):
    token = make_token(user)

    class Api:
        def __init__(self):
            self.user = user

        def __getattr__(self, method):
            def call(path, **kwargs):
                headers = kwargs.pop("headers", {})
                headers["Authorization"] = f"Bearer {token}"
                return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

            return call

    return Api()


def upload(api, data: bytes, name="assets.csv", dry_run=False):
    query = "?dry_run=true" if dry_run else ""
    return api.post(
        f"/assets/import{query}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def count_assets(member) -> int:
    from central.extensions import db

    return db.session.scalar(select(func.count(Asset.id)).where(Asset.member_id == member.id))


# --- assets -------------------------------------------------------------------------------------


def test_member_creates_reads_and_edits_an_asset(api, member):
    body = {
        "code": "HK-1",
        "kind": "hydrant_pillar",
        "street": "Markt",
        "house_number": "1",
        "postcode": "8800",
        "municipality": "Roeselare",
        "lat": 50.9465,
        "lon": 3.1235,
        "diameter_mm": 100,
    }
    created = api.post("/assets", json=body)
    assert created.status_code == 201, created.json
    asset = created.json
    assert asset["member_id"] == member.id and asset["status"] == "active"
    assert api.get(f"/assets/{asset['id']}").json["code"] == "HK-1"
    changed = api.patch(f"/assets/{asset['id']}", json={"street": "Grote Markt"})
    assert changed.status_code == 200 and changed.json["street"] == "Grote Markt"
    listed = api.get("/assets")
    assert listed.headers["X-Total-Count"] == "1"


def test_asset_code_is_unique_within_the_member(api, member):
    make_asset(member, code="HK-1")
    other = make_org("authority")
    make_asset(other, code="HK-2")
    body = {
        "code": "HK-1",
        "kind": "hydrant_pillar",
        "street": "Markt",
        "municipality": "Roeselare",
        "lat": 50.9,
        "lon": 3.1,
    }
    refused = api.post("/assets", json=body)
    assert refused.status_code == 400 and "code" in refused.json["error"]["fields"]
    # Another member's code does not conflict.
    assert api.post("/assets", json={**body, "code": "HK-2"}).status_code == 201


def test_asset_outside_belgium_or_of_unknown_kind_is_refused(api):
    body = {"code": "A", "street": "S", "municipality": "M", "lat": 52.37, "lon": 4.89}
    assert api.post("/assets", json={**body, "kind": "hydrant_pillar"}).status_code == 400
    assert api.post("/assets", json={**body, "kind": "tree", "lat": 50.9, "lon": 3.1}).json[
        "error"
    ]["fields"]["kind"]


def test_retired_asset_keeps_its_history_and_cannot_change(api, member):
    asset = make_asset(member)
    retired = api.patch(f"/assets/{asset.id}", json={"status": "retired"})
    assert retired.status_code == 200 and retired.json["status"] == "retired"
    assert api.get(f"/assets/{asset.id}").status_code == 200
    assert api.patch(f"/assets/{asset.id}", json={"street": "X"}).status_code == 409
    assert api.patch(f"/assets/{asset.id}", json={"status": "active"}).status_code == 409


def test_retiring_an_asset_cancels_its_open_tasks_and_keeps_done_work(api, member):
    from central.planning.models import Round, Task
    from tests.factories import make_round

    provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(members=[member], providers=[provider])
    lot = framework.lots[0]
    retiring, other = make_asset(member), make_asset(member)
    round_ = make_round(lot, member, [retiring, other], provider=provider)
    done_round = make_round(
        lot,
        member,
        [retiring],
        provider=provider,
        status="completed",
        task_status="done",
        completed_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    retired = api.patch(f"/assets/{retiring.id}", json={"status": "retired"})
    assert retired.status_code == 200
    tasks = {(t.round_id, t.asset_id): t.status for t in db.session.scalars(select(Task))}
    assert tasks[(round_.id, retiring.id)] == "cancelled"  # no crew is sent to it
    assert tasks[(round_.id, other.id)] == "open"
    assert tasks[(done_round.id, retiring.id)] == "done"  # done work stays (and is billed)
    assert db.session.get(Round, round_.id).status != "cancelled"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "asset.retired")).one()
    assert len(event.data["tasks_cancelled"]) == 1


def test_another_members_asset_is_not_found(api):
    other = make_asset(make_org("authority"))
    assert api.get(f"/assets/{other.id}").status_code == 404
    assert api.patch(f"/assets/{other.id}", json={"street": "X"}).status_code == 404


# --- import -------------------------------------------------------------------------------------


def test_import_preview_writes_nothing_and_confirm_creates(api, member):
    preview = upload(api, CSV.encode(), dry_run=True)
    assert preview.status_code == 200, preview.json
    assert preview.json["created"] == 2 and preview.json["dry_run"] is True
    assert count_assets(member) == 0
    done = upload(api, CSV.encode())
    assert done.status_code == 200
    assert (done.json["created"], done.json["updated"], done.json["unchanged"]) == (2, 0, 0)
    assert count_assets(member) == 2
    asset = api.get("/assets?code=HK-2").json[0]
    assert asset["notes"] == '=HYPERLINK("http://evil.example")'
    assert asset["kind"] == "hydrant_pillar"


def test_importing_the_same_file_twice_changes_nothing(api, member):
    from central.extensions import db

    assert upload(api, CSV.encode()).json["created"] == 2
    before = db.session.scalars(select(Asset.updated_at).order_by(Asset.id)).all()
    again = upload(api, CSV.encode())
    assert (again.json["created"], again.json["updated"], again.json["unchanged"]) == (0, 0, 2)
    assert db.session.scalars(select(Asset.updated_at).order_by(Asset.id)).all() == before


def test_import_updates_changed_rows_by_code(api, member):
    make_asset(member, code="HK-1", street="Oude straat", kind="hydrant_underground")
    result = upload(api, CSV.encode()).json
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 1, 0)
    assert api.get("/assets?code=HK-1").json[0]["street"] == "Kerkstraat"


def test_import_of_an_xlsx_in_lambert72(api, member):
    book = openpyxl.Workbook()
    book.active.append(["code", "type", "straat", "huisnummer", "postcode", "gemeente", "x", "y"])
    book.active.append(["HK-9", "hydrant_pillar", "Markt", 1, 8800, "Roeselare", 63500, 187500])
    out = io.BytesIO()
    book.save(out)
    result = upload(api, out.getvalue(), name="inventaris.bin")
    assert result.status_code == 200 and result.json["created"] == 1
    asset = api.get("/assets?code=HK-9").json[0]
    assert 50.9 < asset["lat"] < 51.0 and 3.0 < asset["lon"] < 3.2


def test_import_with_any_invalid_row_imports_nothing_and_lists_every_row(api, member):
    data = (
        b"code,kind,street,house_number,postcode,municipality,lat,lon\n"
        b"A,hydrant_pillar,S,1,8800,R,50.9,3.1\n"
        b"B,tree,S,1,8800,R,50.9,3.1\n"
        b"C,hydrant_pillar,S,1,8800,R,52.37,4.89\n"
        b"A,hydrant_pillar,S,1,8800,R,50.9,3.1\n"
    )
    refused = upload(api, data)
    assert refused.status_code == 400
    error = refused.json["error"]
    assert error["code"] == "invalid_file"
    assert [(r["line"], r["column"]) for r in error["rows"]] == [
        (3, "kind"),
        (4, "lat"),
        (5, "code"),
    ]
    assert count_assets(member) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Het bestand is leeg."),
        (b"%PDF-1.4\x00\x00binary", "Het bestand is geen CSV- of XLSX-bestand."),
        (b"code,kind,street\nA,hydrant_pillar,S\n", "Ontbrekende kolommen"),
    ],
    ids=["empty file", "not csv or xlsx", "missing required column"],
)
def test_import_refuses_a_bad_file_with_one_file_error(api, member, data, expected):
    """The message is in the user's language, Dutch by default."""
    refused = upload(api, data)
    assert refused.status_code == 400
    assert expected in refused.json["error"]["message"]
    assert refused.json["error"]["fields"]["file"]
    assert count_assets(member) == 0


def test_import_without_a_file_is_refused(api):
    assert (
        api.post("/assets/import", data={}, content_type="multipart/form-data").status_code == 400
    )


class ZeroStream:
    """A request body of `size` bytes produced on demand; counts the bytes actually read."""

    def __init__(self, size: int):
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        self.position += n
        self.read_bytes += n
        return b"0" * n

    def readline(self, limit: int = -1) -> bytes:
        return self.read(min(limit, 65536) if limit and limit > 0 else 65536)

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position


def test_import_of_50_mb_is_refused_before_it_is_read(api, member):
    body = ZeroStream(50 * 1024 * 1024)
    refused = api.post(
        "/assets/import",
        input_stream=body,
        content_length=body.size,
        content_type="multipart/form-data; boundary=xyz",
    )
    assert refused.status_code == 413
    assert refused.json["error"]["code"] == "too_large"
    assert body.read_bytes < 1024 * 1024
    assert count_assets(member) == 0


def test_import_without_content_length_is_cut_off_at_the_limit(client, member):
    user = make_user("member", member)
    token = make_token(user)
    body = ZeroStream(50 * 1024 * 1024)
    refused = client.post(
        "/api/v1/assets/import",
        input_stream=body,
        content_type="multipart/form-data; boundary=xyz",
        headers={"Authorization": f"Bearer {token}"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert refused.status_code == 413
    assert body.read_bytes <= 21 * 1024 * 1024


def test_import_is_audited_once(api, member):
    from central.extensions import db

    upload(api, CSV.encode())
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "asset.imported")
    ).all()
    assert len(events) == 1 and events[0].data["created"] == 2


# --- service plans ------------------------------------------------------------------------------


@pytest.fixture
def acceded(member):
    """An active framework whose hydrant lot `member` has acceded to."""
    framework = make_active_framework(members=[member])
    return framework.lots[0]


def plan_body(lot, **values):
    return {"lot_id": lot.id, "task_type": "hydrant_inspection", "interval_months": 12, **values}


def test_member_creates_a_service_plan_in_an_acceded_lot(api, acceded):
    created = api.post("/service-plans", json=plan_body(acceded, season_months=[3, 4, 5]))
    assert created.status_code == 201, created.json
    assert created.json["season_months"] == [3, 4, 5]
    assert created.json["asset_kind"] is None and created.json["active"] is True
    changed = api.patch(
        f"/service-plans/{created.json['id']}", json={"interval_months": 24, "season_months": None}
    )
    assert changed.status_code == 200
    assert changed.json["interval_months"] == 24 and changed.json["season_months"] is None


def test_service_plan_for_a_lot_not_acceded_to_is_a_conflict(api, member):
    framework = make_active_framework(members=[])
    name_beneficiaries(framework, member)
    lot = framework.lots[0]
    refused = api.post("/service-plans", json=plan_body(lot))
    assert refused.status_code == 409
    # A requested (not yet approved) accession is not enough either.
    make_accession(framework, member, status="requested")
    assert api.post("/service-plans", json=plan_body(lot)).status_code == 409


def test_service_plan_task_type_must_be_of_that_lot(api, acceded):
    other_lot = make_lot(acceded.framework)
    make_task_type(other_lot, code="hydrant_repair")
    refused = api.post("/service-plans", json=plan_body(acceded, task_type="hydrant_repair"))
    assert refused.status_code == 400
    assert "task_type" in refused.json["error"]["fields"]


def test_service_plan_interval_must_be_positive(api, acceded):
    assert api.post("/service-plans", json=plan_body(acceded, interval_months=0)).status_code == 400


def test_no_two_active_plans_for_the_same_lot_task_type_and_kind(api, acceded):
    assert api.post("/service-plans", json=plan_body(acceded)).status_code == 201
    assert api.post("/service-plans", json=plan_body(acceded)).status_code == 409
    assert (
        api.post("/service-plans", json=plan_body(acceded, asset_kind="hydrant_pillar")).status_code
        == 201
    )


# --- needs --------------------------------------------------------------------------------------


def test_member_logs_a_need_on_its_asset(api, member, acceded):
    asset = make_asset(member)
    created = api.post(
        "/needs",
        json={
            "asset_id": asset.id,
            "lot_id": acceded.id,
            "task_type": "hydrant_inspection",
            "description": "Lid is broken",
            "priority": "urgent",
        },
    )
    assert created.status_code == 201, created.json
    need = created.json
    assert (need["status"], need["source"], need["priority"]) == ("open", "member", "urgent")
    assert need["lat"] is None and need["asset_id"] == asset.id
    assert api.get(f"/needs/{need['id']}").status_code == 200
    cancelled = api.patch(f"/needs/{need['id']}", json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert api.patch(f"/needs/{need['id']}", json={"description": "x"}).status_code == 409


def test_member_logs_a_need_on_a_place(api):
    created = api.post(
        "/needs",
        json={"lat": 50.95, "lon": 3.12, "address": "Markt 1, 8800 Roeselare", "description": "x"},
    )
    assert created.status_code == 201
    assert created.json["asset_id"] is None and created.json["address"].startswith("Markt")


def test_need_needs_an_asset_or_a_place_with_an_address(api):
    assert api.post("/needs", json={"description": "x"}).status_code == 400
    assert (
        api.post("/needs", json={"lat": 50.95, "lon": 3.12, "description": "x"}).status_code == 400
    )


def test_need_on_another_members_asset_is_not_found(api):
    other = make_asset(make_org("authority"))
    refused = api.post("/needs", json={"asset_id": other.id, "description": "Leaks"})
    assert refused.status_code == 404


def test_need_in_a_lot_not_acceded_to_is_a_conflict(api, member):
    framework = make_active_framework(members=[])
    name_beneficiaries(framework, member)
    lot = framework.lots[0]
    asset = make_asset(member)
    refused = api.post("/needs", json={"asset_id": asset.id, "lot_id": lot.id, "description": "x"})
    assert refused.status_code == 409


def test_retiring_an_asset_cancels_its_open_needs(api, member):
    from central.extensions import db

    asset = make_asset(member)
    need = api.post("/needs", json={"asset_id": asset.id, "description": "Leaks"}).json
    api.patch(f"/assets/{asset.id}", json={"status": "retired"})
    assert db.session.get(Need, need["id"]).status == "cancelled"
    refused = api.post("/needs", json={"asset_id": asset.id, "description": "Again"})
    assert refused.status_code == 409


# --- dueness ------------------------------------------------------------------------------------


def test_assets_never_served_are_due_and_retired_ones_never(member, acceded):
    from central.assets import queries

    a = make_asset(member, kind="hydrant_underground")
    make_asset(member, kind="hydrant_pillar")
    make_asset(member, status="retired", retired_at=__import__("central").core.types.utcnow())
    make_asset(make_org("authority"))  # another member's
    plan_all = ServicePlan(
        member_id=member.id, lot_id=acceded.id, task_type="hydrant_inspection", interval_months=12
    )
    plan_pillar = ServicePlan(
        member_id=member.id,
        lot_id=acceded.id,
        task_type="hydrant_inspection",
        asset_kind="hydrant_pillar",
        interval_months=6,
    )
    from central.extensions import db

    db.session.add_all([plan_all, plan_pillar])
    db.session.flush()
    with frozen_today(date(2026, 5, 1)):
        counts = queries.due_counts([plan_all.id, plan_pillar.id], date(2026, 5, 1))
    assert counts[plan_all.id] == {30: 2, 90: 2, 365: 2}
    assert counts[plan_pillar.id] == {30: 1, 90: 1, 365: 1}
    due = db.session.execute(queries.due_assets(date(2026, 5, 1))).all()
    assert sorted((r.plan_id, r.asset_id) for r in due if r.plan_id == plan_all.id)[0][1] == a.id
    assert {r.asset_id for r in due} <= {
        x.id for x in db.session.scalars(select(Asset).where(Asset.member_id == member.id))
    }
    assert len(due) == 3
    status = queries.service_status([a])
    assert status[a.id].planned and status[a.id].next_due is None


def test_season_mask_matches_the_plan_months(member, acceded):
    from central.assets import queries
    from central.assets.models import months_to_mask
    from central.extensions import db

    plan = ServicePlan(
        member_id=member.id,
        lot_id=acceded.id,
        task_type="hydrant_inspection",
        interval_months=12,
        season_months=months_to_mask([3, 4]),
    )
    db.session.add(plan)
    db.session.flush()
    in_april = db.session.scalars(select(ServicePlan.id).where(queries.in_season(4))).all()
    in_may = db.session.scalars(select(ServicePlan.id).where(queries.in_season(5))).all()
    assert plan.id in in_april and plan.id not in in_may


def test_api_errors_answer_in_english_for_an_english_user(client, member):
    """The API answers in English, as before: marking a message for the Dutch catalogue changes
    only how pages show it."""
    api = _client(client, make_user("member", member, locale="en"))
    make_asset(member, code="HK-1")
    body = {
        "code": "HK-1",
        "kind": "hydrant_pillar",
        "street": "Markt",
        "municipality": "Roeselare",
        "lat": 50.9,
        "lon": 3.1,
    }
    refused = api.post("/assets", json=body)
    assert refused.status_code == 400
    assert refused.json["error"]["message"] == "Another asset of your authority has this code."
    assert refused.json["error"]["fields"]["code"] == [
        "Another asset of your authority has this code."
    ]
    filtered = api.get("/assets?member_id=abc")
    assert filtered.status_code == 400
    assert filtered.json["error"] == {
        "code": "validation_error",
        "message": "member_id must be a number.",
        "fields": {"member_id": ["Not a number."]},
    }


# --- measures and quantities (rule 5) -----------------------------------------------------------


BAD_DECIMALS = ["0", "-1", "1.234", "10000000", "abc"]


def test_asset_measure_travels_as_a_decimal_string(api, member):
    body = {
        "code": "HAAG-1",
        "kind": "hydrant_pillar",
        "street": "Markt",
        "municipality": "Roeselare",
        "lat": 50.9465,
        "lon": 3.1235,
        "measure": "40.5",
    }
    created = api.post("/assets", json=body)
    assert created.status_code == 201, created.json
    assert created.json["measure"] == "40.50"
    asset_id = created.json["id"]
    assert db.session.get(Asset, asset_id).measure == Decimal("40.50")
    assert api.patch(f"/assets/{asset_id}", json={"measure": "9999999.99"}).json["measure"] == (
        "9999999.99"
    )
    assert api.patch(f"/assets/{asset_id}", json={"measure": None}).json["measure"] is None
    without = api.post("/assets", json={**body, "code": "HK-2", "measure": None})
    assert without.status_code == 201 and without.json["measure"] is None


@pytest.mark.parametrize("bad", BAD_DECIMALS)
def test_asset_measure_must_be_positive_below_ten_million_with_two_decimals(api, member, bad):
    asset = make_asset(member)
    refused = api.patch(f"/assets/{asset.id}", json={"measure": bad})
    assert refused.status_code == 400
    assert "measure" in refused.json["error"]["fields"]
    db.session.refresh(asset)
    assert asset.measure is None


def test_need_quantity_travels_as_a_decimal_string(api, member, acceded):
    asset = make_asset(member)
    body = {
        "asset_id": asset.id,
        "lot_id": acceded.id,
        "task_type": "hydrant_inspection",
        "description": "Trim 3 m",
    }
    created = api.post("/needs", json={**body, "quantity": "3"})
    assert created.status_code == 201, created.json
    assert created.json["quantity"] == "3.00"
    assert db.session.get(Need, created.json["id"]).quantity == Decimal("3")
    plain = api.post("/needs", json=body)
    assert plain.status_code == 201 and plain.json["quantity"] is None
    changed = api.patch(f"/needs/{plain.json['id']}", json={"quantity": "2.25"})
    assert changed.status_code == 200 and changed.json["quantity"] == "2.25"


@pytest.mark.parametrize("bad", BAD_DECIMALS)
def test_need_quantity_must_be_positive_below_ten_million_with_two_decimals(api, bad):
    body = {"lat": 50.95, "lon": 3.12, "address": "Markt 1", "description": "x", "quantity": bad}
    refused = api.post("/needs", json=body)
    assert refused.status_code == 400
    assert "quantity" in refused.json["error"]["fields"]
    assert db.session.scalar(select(func.count(Need.id))) == 0


def test_a_measure_out_of_range_is_refused_by_the_service_too(member):
    """Forms reach the service without the API's schema: it checks the measure itself."""
    from central.assets import services
    from central.core.errors import ValidationError

    asset = make_asset(member)
    for bad in ("0", "-2", "1,234", "10000000", "x", True):
        with pytest.raises(ValidationError) as refused:
            services.update_asset(asset, {"measure": bad}, actor=None)
        assert "measure" in refused.value.fields, bad
    services.update_asset(asset, {"measure": "12,5"}, actor=None)  # a decimal comma
    assert asset.measure == Decimal("12.50")


def test_import_reads_the_measure_column_with_a_decimal_comma(api, member):
    data = (
        b"code;type;straat;huisnummer;postcode;gemeente;lat;lon;maat\n"
        b"HAAG-1;bovengrondse brandkraan;Markt;1;8800;Roeselare;50,9465;3,1235;40,5\n"
        b"HAAG-2;bovengrondse brandkraan;Markt;2;8800;Roeselare;50,9470;3,1240;1 250,75\n"
        b"HK-3;bovengrondse brandkraan;Markt;3;8800;Roeselare;50,9475;3,1245;\n"
    )
    done = upload(api, data)
    assert done.status_code == 200, done.json
    assert done.json["created"] == 3
    measures = dict(db.session.execute(select(Asset.code, Asset.measure)).all())
    assert measures == {"HAAG-1": Decimal("40.50"), "HAAG-2": Decimal("1250.75"), "HK-3": None}
    assert api.get("/assets?code=HAAG-1").json[0]["measure"] == "40.50"
    again = upload(api, data).json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    changed = upload(api, data.replace(b";40,5\n", b";41\n")).json
    assert (changed["updated"], changed["unchanged"]) == (1, 2)
    assert db.session.scalar(select(Asset.measure).where(Asset.code == "HAAG-1")) == Decimal("41")


def test_a_file_without_an_optional_column_leaves_that_field_as_it_is(api, member):
    with_measure = (
        b"code;type;straat;huisnummer;postcode;gemeente;lat;lon;maat;opmerkingen\n"
        b"HAAG-1;bovengrondse brandkraan;Markt;1;8800;Roeselare;50,9465;3,1235;40,5;achter kerk\n"
    )
    assert upload(api, with_measure).json["created"] == 1
    without = (
        b"code;type;straat;huisnummer;postcode;gemeente;lat;lon\n"
        b"HAAG-1;bovengrondse brandkraan;Markt;1;8800;Roeselare;50,9465;3,1235\n"
    )
    again = upload(api, without).json
    assert (again["updated"], again["unchanged"]) == (0, 1)
    moved = upload(api, without.replace(b"Markt;1", b"Markt;2")).json
    assert moved["updated"] == 1
    asset = db.session.scalars(select(Asset).where(Asset.code == "HAAG-1")).one()
    db.session.refresh(asset)
    assert (asset.house_number, asset.measure) == ("2", Decimal("40.50"))
    assert asset.notes == "achter kerk"


def test_import_with_a_bad_measure_imports_nothing_and_names_the_rows(api, member):
    data = (
        b"code,kind,street,house_number,postcode,municipality,lat,lon,measure\n"
        b"A,hydrant_pillar,S,1,8800,R,50.9,3.1,40.25\n"
        b"B,hydrant_pillar,S,1,8800,R,50.9,3.1,0\n"
        b"C,hydrant_pillar,S,1,8800,R,50.9,3.1,-3\n"
        b"D,hydrant_pillar,S,1,8800,R,50.9,3.1,1.234\n"
        b"E,hydrant_pillar,S,1,8800,R,50.9,3.1,lang\n"
        b"F,hydrant_pillar,S,1,8800,R,50.9,3.1,10000000\n"
    )
    refused = upload(api, data)
    assert refused.status_code == 400
    rows = refused.json["error"]["rows"]
    assert [(r["line"], r["column"]) for r in rows] == [(n, "measure") for n in range(3, 8)]
    assert count_assets(member) == 0


def test_a_need_is_placed_within_the_members_own_area(api, member):
    """Izegem placed a need in Antwerp: a place far from all of a member's assets is refused
    with the reason; one just past the edge of its assets (a new street) is fine."""
    for lat, lon in ((50.91, 3.19), (50.93, 3.21), (50.92, 3.23)):  # Izegem's assets
        make_asset(member, lat=lat, lon=lon)
    antwerp = {"lat": 51.2194, "lon": 4.4025, "address": "Grote Markt 1, Antwerpen"}
    refused = api.post("/needs", json={**antwerp, "description": "Boom omgewaaid"})
    assert refused.status_code == 400
    assert "buiten uw gemeente" in refused.json["error"]["fields"]["lat"][0]
    assert api.get("/needs").json == []
    edge = {"lat": 50.94, "lon": 3.245, "address": "Nieuwe straat 1, Izegem"}  # ~1.5 km out
    assert api.post("/needs", json={**edge, "description": "x"}).status_code == 201
