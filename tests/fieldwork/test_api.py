"""The field-work API: results with Idempotency-Key, photos, labour, contests, acceptance, and
the whole journey (provider → member → coordinator) through the JSON API."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from central.assets.models import Need
from central.core.audit import AuditEvent
from central.core.clock import today
from central.extensions import db
from central.fieldwork.models import IdempotencyRecord, LabourEntry, TaskPhoto, TaskReport
from central.fieldwork.services import settings_for
from tests.factories import make_user
from tests.fieldwork.conftest import OK, api


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def jpeg(width=2400, height=1800, gps=True) -> bytes:
    image = Image.new("RGB", (width, height), (180, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    if gps:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        ifd[ExifTags.GPS.GPSLatitude] = (50.0, 56.0, 30.0)
        ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        ifd[ExifTags.GPS.GPSLongitude] = (3.0, 7.0, 20.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(client, user, task, data: bytes, name="photo.jpg", content_type="image/jpeg", **kw):
    return api(
        client,
        user,
        "post",
        f"/tasks/{task.id}/photos",
        data={"file": (io.BytesIO(data), name, content_type)},
        content_type="multipart/form-data",
        **kw,
    )


# --- results and Idempotency-Key -----------------------------------------------------------------


def test_result_is_recorded_and_returned(client, field):
    task = field.tasks[0]
    response = api(client, field.crew, "post", f"/tasks/{task.id}/result", json=OK)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "done" and body["result"] == "ok"
    assert body["checklist"] == {"lid": True, "pressure": 4.2}
    assert body["follow_up_need_id"] is None


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"result": "broken"},
        {"result": "ok", "checklist": {"lid": True, "pressure": 4, "colour": "red"}},
        {"result": "ok", "checklist": {"lid": "yes", "pressure": 4}},
        {"result": "ok", "checklist": ["lid"]},
        {"result": "ok", "checklist": {"lid": True, "pressure": 4}, "extra": 1},
        {"result": "ok", "checklist": {"lid": True, "pressure": 4}, "notes": "x" * 2001},
    ],
)
def test_bad_result_answers_400_and_writes_nothing(client, field, payload):
    task = field.tasks[0]
    response = api(client, field.crew, "post", f"/tasks/{task.id}/result", json=payload)
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_error"
    db.session.expire_all()
    assert task.status == "open" and count(TaskReport) == 0


def test_result_twice_with_the_same_key_is_stored_once(client, field):
    task = field.tasks[0]
    payload = {"result": "defect", "notes": "lid cracked", "checklist": {"lid": False}}
    headers = {"Idempotency-Key": "phone-1-task-1"}
    first = api(
        client, field.crew, "post", f"/tasks/{task.id}/result", json=payload, headers=headers
    )
    assert first.status_code == 200
    # The same body with its keys in another order is the same request.
    again = api(
        client,
        field.crew,
        "post",
        f"/tasks/{task.id}/result",
        json=dict(reversed(list(payload.items()))),
        headers={"Idempotency-Key": "phone-1-task-1"},
    )
    assert again.status_code == 200 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(IdempotencyRecord) == 1
    assert count(Need, Need.task_id == task.id) == 1
    recorded = count(AuditEvent, AuditEvent.object_type == "tasks", AuditEvent.object_id == task.id)
    assert recorded == 1


def test_same_key_with_another_body_answers_422(client, field):
    task = field.tasks[0]
    headers = {"Idempotency-Key": "k-1"}
    assert (
        api(
            client, field.crew, "post", f"/tasks/{task.id}/result", json=OK, headers=headers
        ).status_code
        == 200
    )
    other = api(
        client,
        field.crew,
        "post",
        f"/tasks/{task.id}/result",
        json={"result": "inaccessible"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    db.session.expire_all()
    assert task.result == "ok"


def test_idempotency_keys_are_scoped_per_user(client, field):
    colleague = make_user("provider", field.provider)
    headers = {"Idempotency-Key": "shared"}
    first, second = field.tasks[0], field.tasks[1]
    assert (
        api(
            client, field.crew, "post", f"/tasks/{first.id}/result", json=OK, headers=headers
        ).status_code
        == 200
    )
    response = api(
        client,
        colleague,
        "post",
        f"/tasks/{second.id}/result",
        json=OK,
        headers={"Idempotency-Key": "shared"},
    )
    assert response.status_code == 200 and response.json["id"] == second.id
    assert count(IdempotencyRecord) == 2


def test_failed_request_is_not_stored_under_its_key(client, field):
    task = field.tasks[0]
    bad = api(
        client,
        field.crew,
        "post",
        f"/tasks/{task.id}/result",
        json={"result": "ok", "checklist": {}},
        headers={"Idempotency-Key": "retry-me"},
    )
    assert bad.status_code == 400 and count(IdempotencyRecord) == 0
    good = api(
        client,
        field.crew,
        "post",
        f"/tasks/{task.id}/result",
        json=OK,
        headers={"Idempotency-Key": "retry-me-2"},
    )
    assert good.status_code == 200


def test_overlong_idempotency_key_answers_400(client, field):
    response = api(
        client,
        field.crew,
        "post",
        f"/tasks/{field.tasks[0].id}/result",
        json=OK,
        headers={"Idempotency-Key": "x" * 256},
    )
    assert response.status_code == 400


def test_no_result_on_cancelled_task_or_accepted_round_answers_409(client, field):
    task = field.tasks[0]
    task.status = "cancelled"
    db.session.flush()
    response = api(client, field.crew, "post", f"/tasks/{task.id}/result", json=OK)
    assert response.status_code == 409
    task.status = "open"
    for other in field.tasks:
        other.status, other.result, other.done_on = "accepted", "ok", today()
    field.round.status = "accepted"
    db.session.flush()
    response = api(client, field.crew, "post", f"/tasks/{field.tasks[1].id}/result", json=OK)
    assert response.status_code == 409


def test_session_writes_need_the_csrf_header(client, field, login_as):
    from tests.conftest import csrf_token

    login_as(field.crew)
    task = field.tasks[0]
    refused = client.post(f"/api/v1/tasks/{task.id}/result", json=OK)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    token = csrf_token(client)
    accepted = client.post(
        f"/api/v1/tasks/{task.id}/result",
        json=OK,
        headers={"X-CSRFToken": token, "Idempotency-Key": "offline-1"},
    )
    assert accepted.status_code == 200


# --- photos --------------------------------------------------------------------------------------


def test_photo_is_resized_stored_outside_the_database_and_gps_stripped(client, field, file_store):
    task = field.tasks[0]
    response = upload(client, field.crew, task, jpeg())
    assert response.status_code == 201, response.json
    body = response.json
    assert max(body["width"], body["height"]) == 1600 and body["location_kept"] is False
    photo = db.session.get(TaskPhoto, body["id"])
    data = file_store.get(photo.storage_key)
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG"
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    served = api(client, field.member_user, "get", body["url"].removeprefix("/api/v1"))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == data
    assert served.headers["Cache-Control"] == "private, no-store"


def test_photo_keeps_gps_when_the_coordinator_says_so(client, field):
    from central.fieldwork.services import update_settings

    update_settings(
        field.framework,
        {"keep_photo_location": True, "photo_retention_months": 24},
        actor=field.coordinator,
    )
    response = upload(client, field.crew, field.tasks[0], jpeg())
    assert response.status_code == 201 and response.json["location_kept"] is True
    served = api(client, field.crew, "get", response.json["url"].removeprefix("/api/v1"))
    assert Image.open(io.BytesIO(served.data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_photo_type_is_read_from_the_bytes(client, field):
    task = field.tasks[0]
    # A PDF called .jpg with an image content type is refused ...
    refused = upload(client, field.crew, task, b"%PDF-1.7\n" + b"0" * 2000, name="x.jpg")
    assert refused.status_code == 400
    assert count(TaskPhoto) == 0
    # ... and a PNG sent as application/octet-stream is an image.
    png = io.BytesIO()
    Image.new("RGB", (40, 30)).save(png, "PNG")
    accepted = upload(
        client,
        field.crew,
        task,
        png.getvalue(),
        name="x.bin",
        content_type="application/octet-stream",
    )
    assert accepted.status_code == 201 and accepted.json["content_type"] == "image/jpeg"


def test_photo_over_10_mb_answers_413(client, field):
    big = b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024)
    response = upload(client, field.crew, field.tasks[0], big)
    assert response.status_code == 413
    assert count(TaskPhoto) == 0


def test_photo_without_a_file_answers_400(client, field):
    response = api(
        client,
        field.crew,
        "post",
        f"/tasks/{field.tasks[0].id}/photos",
        data={},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_photo_retry_with_the_same_key_stores_one(client, field, file_store):
    data = jpeg(400, 300)
    first = upload(client, field.crew, field.tasks[0], data, headers={"Idempotency-Key": "p1"})
    again = upload(client, field.crew, field.tasks[0], data, headers={"Idempotency-Key": "p1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and count(TaskPhoto) == 1
    other = upload(
        client, field.crew, field.tasks[0], jpeg(401, 300), headers={"Idempotency-Key": "p1"}
    )
    assert other.status_code == 422 and count(TaskPhoto) == 1


def test_photo_is_served_only_within_reach(client, field, file_store):
    response = upload(client, field.crew, field.tasks[0], jpeg(300, 200))
    path = response.json["url"].removeprefix("/api/v1")
    for user in (field.crew, field.member_user, field.coordinator):
        assert api(client, user, "get", path).status_code == 200
    for role in ("provider", "member", "coordinator", "admin"):
        assert api(client, make_user(role), "get", path).status_code == 404, role
    other_task = field.tasks[1]
    wrong = f"/tasks/{other_task.id}/photos/{response.json['id']}"
    assert api(client, field.crew, "get", wrong).status_code == 404


# --- labour --------------------------------------------------------------------------------------


def test_labour_is_created_then_replaced(client, field):
    path = f"/rounds/{field.round.id}/labour"
    payload = {"hours": "15.5", "target_group_hours": "7.75", "target_group_workers": 1}
    created = api(client, field.crew, "post", path, json=payload)
    assert created.status_code == 201, created.json
    assert created.json["work_date"] == today().isoformat()
    assert created.json["hours"] == "15.50"
    replaced = api(client, field.crew, "post", path, json={**payload, "hours": "16"})
    assert replaced.status_code == 200 and replaced.json["id"] == created.json["id"]
    assert replaced.json["hours"] == "16.00"
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert (
        api(client, field.crew, "post", path, json={**payload, "work_date": yesterday}).status_code
        == 201
    )
    listed = api(client, field.member_user, "get", path)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    "payload",
    [
        {"hours": "-2"},
        {"hours": "4", "target_group_hours": "6", "target_group_workers": 1},
        {"target_group_hours": "2"},
        {"hours": "4", "target_group_workers": -1},
        {"hours": "4", "work_date": "tomorrow"},
        {"hours": "4", "names": ["Jan"]},
    ],
)
def test_bad_labour_answers_400(client, field, payload):
    response = api(client, field.crew, "post", f"/rounds/{field.round.id}/labour", json=payload)
    assert response.status_code == 400, response.json
    assert count(LabourEntry) == 0


def test_labour_retry_with_the_same_key_replays(client, field):
    path = f"/rounds/{field.round.id}/labour"
    payload = {"hours": "8", "target_group_hours": "8", "target_group_workers": 1}
    first = api(client, field.crew, "post", path, json=payload, headers={"Idempotency-Key": "l1"})
    again = api(client, field.crew, "post", path, json=payload, headers={"Idempotency-Key": "l1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(LabourEntry) == 1


# --- contest and acceptance ----------------------------------------------------------------------


def finish_by_api(client, field, defect_on=0):
    for n, task in enumerate(field.tasks):
        payload = {"result": "defect", "notes": "valve stuck"} if n == defect_on else OK
        response = api(client, field.crew, "post", f"/tasks/{task.id}/result", json=payload)
        assert response.status_code == 200, response.json


def test_contest_and_redo(client, field):
    finish_by_api(client, field)
    task = field.tasks[1]
    response = api(
        client,
        field.member_user,
        "post",
        f"/tasks/{task.id}/contest",
        json={"reason": "Plate missing"},
    )
    assert response.status_code == 200 and response.json["status"] == "contested"
    seen = api(client, field.crew, "get", f"/tasks/{task.id}")
    assert seen.json["contest"]["reason"] == "Plate missing"
    assert (
        api(client, field.member_user, "post", f"/rounds/{field.round.id}/accept").status_code
        == 409
    )
    redo = api(client, field.crew, "post", f"/tasks/{task.id}/result", json=OK)
    assert redo.status_code == 200 and redo.json["status"] == "done"
    assert redo.json["contest"]["resolved_at"] is not None


def test_contest_needs_a_reason(client, field):
    finish_by_api(client, field)
    task = field.tasks[0]
    for payload in ({}, {"reason": ""}, {"reason": "   "}):
        response = api(client, field.member_user, "post", f"/tasks/{task.id}/contest", json=payload)
        assert response.status_code == 400, payload
    db.session.expire_all()
    assert task.status == "done"


def test_accept_twice_answers_409(client, field):
    finish_by_api(client, field)
    path = f"/rounds/{field.round.id}/accept"
    first = api(client, field.member_user, "post", path)
    assert first.status_code == 200 and first.json["status"] == "accepted"
    assert {t["status"] for t in first.json["tasks"]} == {"accepted"}
    assert api(client, field.member_user, "post", path).status_code == 409


def test_accept_before_completion_answers_409(client, field):
    response = api(client, field.member_user, "post", f"/rounds/{field.round.id}/accept")
    assert response.status_code == 409


# --- the journey ---------------------------------------------------------------------------------


def test_journey_provider_member_coordinator_through_the_api(client, field, smtp_server):
    # The provider completes the round with one defect and logs labour.
    finish_by_api(client, field, defect_on=2)
    labour = api(
        client,
        field.crew,
        "post",
        f"/rounds/{field.round.id}/labour",
        json={"hours": "6", "target_group_hours": "4", "target_group_workers": 2},
    )
    assert labour.status_code == 201
    # The member sees the defect as a need with the follow-up task type, and was told.
    needs = api(client, field.member_user, "get", "/needs?status=open").json
    defect = [n for n in needs if n["source"] == "defect"]
    assert len(defect) == 1
    assert defect[0]["task_id"] == field.tasks[2].id and defect[0]["task_type"] == "minor_repair"
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert any("Defect" in s or "Gebrek" in s for s in subjects), subjects
    # The member accepts the round.
    accepted = api(client, field.member_user, "post", f"/rounds/{field.round.id}/accept")
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    # The coordinator sees the progress: accepted value and the round's tasks.
    framework = api(client, field.coordinator, "get", f"/frameworks/{field.framework.id}").json
    assert framework["accepted_value"] == "55.50"
    task = api(client, field.coordinator, "get", f"/tasks/{field.tasks[2].id}").json
    assert task["status"] == "accepted" and task["follow_up_need_id"] == defect[0]["id"]
    assert settings_for(field.framework.id).photo_retention_months == 24


def test_openapi_documents_the_idempotency_key_and_upload_limits(client):
    document = client.get("/api/v1/openapi.json").json
    result = document["paths"]["/tasks/{task_id}/result"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in result["parameters"])
    assert "422" in result["responses"]
    photos = document["paths"]["/tasks/{task_id}/photos"]["post"]
    assert {"413", "422"} <= set(photos["responses"])
    assert "422" in document["paths"]["/rounds/{round_id}/labour"]["post"]["responses"]


def test_a_photo_whose_file_is_gone_answers_404(client, field, file_store):
    response = upload(client, field.crew, field.tasks[0], jpeg(300, 200))
    photo = db.session.get(TaskPhoto, response.json["id"])
    assert file_store.delete(photo.storage_key)
    path = response.json["url"].removeprefix("/api/v1")
    assert api(client, field.member_user, "get", path).status_code == 404
