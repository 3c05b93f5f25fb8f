"""Frameworks through the JSON API: the walk from draft to approved accession, an authorisation
test for every route (each role × own / other tenant), bad input (400, nothing written) and the
e-mail sent on accession decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.frameworks.models import Accession, Framework
from tests.factories import (
    make_accession,
    make_active_framework,
    make_framework,
    make_lot,
    make_org,
    make_token,
    make_user,
    name_beneficiaries,
)


@dataclass
class World:
    lead: object
    framework: object  # active, led by `lead`
    draft: object  # draft, led by `lead`
    other_framework: object  # active, led by another authority
    named: object  # member authority named in `framework`, not acceded
    acceded: object  # member authority named and approved
    accession: object  # `acceded`'s approved accession
    pending: object  # a requested accession of a third named member
    provider: object
    tokens: dict


@pytest.fixture
def world(db) -> World:
    lead = make_org("authority", name="Stad Roeselare")
    other_lead = make_org("authority", name="Stad Kortrijk")
    named, acceded, third, stranger = (make_org("authority") for _ in range(4))
    provider = make_org("provider", social_economy_status="lde")
    other_provider = make_org("provider", social_economy_status="maatwerkbedrijf")
    framework = make_active_framework(lead, providers=[provider])
    make_lot(framework, number=2)
    name_beneficiaries(framework, named, acceded, third)
    accession = make_accession(framework, acceded, [framework.lots[0]])
    pending = make_accession(framework, third, [framework.lots[0]], status="requested")
    draft = make_framework(lead)
    make_lot(draft)
    other_framework = make_active_framework(other_lead, [stranger], providers=[other_provider])
    users = {
        "coordinator": make_user("coordinator", lead),
        "other_coordinator": make_user("coordinator", other_lead),
        "member": make_user("member", named),
        "acceded_member": make_user("member", acceded),
        "third_member": make_user("member", third),
        "stranger_member": make_user("member", stranger),
        "provider": make_user("provider", provider),
        "other_provider": make_user("provider", other_provider),
        "admin": make_user("admin"),
    }
    tokens = {name: make_token(user) for name, user in users.items()}
    db.session.commit()
    return World(
        lead,
        framework,
        draft,
        other_framework,
        named,
        acceded,
        accession,
        pending,
        provider,
        tokens,
    )


@pytest.fixture
def api(client, world):
    def call(who: str, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {world.tokens[who]}"}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


FRAMEWORK = {
    "reference": "RSL-2026-GR-01",
    "title": "Groenonderhoud",
    "reserved": True,
    "start_date": "2026-01-01",
    "end_date": "2029-12-31",
    "estimated_value": "250000.00",
    "max_value": "300000.00",
    "social_target_percent": "20.00",
    "procedure": "open",
    "cpv_codes": ["77310000-6", "77340000-5"],
    "notice_references": ["2025/S 201-654321", "BDA 2025-530123"],
    "award_decision_date": "2025-11-14",
    "standstill_end": "2025-12-01",
}


def test_coordinator_creates_activates_and_member_accedes(api, world, db):
    response = api("coordinator", "POST", "/frameworks", json=FRAMEWORK)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "draft"
    assert body["lead_organisation_id"] == world.lead.id
    assert body["max_value"] == "300000.00"
    assert body["committed_value"] == "0.00"
    assert body["term_justification"] is None
    assert body["procedure"] == "open"
    assert body["cpv"] == [
        {"code": "77310000-6", "label": "Planting and maintenance services of green areas"},
        {"code": "77340000-5", "label": "Tree pruning and hedge trimming"},
    ]
    fid = body["id"]
    lot = api(
        "coordinator",
        "POST",
        f"/frameworks/{fid}/lots",
        json={"number": 1, "title": "Hagen", "service_type": "green_maintenance"},
    )
    assert lot.status_code == 201, lot.json
    assert lot.json["max_tasks_per_round"] == 25
    assert lot.json["planning_horizon_days"] == 28
    assert lot.json["urgent_days"] == 7
    lot_id = lot.json["id"]
    task_type = api(
        "coordinator",
        "POST",
        f"/lots/{lot_id}/task-types",
        json={
            "code": "hedge_trimming",
            "name": "Haag snoeien",
            "checklist": [
                {"key": "cleared", "label": "Clippings cleared", "kind": "pass_fail"},
                {"key": "height", "label": "Height (m)", "kind": "reading", "min": "0.5"},
            ],
        },
    )
    assert task_type.status_code == 201, task_type.json
    assert task_type.json["checklist"][1] == {
        "key": "height",
        "label": "Height (m)",
        "kind": "reading",
        "min": "0.5",
        "max": None,
    }
    assert task_type.json["follow_up"] is None
    price = api(
        "coordinator",
        "POST",
        f"/lots/{lot_id}/prices",
        json={
            "task_type": "hedge_trimming",
            "unit": "m",
            "unit_price": "2.35",
            "valid_from": "2026-01-01",
        },
    )
    assert price.status_code == 201, price.json
    assert price.json == {
        "id": price.json["id"],
        "lot_id": lot_id,
        "task_type": "hedge_trimming",
        "provider_id": None,
        "as_tendered": False,
        "change_id": None,
        "unit": "m",
        "unit_price": "2.35",
        "vat_rate": "21.00",
        "valid_from": "2026-01-01",
    }
    award = api(
        "coordinator",
        "POST",
        f"/lots/{lot_id}/awards",
        json={"provider_id": world.provider.id, "rank": 1, "weekly_capacity": 120},
    )
    assert award.status_code == 201, award.json
    beneficiaries = api(
        "coordinator",
        "POST",
        f"/frameworks/{fid}/beneficiaries",
        json={"organisation_ids": [world.named.id, world.lead.id]},
    )
    assert beneficiaries.status_code == 200
    assert sorted(beneficiaries.json["organisation_ids"]) == sorted([world.named.id, world.lead.id])
    with frozen_today(date(2026, 1, 1)):
        activated = api("coordinator", "POST", f"/frameworks/{fid}/activate")
    assert activated.status_code == 200, activated.json
    assert activated.json["status"] == "active"
    # Everything reads back.
    for path in (
        f"/frameworks/{fid}/lots",
        f"/lots/{lot_id}/task-types",
        f"/lots/{lot_id}/prices",
        f"/lots/{lot_id}/awards",
    ):
        listed = api("member", "GET", path)
        assert listed.status_code == 200, path
        assert listed.headers["X-Total-Count"] == "1"
    assert api("member", "GET", f"/frameworks/{fid}/beneficiaries").status_code == 200
    # The member accedes; the coordinator approves.
    requested = api(
        "member",
        "POST",
        "/accessions",
        json={"framework_id": fid, "lot_ids": [lot_id], "order_reference": "BUDGET 0610-02"},
    )
    assert requested.status_code == 201, requested.json
    assert requested.json["status"] == "requested"
    assert requested.json["member_id"] == world.named.id
    assert requested.json["lot_ids"] == [lot_id]
    assert requested.json["decided_at"] is None
    again = api(
        "member",
        "POST",
        "/accessions",
        json={"framework_id": fid, "lot_ids": [lot_id], "order_reference": "x"},
    )
    assert again.status_code == 409
    approved = api("coordinator", "POST", f"/accessions/{requested.json['id']}/approve")
    assert approved.status_code == 200
    assert approved.json["status"] == "approved"
    assert approved.json["decided_at"]
    terminated = api(
        "coordinator", "POST", f"/frameworks/{fid}/terminate", json={"reason": "Budget cut."}
    )
    assert terminated.status_code == 200
    assert terminated.json["status"] == "terminated"


def test_framework_longer_than_four_years_needs_justification_in_the_api(api):
    response = api(
        "coordinator", "POST", "/frameworks", json=dict(FRAMEWORK, end_date="2030-01-02")
    )
    assert response.status_code == 400
    assert "term_justification" in response.json["error"]["fields"]
    justified = api(
        "coordinator",
        "POST",
        "/frameworks",
        json=dict(FRAMEWORK, end_date="2030-01-02", term_justification="Equipment payback."),
    )
    assert justified.status_code == 201


def test_active_framework_maximum_cannot_change_in_the_api(api, world):
    response = api(
        "coordinator", "PATCH", f"/frameworks/{world.framework.id}", json={"max_value": "1.00"}
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert "max_value" in response.json["error"]["fields"]
    ok = api("coordinator", "PATCH", f"/frameworks/{world.framework.id}", json={"title": "Renamed"})
    assert ok.status_code == 200
    assert ok.json["title"] == "Renamed"


def test_active_framework_beneficiaries_answer_409(api, world):
    response = api(
        "coordinator",
        "POST",
        f"/frameworks/{world.framework.id}/beneficiaries",
        json={"organisation_ids": [make_org("authority").id]},
    )
    assert response.status_code == 409


def test_activation_without_lots_answers_409(api, world):
    fresh = make_framework(world.lead)
    response = api("coordinator", "POST", f"/frameworks/{fresh.id}/activate")
    assert response.status_code == 409
    assert response.json["error"]["fields"]["activation"]


def test_only_beneficiary_can_accede_in_the_api(api, world):
    # Outside its reach: 404.
    response = api(
        "stranger_member",
        "POST",
        "/accessions",
        json={
            "framework_id": world.framework.id,
            "lot_ids": [world.framework.lots[0].id],
            "order_reference": "x",
        },
    )
    assert response.status_code == 404
    # The lead coordinator sees its framework, but its own authority is not named: 409.
    response = api(
        "coordinator",
        "POST",
        "/accessions",
        json={
            "framework_id": world.framework.id,
            "lot_ids": [world.framework.lots[0].id],
            "order_reference": "x",
        },
    )
    assert response.status_code == 409


def test_lot_already_covered_conflicts_in_the_api(api, world):
    lot1, lot2 = world.framework.lots
    body = {"framework_id": world.framework.id, "order_reference": "PO"}
    assert (
        api("acceded_member", "POST", "/accessions", json=dict(body, lot_ids=[lot1.id])).status_code
        == 409
    )
    later = api("acceded_member", "POST", "/accessions", json=dict(body, lot_ids=[lot2.id]))
    assert later.status_code == 201


def test_other_lead_coordinator_gets_404(api, world):
    fid = world.framework.id
    lot_id = world.framework.lots[0].id
    for method, path, body in (
        ("GET", f"/frameworks/{fid}", None),
        ("PATCH", f"/frameworks/{fid}", {"title": "x"}),
        ("POST", f"/frameworks/{fid}/terminate", {"reason": "x"}),
        ("GET", f"/frameworks/{fid}/lots", None),
        ("GET", f"/lots/{lot_id}", None),
        ("GET", f"/lots/{lot_id}/prices", None),
        ("POST", f"/accessions/{world.pending.id}/approve", None),
    ):
        response = api("other_coordinator", method, path, json=body)
        assert response.status_code == 404, (method, path)
    listed = api("other_coordinator", "GET", "/frameworks")
    assert [f["id"] for f in listed.json] == [world.other_framework.id]


def test_rejection_with_reason_and_withdrawal(api, world):
    no_reason = api("coordinator", "POST", f"/accessions/{world.pending.id}/reject", json={})
    assert no_reason.status_code == 400
    rejected = api(
        "coordinator",
        "POST",
        f"/accessions/{world.pending.id}/reject",
        json={"reason": "Outside the region."},
    )
    assert rejected.status_code == 200
    assert rejected.json["reason"] == "Outside the region."
    assert api("coordinator", "POST", f"/accessions/{world.pending.id}/approve").status_code == 409
    withdrawn = api("acceded_member", "POST", f"/accessions/{world.accession.id}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json["status"] == "withdrawn"


def test_accession_list_filters(api, world):
    response = api("coordinator", "GET", "/accessions?status=requested")
    assert [a["id"] for a in response.json] == [world.pending.id]
    assert api("coordinator", "GET", "/accessions?status=nonsense").status_code == 400
    assert api("coordinator", "GET", "/accessions?framework=abc").status_code == 400
    mine = api("acceded_member", "GET", "/accessions")
    assert [a["id"] for a in mine.json] == [world.accession.id]
    assert api("provider", "GET", "/accessions").json == []


# --- authorisation: every route, each role × own / other tenant ------------------------------

ROLES = (
    "coordinator",
    "other_coordinator",
    "member",
    "acceded_member",
    "stranger_member",
    "provider",
    "other_provider",
    "admin",
)


def _routes(w: World):
    """(method, path, body, expected status per role)."""
    fid, did = w.framework.id, w.draft.id
    lot_id, draft_lot = w.framework.lots[0].id, w.draft.lots[0].id
    read = {
        "coordinator": 200,
        "other_coordinator": 404,
        "member": 200,
        "acceded_member": 200,
        "stranger_member": 404,
        "provider": 200,
        "other_provider": 404,
        "admin": 200,
    }
    draft_write = {
        "coordinator": None,  # the success status, set per route
        "other_coordinator": 404,
        "member": 404,
        "acceded_member": 404,
        "stranger_member": 404,
        "provider": 404,
        "other_provider": 404,
        "admin": 403,
    }
    running_write = dict(read, member=403, acceded_member=403, provider=403, admin=403)
    return [
        ("GET", f"/frameworks/{fid}", None, read),
        ("GET", f"/frameworks/{fid}/lots", None, read),
        ("GET", f"/frameworks/{fid}/beneficiaries", None, read),
        ("GET", f"/lots/{lot_id}", None, read),
        ("GET", f"/lots/{lot_id}/task-types", None, read),
        ("GET", f"/task-types/{w.framework.lots[0].task_types[0].id}", None, read),
        ("GET", f"/lots/{lot_id}/prices", None, read),
        ("GET", f"/lots/{lot_id}/awards", None, read),
        ("PATCH", f"/frameworks/{fid}", {"title": "T"}, running_write),
        ("PATCH", f"/lots/{lot_id}", {"title": "T"}, running_write),
        (
            "PATCH",
            f"/task-types/{w.framework.lots[0].task_types[0].id}",
            {"name": "N"},
            running_write,
        ),
        (
            "POST",
            f"/lots/{lot_id}/prices",
            {"task_type": "hydrant_inspection", "unit_price": "19.00", "valid_from": "2099-01-01"},
            dict(running_write, coordinator=409),  # SPEC 7.2: a recorded change first
        ),
        (
            "POST",
            f"/lots/{lot_id}/task-types",
            {"code": "new_type", "name": "New"},
            dict(running_write, coordinator=409),
        ),
        ("GET", f"/frameworks/{fid}/changes", None, read),
        (
            "POST",
            f"/frameworks/{fid}/changes",
            {"kind": "de_minimis", "description": "D", "value": "10.00"},
            dict(running_write, coordinator=201),
        ),
        ("POST", f"/frameworks/{fid}/terminate", {"reason": "R"}, running_write),
        ("PATCH", f"/frameworks/{did}", {"title": "T"}, dict(draft_write, coordinator=200)),
        (
            "POST",
            f"/frameworks/{did}/lots",
            {"number": 5, "title": "L", "service_type": "s"},
            dict(draft_write, coordinator=201),
        ),
        (
            "POST",
            f"/frameworks/{did}/beneficiaries",
            {"organisation_ids": [w.named.id]},
            dict(draft_write, coordinator=200),
        ),
        (
            "POST",
            f"/lots/{draft_lot}/awards",
            {"provider_id": w.provider.id, "rank": 1, "weekly_capacity": 10},
            dict(draft_write, coordinator=201),
        ),
        ("POST", f"/frameworks/{did}/activate", None, dict(draft_write, coordinator=409)),
        (
            "POST",
            "/frameworks",
            dict(FRAMEWORK),
            {r: 403 for r in ROLES} | {"coordinator": 201, "other_coordinator": 201},
        ),
        (
            "POST",
            "/accessions",
            {"framework_id": fid, "lot_ids": [w.framework.lots[1].id], "order_reference": "PO"},
            {
                "coordinator": 409,  # visible, but its own authority is not named
                "other_coordinator": 404,
                "member": 201,
                "acceded_member": 201,
                "stranger_member": 404,
                "provider": 403,
                "other_provider": 404,
                "admin": 403,
            },
        ),
        (
            "GET",
            f"/accessions/{w.accession.id}",
            None,
            {r: 404 for r in ROLES} | {"coordinator": 200, "acceded_member": 200, "admin": 200},
        ),
        (
            "POST",
            f"/accessions/{w.pending.id}/approve",
            None,
            {r: 404 for r in ROLES} | {"coordinator": 200, "admin": 403},
        ),
        (
            "POST",
            f"/accessions/{w.pending.id}/reject",
            {"reason": "No."},
            {r: 404 for r in ROLES} | {"coordinator": 200, "admin": 403},
        ),
        (
            "POST",
            f"/accessions/{w.accession.id}/approve",
            None,
            {r: 404 for r in ROLES} | {"coordinator": 409, "acceded_member": 403, "admin": 403},
        ),
        (
            "POST",
            f"/accessions/{w.accession.id}/withdraw",
            None,
            {r: 404 for r in ROLES} | {"coordinator": 403, "acceded_member": 200, "admin": 403},
        ),
    ]


ROUTE_COUNT = 28


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role(api, world, index, role):
    routes = _routes(world)
    assert len(routes) == ROUTE_COUNT
    method, path, body, expected = routes[index]
    if body is not None and path == "/frameworks":
        body = dict(body, reference=f"REF-{role}")
    response = api(role, method, path, json=body)
    assert response.status_code == expected[role], (method, path, role, response.json)


def test_unauthenticated_requests_answer_401(client, world):
    assert client.get(f"/api/v1/frameworks/{world.framework.id}").status_code == 401
    assert client.post("/api/v1/accessions", json={}).status_code == 401


def test_framework_lists_are_scoped_per_role(api, world):
    def ids(who):
        return sorted(f["id"] for f in api(who, "GET", "/frameworks").json)

    assert ids("coordinator") == sorted([world.framework.id, world.draft.id])
    assert ids("member") == [world.framework.id]  # drafts stay with the coordinator
    assert ids("stranger_member") == [world.other_framework.id]
    assert ids("provider") == [world.framework.id]
    assert len(ids("admin")) >= 3


def test_organisations_reach_follows_frameworks(api, world):
    def ids(who):
        return {o["id"] for o in api(who, "GET", "/organisations?per_page=500").json}

    coordinator_sees = ids("coordinator")
    assert {world.lead.id, world.acceded.id, world.provider.id} <= coordinator_sees
    # Named without an approved accession: only the public identity, on the framework's pages.
    assert world.named.id not in coordinator_sees
    member_sees = ids("member")
    assert member_sees == {world.named.id, world.lead.id}
    assert ids("other_provider") == {world.other_framework.lots[0].awards[0].provider_id}


# --- bad input: 400, never 500, nothing written ------------------------------------------------


def _writes(db) -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(Framework.id))),
        db.session.scalar(select(func.count(Accession.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {},
        dict(FRAMEWORK, unknown="x"),
        dict(FRAMEWORK, start_date="2026-13-01"),
        dict(FRAMEWORK, start_date="01/01/2026"),
        dict(FRAMEWORK, start_date="9999-12-31", end_date="9999-12-31"),
        dict(FRAMEWORK, max_value="abc"),
        dict(FRAMEWORK, max_value="NaN"),
        dict(FRAMEWORK, max_value="Infinity"),
        dict(FRAMEWORK, max_value="1" + "0" * 40),
        dict(FRAMEWORK, max_value="-5"),
        dict(FRAMEWORK, max_value="100.001"),
        dict(FRAMEWORK, estimated_value="300000.01"),
        dict(FRAMEWORK, social_target_percent="101"),
        dict(FRAMEWORK, reference=""),
        dict(FRAMEWORK, reference="x" * 51),
        dict(FRAMEWORK, title=None),
        dict(FRAMEWORK, reserved="maybe"),
        dict(FRAMEWORK, end_date="2025-12-31"),
    ],
)
def test_bad_framework_input_answers_400(api, db, body):
    before = _writes(db)
    if body is None:
        response = api(
            "coordinator", "POST", "/frameworks", data="{not json", content_type="application/json"
        )
    else:
        response = api("coordinator", "POST", "/frameworks", json=body)
    assert response.status_code == 400, response.json
    assert response.json["error"]["message"]
    assert _writes(db) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/frameworks/{did}/lots", {"number": "one", "title": "L", "service_type": "s"}),
        ("/frameworks/{did}/lots", {"number": 0, "title": "L", "service_type": "s"}),
        (
            "/frameworks/{did}/lots",
            {"number": 2, "title": "L", "service_type": "s", "max_tasks_per_round": 10**12},
        ),
        (
            "/frameworks/{did}/lots",
            {"number": 2, "title": "L", "service_type": "s", "max_value": "999999999.00"},
        ),
        ("/lots/{draft_lot}/task-types", {"code": "x", "name": "X", "checklist": [{"key": "a"}]}),
        ("/lots/{draft_lot}/task-types", {"code": "x", "name": "X", "checklist": "a|b"}),
        (
            "/lots/{draft_lot}/task-types",
            {"code": "x", "name": "X", "follow_up": {"lot_id": 10**12, "task_type": "y"}},
        ),
        (
            "/lots/{draft_lot}/task-types",
            {"code": "x", "name": "X", "follow_up": {"lot_id": 1, "task_type": "nope"}},
        ),
        (
            "/lots/{draft_lot}/task-types",
            {
                "code": "x",
                "name": "X",
                "checklist": [{"key": "a", "label": "A", "kind": "reading", "min": "x"}],
            },
        ),
        ("/lots/{draft_lot}/prices", {"task_type": "nope", "unit_price": "1.00"}),
        ("/lots/{draft_lot}/prices", {"task_type": 5, "unit_price": "1.00"}),
        ("/lots/{draft_lot}/awards", {"provider_id": 10**12, "rank": 1, "weekly_capacity": 1}),
        ("/lots/{draft_lot}/awards", {"provider_id": 999999, "rank": 1, "weekly_capacity": 1}),
        (
            "/lots/{draft_lot}/awards",
            {"provider_id": "{provider}", "rank": 1, "weekly_capacity": 0},
        ),
        ("/frameworks/{did}/beneficiaries", {"organisation_ids": []}),
        ("/frameworks/{did}/beneficiaries", {"organisation_ids": ["a"]}),
        ("/frameworks/{did}/beneficiaries", {"organisation_ids": [999999]}),
        ("/frameworks/{did}/beneficiaries", {"organisation_ids": ["{provider}"]}),
        ("/frameworks/{fid}/terminate", {"reason": ""}),
        ("/accessions", {"framework_id": "{fid}", "lot_ids": [], "order_reference": "x"}),
        ("/accessions", {"framework_id": "{fid}", "lot_ids": [10**12], "order_reference": "x"}),
        ("/accessions", {"framework_id": "{fid}", "lot_ids": ["{lot}"], "order_reference": ""}),
    ],
)
def test_bad_input_answers_400_and_writes_nothing(api, world, db, path, body):
    ids = {
        "fid": world.framework.id,
        "did": world.draft.id,
        "draft_lot": world.draft.lots[0].id,
        "provider": world.provider.id,
        "lot": world.framework.lots[1].id,
    }

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return ids[value[1:-1]]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    who = "member" if path == "/accessions" else "coordinator"
    before = _writes(db)
    response = api(who, "POST", path.format(**ids), json=fill(body))
    assert response.status_code == 400, response.json
    assert _writes(db) == before


@pytest.mark.parametrize(
    "path",
    [
        "/frameworks/999999",
        "/frameworks/99999999999999999999",
        "/lots/99999999999999999999",
        "/accessions/99999999999999999999",
        "/task-types/0",
    ],
)
def test_absent_ids_answer_404(api, path):
    assert api("admin", "GET", path).status_code == 404


def test_list_pagination_is_checked(api):
    assert api("admin", "GET", "/frameworks?per_page=501").status_code == 400
    assert api("admin", "GET", "/frameworks?page=zero").status_code == 400
    response = api("admin", "GET", "/frameworks?per_page=1")
    assert len(response.json) == 1
    assert int(response.headers["X-Total-Count"]) >= 3


# --- e-mail ------------------------------------------------------------------------------------


def test_accession_request_and_decision_are_emailed(api, world, smtp_server):
    lot2 = world.framework.lots[1]
    response = api(
        "member",
        "POST",
        "/accessions",
        json={"framework_id": world.framework.id, "lot_ids": [lot2.id], "order_reference": "PO-77"},
    )
    assert response.status_code == 201
    assert len(smtp_server.messages) == 1
    request_mail = smtp_server.messages[0]
    assert request_mail["To"].startswith("coordinator")
    assert world.framework.reference in request_mail["Subject"]
    assert "PO-77" in request_mail.get_content()
    rejected = api(
        "coordinator",
        "POST",
        f"/accessions/{response.json['id']}/reject",
        json={"reason": "Lot 2 is full this year."},
    )
    assert rejected.status_code == 200
    assert len(smtp_server.messages) == 2
    decision = smtp_server.messages[1]
    assert decision["To"].startswith("member")
    assert "Lot 2 is full this year." in decision.get_content()
    approved = api("coordinator", "POST", f"/accessions/{world.pending.id}/approve")
    assert approved.status_code == 200
    assert smtp_server.messages[2]["To"].startswith("member")


def test_no_mail_when_the_request_fails(api, world, smtp_server):
    response = api(
        "acceded_member",
        "POST",
        "/accessions",
        json={
            "framework_id": world.framework.id,
            "lot_ids": [world.framework.lots[0].id],
            "order_reference": "x",
        },
    )
    assert response.status_code == 409
    assert smtp_server.messages == []


def test_framework_values_are_strings_with_cents(api, world):
    body = api("coordinator", "GET", f"/frameworks/{world.framework.id}").json
    assert body["max_value"] == "500000.00"
    assert body["estimated_value"] == "400000.00"
    assert body["social_target_percent"] == "15.00"
    assert body["committed_value"] == body["completed_value"] == body["accepted_value"] == "0.00"
    assert Decimal(body["max_value"]) == world.framework.max_value


def test_naming_a_non_authority_answers_as_an_unknown_id_without_its_name(api, world):
    """Messages never name what the caller may not see: a provider's id answers as a missing id."""
    path = f"/frameworks/{world.draft.id}/beneficiaries"
    provider = api("coordinator", "POST", path, json={"organisation_ids": [world.provider.id]})
    absent = api("coordinator", "POST", path, json={"organisation_ids": [2**31 - 1]})
    assert provider.status_code == absent.status_code == 400
    assert world.provider.name not in provider.get_data(as_text=True)
    assert provider.json["error"]["message"] == absent.json["error"]["message"]
    fields = provider.json["error"]["fields"]
    assert fields["organisation_ids"] == [f"Onbekend: [{world.provider.id}]."]


# §7.5: crew-day settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("crew_day_minutes", 0),
        ("crew_day_minutes", 1441),
        ("travel_kmh", 0),
        ("travel_kmh", -5),
    ],
)
def test_lot_crew_day_settings_out_of_range_answer_400_with_the_field(api, world, field, value):
    lot = world.framework.lots[0]
    response = api("coordinator", "PATCH", f"/lots/{lot.id}", json={field: value})
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_coordinator_sets_a_lots_crew_day_and_a_task_types_service_minutes(api, world):
    lot = world.framework.lots[0]
    response = api(
        "coordinator", "PATCH", f"/lots/{lot.id}", json={"crew_day_minutes": 420, "travel_kmh": 25}
    )
    assert response.status_code == 200
    assert response.get_json()["crew_day_minutes"] == 420
    assert response.get_json()["travel_kmh"] == 25
    task_type = lot.task_types[0]
    changed = api(
        "coordinator", "PATCH", f"/task-types/{task_type.id}", json={"service_minutes": 20}
    )
    assert changed.status_code == 200 and changed.get_json()["service_minutes"] == 20
    for minutes in (0, 1441):
        refused = api(
            "coordinator",
            "PATCH",
            f"/task-types/{task_type.id}",
            json={"service_minutes": minutes},
        )
        assert refused.status_code == 400
        assert "service_minutes" in refused.get_json()["error"]["fields"]
