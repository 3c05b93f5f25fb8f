"""SPEC 7.4: a hydrant's service status follows the crews' results and the member's repairs,
every change is kept (who, when, why) and told to the fire zone and the water company."""

from __future__ import annotations

from sqlalchemy import select

from central.assets.models import AssetStatusChange
from central.core.audit import AuditEvent
from central.core.mail import OutgoingMail
from central.extensions import db
from tests.factories import make_asset, make_org, make_user
from tests.fieldwork.conftest import OK, api

CRITICAL_CHECKLIST = [
    {"key": "lid", "label": "Lid and frame", "kind": "pass_fail", "min": None, "max": None},
    {
        "key": "flow",
        "label": "Water flows",
        "kind": "pass_fail",
        "min": None,
        "max": None,
        "critical": True,
    },
]


def _result(client, field, task, **body):
    response = api(client, field.crew, "post", f"/tasks/{task.id}/result", json=body)
    assert response.status_code == 200, response.json
    db.session.refresh(task.asset)
    return task.asset


def _served(field):
    """The member names a fire zone and a water company, each with a viewer."""
    fire_zone = make_org("fire_zone", nis_code=None, name="Brandweerzone Midwest")
    water = make_org("water_company", nis_code=None, name="De Watergroep")
    field.member.fire_zone_id = fire_zone.id
    field.member.water_company_id = water.id
    db.session.flush()
    return make_user("viewer", fire_zone), make_user("viewer", water)


def _mails_to(email):
    return db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == email)).all()


def test_a_new_asset_has_an_unknown_service_status(field):
    assert make_asset(field.member).service_status == "unknown"


def test_a_result_marked_out_of_service_puts_the_asset_out_of_service(client, field):
    task = field.tasks[0]
    asset = _result(client, field, task, result="defect", out_of_service=True)
    assert asset.service_status == "out_of_service"
    change = db.session.scalar(
        select(AssetStatusChange).where(AssetStatusChange.asset_id == asset.id)
    )
    assert (change.from_status, change.to_status, change.reason) == (
        "unknown",
        "out_of_service",
        "task",
    )
    assert change.task_id == task.id and change.actor_id == field.crew.id
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "asset.service_status_changed", AuditEvent.object_id == asset.id
        )
    )
    assert event.data["to_status"] == "out_of_service" and event.data["task_id"] == task.id


def test_a_defect_without_out_of_service_leaves_the_status_as_it_was(client, field):
    asset = _result(client, field, field.tasks[0], result="defect", defect_category="paint")
    assert asset.service_status == "unknown"


def test_a_failed_critical_checklist_item_puts_the_asset_out_of_service(client, field):
    field.task_type.checklist = CRITICAL_CHECKLIST
    db.session.flush()
    asset = _result(
        client, field, field.tasks[0], result="defect", checklist={"lid": True, "flow": False}
    )
    assert asset.service_status == "out_of_service"
    change = db.session.scalar(
        select(AssetStatusChange).where(AssetStatusChange.asset_id == asset.id)
    )
    assert change.note == "flow"


def test_a_failed_item_that_is_not_critical_does_not_put_it_out_of_service(client, field):
    field.task_type.checklist = CRITICAL_CHECKLIST
    db.session.flush()
    asset = _result(
        client, field, field.tasks[0], result="ok", checklist={"lid": False, "flow": True}
    )
    assert asset.service_status == "in_service"


def test_a_later_ok_result_puts_the_asset_back_in_service(client, field):
    task = field.tasks[0]
    _result(client, field, task, result="defect", out_of_service=True)
    asset = _result(client, field, task, **OK)  # the crew corrects its result
    assert asset.service_status == "in_service"
    history = api(client, field.member_user, "get", f"/assets/{asset.id}/status-history").json
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in history] == [
        ("out_of_service", "in_service", "task"),
        ("unknown", "out_of_service", "task"),
    ]


def test_marking_repaired_puts_the_asset_back_in_service_and_is_kept(client, field):
    asset = _result(client, field, field.tasks[0], result="defect", out_of_service=True)
    response = api(
        client,
        field.member_user,
        "post",
        f"/assets/{asset.id}/repaired",
        json={"note": "Nieuwe klep geplaatst"},
    )
    assert response.status_code == 200, response.json
    assert response.json["service_status"] == "in_service"
    history = api(client, field.member_user, "get", f"/assets/{asset.id}/status-history").json
    assert history[0]["reason"] == "repair" and history[0]["note"] == "Nieuwe klep geplaatst"
    assert history[0]["actor_id"] == field.member_user.id
    again = api(client, field.member_user, "post", f"/assets/{asset.id}/repaired")
    assert again.status_code == 409


def test_only_the_owning_member_marks_an_asset_repaired(client, field):
    asset = field.assets[0]
    other_member = make_user("member")
    for user, status in ((field.crew, 404), (other_member, 404), (field.coordinator, 403)):
        response = api(client, user, "post", f"/assets/{asset.id}/repaired")
        assert response.status_code == status, (user.role, response.json)
    db.session.refresh(asset)
    assert asset.service_status == "unknown"


def test_a_member_puts_an_asset_out_of_service_triaging_a_public_report(client, field):
    from central.assets.models import Need

    asset = field.assets[0]
    need = Need(member_id=field.member.id, asset_id=asset.id, description="Lekt", source="public")
    db.session.add(need)
    db.session.flush()
    response = api(
        client,
        field.member_user,
        "post",
        f"/assets/{asset.id}/out-of-service",
        json={"need_id": need.id},
    )
    assert response.status_code == 200, response.json
    change = db.session.scalar(
        select(AssetStatusChange).where(AssetStatusChange.asset_id == asset.id)
    )
    assert change.reason == "public_report" and change.need_id == need.id
    other = make_asset(field.member)
    refused = api(
        client,
        field.member_user,
        "post",
        f"/assets/{other.id}/out-of-service",
        json={"need_id": need.id},
    )
    assert refused.status_code == 400


def test_going_out_of_service_mails_the_fire_zone_and_the_water_company(client, field):
    fire_viewer, water_viewer = _served(field)
    task = field.tasks[0]
    _result(client, field, task, result="defect", out_of_service=True)
    for viewer in (fire_viewer, water_viewer):
        mails = _mails_to(viewer.email)
        assert len(mails) == 1
        assert task.asset.code in mails[0].subject
    _result(client, field, task, result="defect", out_of_service=True)  # no change: no mail
    assert len(_mails_to(fire_viewer.email)) == 1


def test_coming_back_in_service_mails_the_fire_zone_and_the_water_company(client, field):
    fire_viewer, water_viewer = _served(field)
    asset = _result(client, field, field.tasks[0], result="defect", out_of_service=True)
    api(client, field.member_user, "post", f"/assets/{asset.id}/repaired")
    for viewer in (fire_viewer, water_viewer):
        subjects = sorted(m.subject for m in _mails_to(viewer.email))
        assert len(subjects) == 2


def test_an_unknown_asset_found_ok_is_in_service_without_mail(client, field):
    fire_viewer, _water = _served(field)
    asset = _result(client, field, field.tasks[0], **OK)
    assert asset.service_status == "in_service"
    assert _mails_to(fire_viewer.email) == []


def test_a_checklist_item_may_be_marked_critical(app):
    """A row marked "out of service when it fails" becomes a critical item; the others not."""
    from werkzeug.datastructures import MultiDict

    from central.frameworks.forms import TaskTypeForm
    from central.frameworks.services import clean_checklist

    rows = MultiDict(
        {
            "name": "Inspectie",
            "items-0-check": "Water flows",
            "items-0-kind": "pass_fail",
            "items-0-critical": "y",
            "items-1-check": "Druk",
            "items-1-kind": "reading",
            "items-1-min": "1,5",
            "items-1-max": "10",
        }
    )
    with app.test_request_context(method="POST", data=rows):
        form = TaskTypeForm(formdata=rows, meta={"csrf": False})
        cleaned = clean_checklist(form.values({})["checklist"])
    assert cleaned[0]["critical"] is True and "critical" not in cleaned[1]
    assert cleaned[1]["min"] == "1.5"


def test_a_crew_marks_a_hydrant_out_of_service_on_its_phone_form(login_as, field):
    from tests.conftest import csrf_token

    task = field.tasks[0]
    client = login_as(field.crew)
    page = client.get(f"/field/tasks/{task.id}").get_data(as_text=True)
    assert 'name="out_of_service"' in page
    response = client.post(
        f"/field/tasks/{task.id}",
        data={
            "csrf_token": csrf_token(client),
            "result": "defect",
            "defect_category": "klep",
            "out_of_service": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(task.asset)
    assert task.asset.service_status == "out_of_service"
