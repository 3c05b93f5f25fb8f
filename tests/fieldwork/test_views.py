"""Field-work pages: the crew's phone pages (my rounds, round, result form, photo, labour), the
member's acceptance and contest pages, the coordinator's progress and photo settings; and who
may open each page (each role × own / other tenant)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from central.core.clock import today
from central.extensions import db
from central.fieldwork import queries, services
from central.fieldwork.models import LabourEntry, TaskPhoto
from tests.conftest import csrf_token, use_english
from tests.factories import make_asset, make_round, make_user
from tests.fieldwork.conftest import OK


def english(client, login_as, user):
    login_as(user)
    return use_english(client)


def finish(field, defect_on=None):
    for n, task in enumerate(field.tasks):
        values = {"result": "defect", "notes": "valve stuck"} if n == defect_on else OK
        services.record_result(task, values, actor=field.crew)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (0, 90, 160)).save(out, "JPEG")
    return out.getvalue()


# --- the crew --------------------------------------------------------------------------------


def test_my_rounds_lists_todays_and_this_weeks_rounds(client, login_as, field):
    english(client, login_as, field.crew)
    page = client.get("/field/rounds")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert field.member.name in html and f"Round {field.round.id}" in html
    assert "0 of 3 done" in html and "<progress" in html


def test_my_rounds_says_when_not_every_round_is_listed(client, login_as, field, monkeypatch):
    monkeypatch.setattr("central.fieldwork.queries.PROVIDER_ROUNDS_SHOWN", 1)
    make_round(
        field.lot,
        field.member,
        [make_asset(field.member)],
        provider=field.provider,
        task_type=field.task_type,
        scheduled_date=field.round.scheduled_date,
        due_date=field.round.due_date,
    )
    english(client, login_as, field.crew)
    html = client.get("/field/rounds").get_data(as_text=True)
    assert "Showing the 1 earliest of your 2 rounds" in html


def test_round_page_lists_tasks_in_route_order_with_map_and_geo_links(client, login_as, field):
    english(client, login_as, field.crew)
    html = client.get(f"/field/rounds/{field.round.id}").get_data(as_text=True)
    codes = [asset.code for asset in field.assets]
    positions = [html.index(code) for code in codes]
    assert positions == sorted(positions)
    assert html.count('href="geo:') == 3
    assert "data-route-map" in html and "/vendor/leaflet/leaflet.js" in html
    assert "Record result" in html and 'id="labour"' in html
    assert 'style="' not in html and "<script>" not in html


def test_crew_records_a_result_with_the_checklist_on_the_form(client, login_as, field):
    english(client, login_as, field.crew)
    task = field.tasks[0]
    form = client.get(f"/field/tasks/{task.id}").get_data(as_text=True)
    assert 'name="check_lid"' in form and 'value="pass"' in form and 'value="fail"' in form
    assert 'name="check_pressure"' in form and "Between 1.5 and 10" in form
    response = client.post(
        f"/field/tasks/{task.id}",
        data={
            "csrf_token": csrf_token(client),
            "result": "ok",
            "check_lid": "fail",
            "check_pressure": "3,5",
            "notes": "Lid cracked",
        },
    )
    assert response.status_code == 302
    assert f"#task-{field.tasks[1].id}" in response.headers["Location"]
    db.session.expire_all()
    assert task.status == "done"
    report = queries.report_of(task)
    assert report.checklist == {"lid": False, "pressure": 3.5} and report.failed_items == ["lid"]
    assert queries.follow_up_need_of(task) is not None


def test_bad_result_form_shows_the_error_and_writes_nothing(client, login_as, field):
    english(client, login_as, field.crew)
    task = field.tasks[0]
    response = client.post(
        f"/field/tasks/{task.id}",
        data={"csrf_token": csrf_token(client), "result": "ok", "check_pressure": "high"},
    )
    assert response.status_code == 400
    assert "Give the reading as a number" in response.get_data(as_text=True)
    response = client.post(
        f"/field/tasks/{task.id}",
        data={"csrf_token": csrf_token(client), "result": "ok", "check_lid": "pass"},
    )
    assert response.status_code == 400
    assert "whole checklist" in response.get_data(as_text=True)
    db.session.expire_all()
    assert task.status == "open"


def test_result_form_shows_a_missing_result_and_a_long_note_at_once(client, login_as, field):
    english(client, login_as, field.crew)
    task = field.tasks[0]
    response = client.post(
        f"/field/tasks/{task.id}",
        data={"csrf_token": csrf_token(client), "notes": "x" * 2001, "defect_category": "y" * 101},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a result" in html and 'maxlength="2000"' in html
    assert "At most 2000 characters." in html and "At most 100 characters." in html
    db.session.expire_all()
    assert task.status == "open"


def test_crew_adds_a_photo_from_the_form(client, login_as, field, file_store):
    english(client, login_as, field.crew)
    task = field.tasks[0]
    response = client.post(
        f"/field/tasks/{task.id}/photos",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(jpeg()), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    photo = db.session.query(TaskPhoto).one()
    page = client.get(f"/field/tasks/{task.id}").get_data(as_text=True)
    assert f"/field/photos/{photo.id}" in page
    assert client.get(f"/field/photos/{photo.id}").mimetype == "image/jpeg"
    refused = client.post(
        f"/field/tasks/{task.id}/photos",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "not a photo" in refused.get_data(as_text=True)
    assert db.session.query(TaskPhoto).count() == 1


def test_crew_logs_labour_on_the_round_page(client, login_as, field):
    english(client, login_as, field.crew)
    path = f"/field/rounds/{field.round.id}/labour"
    data = {
        "csrf_token": csrf_token(client),
        "work_date": today().isoformat(),
        "hours": "12,5",
        "target_group_hours": "6",
        "target_group_workers": "1",
    }
    assert client.post(path, data=data).status_code == 302
    assert client.post(path, data={**data, "hours": "13"}).status_code == 302
    entry = db.session.query(LabourEntry).one()
    assert str(entry.hours) == "13.00"
    bad = client.post(path, data={**data, "target_group_hours": "20"}, follow_redirects=True)
    assert "cannot exceed the hours" in bad.get_data(as_text=True)
    assert str(db.session.query(LabourEntry).one().target_group_hours) == "6.00"


def test_contested_task_shows_the_reason_to_the_crew(client, login_as, field):
    finish(field)
    services.contest_task(field.tasks[2], "Signage plate missing", actor=field.member_user)
    english(client, login_as, field.crew)
    assert "Late or to redo" in client.get("/field/rounds").get_data(as_text=True)
    html = client.get(f"/field/rounds/{field.round.id}").get_data(as_text=True)
    assert "Signage plate missing" in html and "Contested: redo" in html
    form = client.get(f"/field/tasks/{field.tasks[2].id}").get_data(as_text=True)
    assert "Signage plate missing" in form


# --- the member ----------------------------------------------------------------------------------


def test_member_accepts_a_round_after_confirmation(client, login_as, field):
    finish(field, defect_on=0)
    english(client, login_as, field.member_user)
    listing = client.get("/field/acceptance").get_data(as_text=True)
    assert f"Round {field.round.id}" in listing and "Done, to accept" in listing
    review = client.get(f"/field/rounds/{field.round.id}").get_data(as_text=True)
    assert "valve stuck" in review and "Follow-up need" in review and "Accept the round" in review
    confirm = client.get(f"/field/rounds/{field.round.id}/accept")
    assert confirm.status_code == 200 and "Yes, accept the round" in confirm.get_data(as_text=True)
    done = client.post(
        f"/field/rounds/{field.round.id}/accept", data={"csrf_token": csrf_token(client)}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert field.round.status == "accepted"
    again = client.post(
        f"/field/rounds/{field.round.id}/accept",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "already accepted" in again.get_data(as_text=True)


def test_member_contests_a_task_with_a_reason(client, login_as, field):
    finish(field)
    english(client, login_as, field.member_user)
    task = field.tasks[1]
    path = f"/field/tasks/{task.id}/contest"
    empty = client.post(path, data={"csrf_token": csrf_token(client), "reason": ""})
    assert empty.status_code == 400 and "Enter a reason" in empty.get_data(as_text=True)
    long = client.post(path, data={"csrf_token": csrf_token(client), "reason": "x" * 2001})
    assert long.status_code == 400 and "At most 2000 characters." in long.get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client), "reason": "Not done"})
    assert response.status_code == 302
    db.session.expire_all()
    assert task.status == "contested"


# --- the coordinator -----------------------------------------------------------------------------


def test_coordinator_follows_progress_defects_and_contests(client, login_as, field):
    finish(field, defect_on=0)
    services.contest_task(field.tasks[1], "Wrong hydrant", actor=field.member_user)
    services.record_labour(
        field.round,
        {"hours": "8", "target_group_hours": "6", "target_group_workers": 2},
        actor=field.crew,
    )
    english(client, login_as, field.coordinator)
    listing = client.get("/field/frameworks").get_data(as_text=True)
    assert field.framework.reference in listing
    html = client.get(f"/field/frameworks/{field.framework.id}").get_data(as_text=True)
    assert "2 of 3 tasks done" in html and "1 defects" in html and "Wrong hydrant" in html
    assert field.member.name in html and "8.00 hours" in html


def test_coordinator_sets_photo_retention_and_location(client, login_as, field):
    english(client, login_as, field.coordinator)
    path = f"/field/frameworks/{field.framework.id}/settings"
    assert client.get(path).status_code == 200
    bad = client.post(
        path, data={"csrf_token": csrf_token(client), "photo_retention_months": "500"}
    )
    assert bad.status_code == 400
    assert services.settings_for(field.framework.id).photo_retention_months == 24
    ok = client.post(
        path,
        data={
            "csrf_token": csrf_token(client),
            "photo_retention_months": "12",
            "keep_photo_location": "y",
        },
    )
    assert ok.status_code == 302
    setting = services.settings_for(field.framework.id)
    assert setting.photo_retention_months == 12 and setting.keep_photo_location is True


# --- who may open what ---------------------------------------------------------------------------


def pages(field) -> dict[str, list[str]]:
    task, round_ = field.tasks[0], field.round
    return {
        "crew": [f"/field/tasks/{task.id}/photos", f"/field/rounds/{round_.id}/labour"],
        "member": [f"/field/rounds/{round_.id}/accept", f"/field/tasks/{task.id}/contest"],
        "lead": [
            f"/field/frameworks/{field.framework.id}",
            f"/field/frameworks/{field.framework.id}/settings",
        ],
        "reach": [f"/field/rounds/{round_.id}", f"/field/tasks/{task.id}"],
    }


@pytest.mark.parametrize("role", ["provider", "member", "coordinator", "admin"])
def test_other_tenant_gets_404_on_every_object_page(client, login_as, field, role):
    login_as(make_user(role))
    token = csrf_token(client)
    paths = pages(field)
    for path in paths["reach"] + paths["member"]:
        assert client.get(path).status_code in (404, 403) if role == "admin" else 404, path
    for path in paths["crew"] + paths["member"]:
        assert client.post(path, data={"csrf_token": token}).status_code in (403, 404), path
    expected = 404 if role == "coordinator" else 403
    for path in paths["lead"]:
        assert client.get(path).status_code == expected, (role, path)
    db.session.expire_all()
    assert field.round.status == "assigned"


def test_own_tenant_roles_open_only_their_own_pages(client, login_as, field):
    finish(field)
    paths = pages(field)
    login_as(field.crew)
    assert client.get("/field/rounds").status_code == 200
    assert client.get(paths["reach"][0]).status_code == 200
    assert client.get(paths["reach"][1]).status_code == 200
    for path in paths["member"]:
        assert client.get(path).status_code == 403, path
    assert client.get("/field/acceptance").status_code == 403
    assert client.get(paths["lead"][0]).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as(field.member_user)
    assert client.get("/field/rounds").status_code == 403
    assert client.get(paths["reach"][0]).status_code == 200
    assert client.get(paths["reach"][1]).status_code == 302  # members read tasks on the round
    token = csrf_token(client)
    for path in paths["crew"]:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert client.get(paths["lead"][0]).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as(field.coordinator)
    assert client.get(paths["reach"][0]).status_code == 200
    for path in paths["member"]:
        assert client.get(path).status_code == 403, path
    for path in paths["lead"]:
        assert client.get(path).status_code == 200, path


def test_menu_links_per_role(client, login_as, field):
    for user, link, absent in (
        (field.crew, "/field/rounds", "/field/acceptance"),
        (field.member_user, "/field/acceptance", "/field/frameworks"),
        (field.coordinator, "/field/frameworks", '/field/rounds"'),
    ):
        login_as(user)
        html = client.get("/").get_data(as_text=True)
        assert f'href="{link}"' in html, user.role
        assert not re.search(f'href="{absent}', html), user.role
        client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_saved_offline_is_said_next_to_the_button_the_crew_tapped(client, login_as, field):
    """The notice ("kept on this phone") follows the save button, not the top of a long form
    that is off-screen when the crew taps save."""
    english(client, login_as, field.crew)
    task = field.round.tasks[0]
    html = client.get(f"/field/tasks/{task.id}").get_data(as_text=True)
    assert html.index("data-form-notice") > html.index("Save result")
    html = client.get(f"/field/rounds/{field.round.id}").get_data(as_text=True)
    assert html.index("data-form-notice") > html.index("Save labour")
