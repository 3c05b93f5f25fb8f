"""Social-economy subcontractors of an award (SPEC 7.3, Ghent): recorded by the lead
coordinator; only recognised providers, only the lot's task types, one subcontractor per task
type at a time; bad input answers 400/404/409 and writes nothing; every change audited. The
subcontractor's crew reaches exactly the tasks of its task types (404 otherwise), never their
prices, records them and logs its own labour; the main contractor sees the progress."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today, today
from central.extensions import db
from central.fieldwork.models import LabourDay
from central.frameworks.models import AwardSubcontractor, SubcontractedTaskType
from tests.factories import make_org, make_user, recognise
from tests.social.conftest import subcontract

OK = {"result": "ok", "checklist": {}}


def _written() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(AwardSubcontractor)),
        db.session.scalar(select(func.count()).select_from(SubcontractedTaskType)),
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "awards")
        ),
    )


def test_coordinator_records_a_subcontractor_and_its_task_types(client, ghent):
    response = subcontract(client, ghent, task_types=["Hedge_Cutting"])
    assert response.status_code == 201, response.json
    body = response.json
    assert body["organisation_id"] == ghent.social.id
    assert body["organisation_name"] == "Maatwerk Groen vzw"
    assert body["task_types"] == ["hedge_cutting"]
    assert body["social_economy_status"] == "maatwerkbedrijf"
    assert body["started_on"] == today().isoformat() and body["active"] is True
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "award.subcontractor_added")
    )
    assert event.object_id == ghent.award.id and event.actor_id == ghent.users["coordinator"].id
    assert event.data["task_types"] == ["hedge_cutting"]
    listed = client.get(
        f"/api/v1/awards/{ghent.award.id}/subcontractors", headers=ghent.headers("main")
    ).json
    assert [s["organisation_id"] for s in listed] == [ghent.social.id]


def _error_fields(response) -> set[str]:
    return set(response.json["error"]["fields"])


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"organisation_id": "unrecognised"}, 400, {"organisation_id"}),
        ({"task_types": ["street_sweeping"]}, 400, {"task_types"}),
        ({"task_types": []}, 400, {"task_types"}),
        ({"organisation_id": 999_999}, 404, {"organisation_id"}),
        ({"organisation_id": "main"}, 400, {"organisation_id"}),
        ({"organisation_id": "member"}, 400, {"organisation_id"}),
        (
            {"organisation_id": "unrecognised", "task_types": ["street_sweeping"]},
            400,
            {"organisation_id", "task_types"},
        ),
    ],
)
def test_bad_input_answers_with_a_clear_message_and_writes_nothing(
    client, ghent, body, status, fields
):
    names = {"unrecognised": ghent.unrecognised, "main": ghent.main, "member": ghent.member}
    if isinstance(body.get("organisation_id"), str):
        body["organisation_id"] = names[body["organisation_id"]].id
    before = _written()
    response = subcontract(client, ghent, **body)
    assert response.status_code == status, response.json
    assert _error_fields(response) == fields
    assert response.json["error"]["message"]
    assert _written() == before


def test_an_unrecognised_provider_is_named_in_dutch(client, ghent):
    response = subcontract(client, ghent, organisation_id=ghent.unrecognised.id)
    message = response.json["error"]["message"]
    assert "Gewone Tuinier BV" in message and "erkenning" in message


def test_a_recognition_that_ended_or_has_not_begun_does_not_count(client, ghent):
    late = make_org("provider", name="Later Erkend")
    recognise(late, "lde", valid_from=today() + timedelta(days=3))
    ended = make_org("provider", name="Vroeger Erkend")
    recognise(ended, "lde", valid_from=date(2020, 1, 1), valid_until=today() - timedelta(days=1))
    for org in (late, ended):
        assert subcontract(client, ghent, organisation_id=org.id).status_code == 400


def test_a_task_type_has_one_subcontractor_per_award_at_a_time(client, ghent):
    other = make_org("provider", name="Tweede Maatwerk", social_economy_status="lde")
    assert subcontract(client, ghent).status_code == 201
    before = _written()
    response = subcontract(
        client, ghent, organisation_id=other.id, task_types=["lawn_mowing", "hedge_cutting"]
    )
    assert response.status_code == 409
    assert "Haag snoeien (Maatwerk Groen vzw)" in response.json["error"]["message"]
    assert _written() == before
    # Another task type is free.
    response = subcontract(client, ghent, organisation_id=other.id, task_types=["lawn_mowing"])
    assert response.status_code == 201


def test_ending_a_subcontracting_frees_the_task_type_and_ends_the_reach(client, ghent):
    sub_id = subcontract(client, ghent).json["id"]
    task = ghent.hedge_task
    assert (
        client.get(f"/api/v1/tasks/{task.id}", headers=ghent.headers("social")).status_code == 200
    )
    path = f"/api/v1/awards/{ghent.award.id}/subcontractors/{sub_id}/end"
    assert client.post(path, headers=ghent.headers("main")).status_code == 403
    response = client.post(path, headers=ghent.headers("coordinator"))
    assert response.status_code == 200 and response.json["active"] is False
    assert response.json["ended_on"] == today().isoformat()
    assert client.post(path, headers=ghent.headers("coordinator")).status_code == 409
    assert (
        client.get(f"/api/v1/tasks/{task.id}", headers=ghent.headers("social")).status_code == 404
    )
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "award.subcontractor_ended")
    )
    other = make_org("provider", social_economy_status="lde")
    assert subcontract(client, ghent, organisation_id=other.id).status_code == 201


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_coordinator", 404), ("main", 403), ("member", 403), ("social", 404)],
)
def test_only_the_lead_coordinator_records_subcontractors(client, ghent, who, status):
    before = _written()
    assert subcontract(client, ghent, who=who).status_code == status
    assert _written() == before


def test_the_subcontractor_reaches_only_its_task_types_and_no_prices(client, ghent):
    assert subcontract(client, ghent).status_code == 201
    hedge, lawn = ghent.hedge_task, ghent.lawn_task
    social = ghent.headers("social")
    got = client.get(f"/api/v1/tasks/{hedge.id}", headers=social)
    assert got.status_code == 200
    for price in ("unit_price", "amount", "vat_rate"):
        assert price not in got.json
    assert client.get(f"/api/v1/tasks/{lawn.id}", headers=social).status_code == 404
    assert client.get(f"/api/v1/rounds/{ghent.round.id}", headers=social).status_code == 404
    assert (
        client.post(f"/api/v1/tasks/{lawn.id}/result", json=OK, headers=social).status_code == 404
    )
    # The main contractor and the member still see the prices.
    main = client.get(f"/api/v1/tasks/{hedge.id}", headers=ghent.headers("main")).json
    assert main["unit_price"] == "18.50"
    # A provider with nothing subcontracted reaches nothing.
    stranger = ghent.headers("unrecognised")
    assert client.get(f"/api/v1/tasks/{hedge.id}", headers=stranger).status_code == 404


def test_the_subcontractor_records_its_tasks_and_the_main_contractor_sees_progress(client, ghent):
    assert subcontract(client, ghent).status_code == 201
    hedge = ghent.hedge_task
    response = client.post(
        f"/api/v1/tasks/{hedge.id}/result", json=OK, headers=ghent.headers("social")
    )
    assert response.status_code == 200, response.json
    assert "amount" not in response.json
    seen = client.get(f"/api/v1/tasks/{hedge.id}", headers=ghent.headers("main")).json
    assert seen["status"] == "done" and seen["result"] == "ok"
    db.session.expire_all()
    assert ghent.round.status == "in_progress"  # the lawn task is still open


def test_the_subcontractor_logs_its_own_labour_day(client, ghent):
    assert subcontract(client, ghent).status_code == 201
    path = f"/api/v1/rounds/{ghent.round.id}/labour"
    main = {"hours": "6", "target_group_hours": "0", "target_group_workers": 0}
    own = {"hours": "4", "target_group_hours": "4", "target_group_workers": 1}
    assert client.post(path, json=main, headers=ghent.headers("main")).status_code == 201
    response = client.post(path, json=own, headers=ghent.headers("social"))
    assert response.status_code == 201, response.json
    days = {
        d.provider_id: d
        for d in db.session.scalars(select(LabourDay).where(LabourDay.work_date == today()))
    }
    assert days[ghent.main.id].hours == 6 and days[ghent.social.id].target_group_hours == 4
    mine = client.get(path, headers=ghent.headers("social")).json
    assert [e["hours"] for e in mine] == ["4.00"]
    everything = client.get(path, headers=ghent.headers("main")).json
    assert sorted(e["hours"] for e in everything) == ["4.00", "6.00"]
    # A provider that subcontracts nothing on the round cannot log labour on it.
    stranger = client.post(path, json=own, headers=ghent.headers("unrecognised"))
    assert stranger.status_code == 404


def test_a_task_type_outside_the_lot_is_refused_even_from_the_same_framework(client, ghent):
    from tests.factories import make_lot, make_task_type

    other_lot = make_lot(ghent.framework, number=2)
    make_task_type(other_lot, code="tree_pruning")
    response = subcontract(client, ghent, task_types=["tree_pruning"])
    assert response.status_code == 400
    assert "tree_pruning" in response.json["error"]["fields"]["task_types"][0]


def test_an_ended_framework_takes_no_new_subcontractor(client, ghent):
    ghent.framework.status = "expired"
    db.session.flush()
    with frozen_today(today()):
        assert subcontract(client, ghent).status_code == 409


def test_a_second_user_of_the_subcontractor_has_the_same_reach(client, ghent):
    assert subcontract(client, ghent).status_code == 201
    ghent.users["crew2"] = make_user("provider", ghent.social)
    got = client.get(f"/api/v1/tasks/{ghent.hedge_task.id}", headers=ghent.headers("crew2"))
    assert got.status_code == 200


def test_the_subcontractor_adds_photos_to_its_tasks_only(client, ghent, file_store):
    import io

    from PIL import Image

    assert subcontract(client, ghent).status_code == 201
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 100, 0)).save(out, "JPEG")

    def photo(task):
        return client.post(
            f"/api/v1/tasks/{task.id}/photos",
            data={"file": (io.BytesIO(out.getvalue()), "haag.jpg")},
            content_type="multipart/form-data",
            headers=ghent.headers("social"),
        )

    assert photo(ghent.hedge_task).status_code == 201
    assert photo(ghent.lawn_task).status_code == 404
