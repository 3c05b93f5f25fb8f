"""Rounds through the API and the pages: reach (each role, own and other tenant), tasks in route
order, moving within the week, cancelling open work; the map and the workload pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from central.assets.models import Need
from central.core.clock import frozen_today
from central.extensions import db
from central.planning.jobs import generate_rounds
from central.planning.models import Task
from tests.conftest import csrf_token
from tests.factories import (
    PASSWORD,
    make_active_framework,
    make_asset,
    make_need,
    make_org,
    make_round,
    make_user,
)
from tests.planning.conftest import TODAY

MONDAY = date(2026, 3, 2)


def sign_in(app, user):
    """A client of its own, signed in as `user` (a member or a provider: no second factor)."""
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def world(hydrants):
    """Our member's assigned round (3 stops), and another framework with another member's round."""
    assets = hydrants.add_assets(3)
    ours = make_round(
        hydrants.lot, hydrants.member, assets, provider=hydrants.provider, scheduled_date=MONDAY
    )
    other_member = make_org("authority")
    other_provider = make_org("provider", social_economy_status="lde")
    other_framework = make_active_framework(members=[other_member], providers=[other_provider])
    theirs = make_round(
        other_framework.lots[0],
        other_member,
        [make_asset(other_member)],
        provider=other_provider,
        scheduled_date=MONDAY,
    )
    users = {
        "member": make_user("member", org=hydrants.member),
        "provider": make_user("provider", org=hydrants.provider),
        "coordinator": make_user("coordinator", org=hydrants.framework.lead_organisation),
        "other_member": make_user("member", org=other_member),
        "other_provider": make_user("provider", org=other_provider),
        "other_coordinator": make_user("coordinator", org=other_framework.lead_organisation),
        "admin": make_user("admin"),
    }
    return {"ours": ours, "theirs": theirs, "users": users, "hydrants": hydrants}


def _client(login_as, world, who):
    client = login_as(world["users"][who])
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client)
    return client


@pytest.mark.parametrize(
    "who, sees_ours",
    [
        ("member", True),
        ("provider", True),
        ("coordinator", True),
        ("other_member", False),
        ("other_provider", False),
        ("other_coordinator", False),
        ("admin", False),
    ],
)
def test_rounds_in_reach_and_404_outside(login_as, world, who, sees_ours):
    client = _client(login_as, world, who)
    listed = client.get("/api/v1/rounds")
    assert listed.status_code == 200
    ids = {r["id"] for r in listed.get_json()}
    assert (world["ours"].id in ids) is sees_ours
    detail = client.get(f"/api/v1/rounds/{world['ours'].id}")
    assert detail.status_code == (200 if sees_ours else 404)
    page = client.get(f"/rounds/{world['ours'].id}")
    assert page.status_code == (200 if sees_ours else 403 if who == "admin" else 404)


def test_rounds_need_authentication(client, world):
    assert client.get("/api/v1/rounds").status_code == 401
    assert client.get(f"/api/v1/rounds/{world['ours'].id}").status_code == 401
    assert client.get("/rounds").status_code == 302


def test_round_shows_its_tasks_in_route_order_with_their_places(login_as, world):
    client = _client(login_as, world, "member")
    body = client.get(f"/api/v1/rounds/{world['ours'].id}").get_json()
    assert [t["sequence"] for t in body["tasks"]] == [1, 2, 3]
    first = body["tasks"][0]
    assert first["unit_price"] == "18.50" and first["vat_rate"] == "21.00"
    assert first["amount"] == "18.50"  # the stored unit price × quantity
    assert first["lat"] == pytest.approx(50.93) and first["place"].startswith("Kerkstraat")
    assert body["route_km"] == "1.20" and body["task_count"] == 3
    assert body["scheduled_date"] == "2026-03-02"


def test_round_list_filters(login_as, world):
    client = _client(login_as, world, "coordinator")
    assert client.get("/api/v1/rounds?status=assigned").headers["X-Total-Count"] == "1"
    assert client.get("/api/v1/rounds?status=accepted").get_json() == []
    assert client.get("/api/v1/rounds?scheduled_from=2026-03-03").get_json() == []
    bad = client.get("/api/v1/rounds?status=lost&member_id=x&scheduled_to=soon")
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"status", "member_id", "scheduled_to"}


# Moving within the week (rule 13) --------------------------------------------------------------


def test_provider_moves_its_round_within_its_week(login_as, world):
    client = _client(login_as, world, "provider")
    url = f"/api/v1/rounds/{world['ours'].id}"
    moved = client.patch(url, json={"scheduled_date": "2026-03-05"})
    assert moved.status_code == 200 and moved.get_json()["scheduled_date"] == "2026-03-05"
    outside = client.patch(url, json={"scheduled_date": "2026-03-09"})
    assert outside.status_code == 400
    assert "scheduled_date" in outside.get_json()["error"]["fields"]
    assert client.patch(url, json={"scheduled_date": "soon"}).status_code == 400
    assert client.patch(url, json={"due_date": "2026-03-05"}).status_code == 400
    assert world["ours"].scheduled_date == date(2026, 3, 5)


@pytest.mark.parametrize(
    "who, status",
    [("member", 403), ("other_coordinator", 404), ("other_provider", 404), ("admin", 404)],
)
def test_only_the_provider_and_the_lead_coordinator_move_a_round(login_as, world, who, status):
    client = _client(login_as, world, who)
    response = client.patch(
        f"/api/v1/rounds/{world['ours'].id}", json={"scheduled_date": "2026-03-05"}
    )
    assert response.status_code == status
    assert world["ours"].scheduled_date == MONDAY


def test_rule_15_the_lead_coordinator_moves_an_overdue_round_to_a_later_week(login_as, world):
    from central.core.audit import AuditEvent

    round_ = world["ours"]
    round_.status, round_.due_date = "overdue", MONDAY - timedelta(days=3)
    client = _client(login_as, world, "coordinator")
    url = f"/api/v1/rounds/{round_.id}"
    with frozen_today(TODAY):
        past = client.patch(url, json={"scheduled_date": "2026-03-03"})
        assert past.status_code == 400  # not into the past
        moved = client.patch(url, json={"scheduled_date": "2026-03-16"})
    assert moved.status_code == 200
    body = moved.get_json()
    assert body["scheduled_date"] == "2026-03-16" and body["due_date"] == "2026-03-16"
    assert body["status"] == "assigned"  # no longer overdue; the same provider keeps it
    assert body["provider_id"] == world["hydrants"].provider.id
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "round.moved").order_by(AuditEvent.id.desc())
    ).first()
    assert event.data["previous_status"] == "overdue" and event.data["status"] == "assigned"
    assert event.data["previous_due"] == "2026-02-27"


def test_the_coordinator_move_form_is_on_the_round_page(login_as, world):
    client = _client(login_as, world, "coordinator")
    with frozen_today(TODAY):
        html = client.get(f"/rounds/{world['ours'].id}").get_data(as_text=True)
    assert f'action="/rounds/{world["ours"].id}/move"' in html


def test_moved_round_still_counts_in_its_week_for_assignment(world):
    from central.planning.jobs import assign_rounds

    hydrants = world["hydrants"]
    hydrants.lot.awards[0].weekly_capacity = 5
    world["ours"].scheduled_date = date(2026, 3, 6)  # Friday of the same week: 3 tasks there
    waiting = make_round(
        hydrants.lot, hydrants.member, hydrants.add_assets(3), due_date=TODAY + timedelta(days=20)
    )
    assign_rounds(db.session, TODAY)
    assert waiting.scheduled_date == MONDAY + timedelta(weeks=1)


# Cancelling open work (rule 14) ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "coordinator"])
def test_member_or_lead_coordinator_cancels_open_work_and_assets_are_planned_again(
    login_as, world, who
):
    client = _client(login_as, world, who)
    round_ = world["ours"]
    response = client.post(f"/api/v1/rounds/{round_.id}/cancel")
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert {t.status for t in round_.tasks} == {"cancelled"}
    assert client.post(f"/api/v1/rounds/{round_.id}/cancel").status_code == 409
    assert generate_rounds(db.session, TODAY)["tasks"] == 3  # the assets are free again


def test_a_result_saved_a_moment_before_a_cancellation_is_never_overwritten(world):
    """The crew's result lands between the member's reading and its cancellation: the task is
    reloaded under a lock and only open work is cancelled."""
    from sqlalchemy import update

    from central.assets.services import retire_asset
    from central.planning.services import cancel_round, cancel_task

    round_ = world["ours"]
    first, second, third = sorted(round_.tasks, key=lambda t: t.sequence)
    member = world["users"]["member"]
    for task in (first, second, third):
        db.session.execute(  # behind the ORM's back, as another request would
            update(Task)
            .where(Task.id == task.id)
            .values(status="done", result="ok", done_on=TODAY)
            .execution_options(synchronize_session=False)
        )
        assert task.status == "open"  # what this request still believes
    with pytest.raises(Exception, match="open task"):
        cancel_task(first, actor=member)
    with pytest.raises(Exception, match="no open work"):
        cancel_round(round_, actor=member)
    retire_asset(db.session.get(type(third.asset), third.asset_id), actor=member)
    db.session.flush()
    assert {t.status for t in round_.tasks} == {"done"}


@pytest.mark.parametrize(
    "who, status", [("provider", 403), ("other_member", 404), ("other_coordinator", 404)]
)
def test_others_cannot_cancel(login_as, world, who, status):
    client = _client(login_as, world, who)
    round_ = world["ours"]
    assert client.post(f"/api/v1/rounds/{round_.id}/cancel").status_code == status
    assert client.post(f"/api/v1/tasks/{round_.tasks[0].id}/cancel").status_code == status
    assert {t.status for t in round_.tasks} == {"open"}


def test_cancelling_one_task_keeps_the_round_and_done_work_stays(login_as, world):
    client = _client(login_as, world, "member")
    round_ = world["ours"]
    first, second, third = round_.tasks
    second.status, second.result, second.done_on = "done", "ok", TODAY
    db.session.flush()
    response = client.post(f"/api/v1/tasks/{first.id}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/tasks/{second.id}/cancel").status_code == 409  # done
    assert round_.status == "in_progress"  # work is recorded
    client.post(f"/api/v1/rounds/{round_.id}/cancel")  # the last open task
    assert (first.status, second.status, third.status) == ("cancelled", "done", "cancelled")
    assert round_.status == "completed"  # what is left is done


def test_cancelling_a_planned_need_opens_it_again(login_as, hydrants):
    hydrants.plan.active = False
    need = make_need(hydrants.member, hydrants.lot, task_type="hydrant_inspection")
    generate_rounds(db.session, TODAY)
    assert need.status == "planned"
    client = login_as(make_user("member", org=hydrants.member))
    task = db.session.scalar(select(Task).where(Task.need_id == need.id))
    response = client.post(
        f"/api/v1/tasks/{task.id}/cancel", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 200
    assert db.session.get(Need, need.id).status == "open"


# Pages -----------------------------------------------------------------------------------------


def test_round_page_lists_stops_in_order_with_the_route_map(login_as, world):
    client = _client(login_as, world, "provider")
    page = client.get(f"/rounds/{world['ours'].id}").get_data(as_text=True)
    assert "data-route-map" in page and "data-points" in page
    codes = [t.asset.code for t in world["ours"].tasks]
    assert page.index(codes[0]) < page.index(codes[1]) < page.index(codes[2])
    assert 'name="scheduled_date"' in page  # the provider may move it
    assert "/cancel" not in page  # but not cancel it


def test_round_pages_move_and_cancel_with_confirmation(app, login_as, world):
    provider = _client(login_as, world, "provider")
    round_ = world["ours"]
    token = csrf_token(provider)
    response = provider.post(
        f"/rounds/{round_.id}/move", data={"scheduled_date": "2026-03-04", "csrf_token": token}
    )
    assert response.status_code == 302 and round_.scheduled_date == date(2026, 3, 4)
    provider.post(
        f"/rounds/{round_.id}/move", data={"scheduled_date": "2026-04-04", "csrf_token": token}
    )
    assert round_.scheduled_date == date(2026, 3, 4)
    member = sign_in(app, world["users"]["member"])
    confirm = member.get(f"/rounds/{round_.id}/cancel")
    assert confirm.status_code == 200 and "button danger" in confirm.get_data(as_text=True)
    assert {t.status for t in round_.tasks} == {"open"}  # asking changes nothing
    done = member.post(f"/rounds/{round_.id}/cancel", data={"csrf_token": csrf_token(member)})
    assert done.status_code == 302 and round_.status == "cancelled"


@pytest.mark.parametrize("who", ["member", "provider", "coordinator"])
def test_rounds_list_and_map_pages(login_as, world, who):
    client = _client(login_as, world, who)
    listing = client.get("/rounds").get_data(as_text=True)
    assert f"/rounds/{world['ours'].id}" in listing
    assert f"/rounds/{world['theirs'].id}" not in listing
    world["ours"].status = "cancelled"  # work still to do is the default; "all" shows the rest
    assert f"/rounds/{world['ours'].id}" not in client.get("/rounds").get_data(as_text=True)
    assert f"/rounds/{world['ours'].id}" in client.get("/rounds?status=all").get_data(as_text=True)
    world["ours"].status = "assigned"
    assert client.get("/rounds/map").status_code == 200
    data = client.get("/rounds/map.json").get_json()
    assert [r["id"] for r in data] == [world["ours"].id]
    assert len(data[0]["points"]) == 3


def test_rounds_pages_refuse_the_admin(login_as, world):
    client = _client(login_as, world, "admin")
    for url in ("/rounds", "/rounds/map", "/rounds/map.json", "/workload"):
        assert client.get(url).status_code == 403


def test_workload_by_week_for_the_provider_and_the_coordinator(app, login_as, world):
    with frozen_today(TODAY):
        provider = sign_in(app, world["users"]["provider"])
        page = provider.get("/workload").get_data(as_text=True)
        assert 'max="100"' in page and 'value="3"' in page  # the week's meter
        member = sign_in(app, world["users"]["member"])
        assert member.get("/workload").status_code == 403
        coordinator = login_as(world["users"]["coordinator"])
        page = coordinator.get(f"/workload?provider={world['hydrants'].provider.id}")
        assert page.status_code == 200 and 'value="3"' in page.get_data(as_text=True)
        other = coordinator.get(f"/workload?provider={world['theirs'].provider_id}")
        assert other.status_code == 404
