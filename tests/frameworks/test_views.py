"""Framework pages: the coordinator's and member's walk through the forms, an authorisation test
for every page (each role × own / other tenant), bad form input (400, nothing written), money per
locale, and pages free of inline styles (CSP)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.frameworks.models import Accession, Framework, Lot, PriceLine, TaskType
from tests.conftest import csrf_token, use_english
from tests.factories import (
    make_accession,
    make_active_framework,
    make_framework,
    make_lot,
    make_org,
    make_user,
    name_beneficiaries,
)


@dataclass
class World:
    lead: object
    framework: object
    draft: object
    named: object
    pending: object
    approved: object
    provider: object
    users: dict


@pytest.fixture
def world(db) -> World:
    lead = make_org("authority", name="Stad Roeselare")
    other_lead = make_org("authority", name="Stad Kortrijk")
    named, acceded, third, stranger = (make_org("authority") for _ in range(4))
    provider = make_org("provider", social_economy_status="lde", name="De Kraanwerkers")
    other_provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(lead, providers=[provider])
    make_lot(framework, number=2)
    name_beneficiaries(framework, named, acceded, third)
    approved = make_accession(framework, acceded, [framework.lots[0]])
    pending = make_accession(framework, third, [framework.lots[0]], status="requested")
    draft = make_framework(lead)
    make_lot(draft)
    make_active_framework(other_lead, [stranger], providers=[other_provider])
    users = {
        "coordinator": make_user("coordinator", lead),
        "other_coordinator": make_user("coordinator", other_lead),
        "member": make_user("member", named),
        "acceded_member": make_user("member", acceded),
        "stranger_member": make_user("member", stranger),
        "provider": make_user("provider", provider),
        "other_provider": make_user("provider", other_provider),
        "admin": make_user("admin"),
    }
    db.session.commit()
    return World(lead, framework, draft, named, pending, approved, provider, users)


def form_post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def test_coordinator_builds_and_activates_a_framework_then_member_accedes(
    client, login_as, world, db
):
    login_as(world.users["coordinator"])
    assert client.get("/frameworks/new").status_code == 200
    response = form_post(
        client,
        "/frameworks/new",
        {
            "reference": "RSL-2026-SG-01",
            "title": "Signalisatie",
            "reserved": "y",
            "start_date": "2026-01-01",
            "end_date": "2029-12-31",
            "estimated_value": "80.000,00",
            "max_value": "100.000",
            "social_target_percent": "25",
            "procedure": "negotiated_with_publication",
            "cpv_codes": "45233290-8",
            "notice_references": "BDA 2025-512345",
            "award_decision_date": "2025-11-14",
            "standstill_end": "2025-12-01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    framework = db.session.scalar(select(Framework).where(Framework.reference == "RSL-2026-SG-01"))
    assert framework.procedure == "negotiated_with_publication"
    assert framework.max_value == 100000
    assert framework.estimated_value == 80000
    # A new framework goes on to its first lot's form.
    assert response.headers["Location"].endswith(f"/frameworks/{framework.id}/lots/new")
    response = form_post(
        client,
        f"/frameworks/{framework.id}/lots/new",
        {
            "number": "1",
            "title": "Borden",
            "service_type": "signage",
            "max_tasks_per_round": "25",
            "planning_horizon_days": "28",
            "urgent_days": "7",
            "crew_day_minutes": "420",
            "travel_kmh": "30",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    lot = db.session.scalar(select(Lot).where(Lot.framework_id == framework.id))
    assert lot.crew_day_minutes == 420
    response = form_post(
        client,
        f"/lots/{lot.id}/task-types/new",
        {
            "code": "plate_replacement",
            "name": "Plaat vervangen",
            "items-0-check": "Plate fixed",
            "items-0-kind": "pass_fail",
            "items-1-check": "Height (m)",
            "items-1-kind": "reading",
            "items-1-min": "1,5",
            "items-1-max": "2,5",
            "items-2-check": "",
            "items-2-kind": "pass_fail",
            "follow_up": "",
            "service_minutes": "10",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    task_type = db.session.scalar(select(TaskType).where(TaskType.lot_id == lot.id))
    assert task_type.service_minutes == 10
    assert task_type.checklist[1] == {
        "key": "height_m",  # made from the label
        "label": "Height (m)",
        "kind": "reading",
        "min": "1.5",
        "max": "2.5",
    }
    response = form_post(
        client,
        f"/lots/{lot.id}/prices/new",
        {
            "task_type": "plate_replacement",
            "unit": "piece",
            "unit_price": "42,00",
            "vat_rate": "21",
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalar(select(PriceLine.unit_price).where(PriceLine.lot_id == lot.id)) == 42
    response = form_post(
        client,
        f"/lots/{lot.id}/awards/new",
        {"provider_id": str(world.provider.id), "rank": "1", "weekly_capacity": "100"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = form_post(
        client,
        f"/frameworks/{framework.id}/beneficiaries",
        {"organisation_ids": [str(world.named.id), str(world.lead.id)]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/frameworks/{framework.id}/activate").get_data(as_text=True)
    assert "Activeren" in page  # Dutch by default
    with frozen_today(date(2026, 1, 1)):
        response = form_post(client, f"/frameworks/{framework.id}/activate", {})
    assert response.status_code == 302
    db.session.refresh(framework)
    assert framework.status == "active"
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as(world.users["member"])
    page = client.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert f"/frameworks/{framework.id}/accede" in page
    response = form_post(
        client,
        f"/frameworks/{framework.id}/accede",
        {"lot_ids": [str(lot.id)], "order_reference": "BK 2026/014"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    accession = db.session.scalar(
        select(Accession).where(
            Accession.framework_id == framework.id, Accession.member_id == world.named.id
        )
    )
    assert accession.status == "requested"
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as(world.users["coordinator"])
    assert client.get(f"/accessions/{accession.id}/approve").status_code == 200
    response = form_post(client, f"/accessions/{accession.id}/approve", {})
    assert response.status_code == 302
    db.session.refresh(accession)
    assert accession.status == "approved"


def test_framework_page_shows_lots_prices_awards_members_and_spend(client, login_as, world):
    login_as(world.users["coordinator"])
    page = client.get(f"/frameworks/{world.framework.id}").get_data(as_text=True)
    assert "<meter" in page
    assert 'id="committed-meter"' in page
    assert "De Kraanwerkers" in page
    assert "hydrant_inspection" in page
    assert "€\xa018,50" in page  # Dutch by default
    assert "€\xa0500.000,00" in page
    assert world.named.name in page
    assert " style=" not in page


def test_money_formats_per_locale_on_the_page(client, login_as, world):
    login_as(world.users["coordinator"])
    use_english(client)
    page = client.get(f"/frameworks/{world.framework.id}").get_data(as_text=True)
    assert "€500,000.00" in page
    assert "€18.50" in page


def test_member_rejected_with_reason_and_withdraws(client, login_as, world, db):
    login_as(world.users["coordinator"])
    assert (
        form_post(client, f"/accessions/{world.pending.id}/reject", {"reason": ""}).status_code
        == 400
    )
    response = form_post(
        client, f"/accessions/{world.pending.id}/reject", {"reason": "Outside the region."}
    )
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as(world.users["acceded_member"])
    assert client.get(f"/accessions/{world.approved.id}/withdraw").status_code == 200
    assert form_post(client, f"/accessions/{world.approved.id}/withdraw", {}).status_code == 302
    db.session.refresh(world.approved)
    assert world.approved.status == "withdrawn"


def test_terminate_asks_a_reason_then_confirms(client, login_as, world, db):
    login_as(world.users["coordinator"])
    page = client.get(f"/frameworks/{world.framework.id}/terminate")
    assert page.status_code == 200
    assert form_post(client, f"/frameworks/{world.framework.id}/terminate", {}).status_code == 400
    response = form_post(
        client, f"/frameworks/{world.framework.id}/terminate", {"reason": "Contract breach."}
    )
    assert response.status_code == 302
    db.session.refresh(world.framework)
    assert world.framework.status == "terminated"


def test_lists_are_paginated_and_scoped(client, login_as, world):
    for n in range(30):
        make_framework(world.lead, reference=f"P-{n:03d}")
    login_as(world.users["coordinator"])
    page = client.get("/frameworks").get_data(as_text=True)
    assert 'rel="next"' in page
    page2 = client.get("/frameworks?page=2").get_data(as_text=True)
    assert "P-0" in page2
    assert client.get("/frameworks?per_page=9999").status_code == 400


def test_other_lead_coordinator_gets_404_on_pages(client, login_as, world):
    login_as(world.users["other_coordinator"])
    for path in (
        f"/frameworks/{world.framework.id}",
        f"/frameworks/{world.framework.id}/edit",
        f"/lots/{world.framework.lots[0].id}/edit",
        f"/accessions/{world.pending.id}",
    ):
        assert client.get(path).status_code == 404, path
    assert world.framework.reference not in client.get("/frameworks").get_data(as_text=True)


# --- authorisation: every page, each role × own / other tenant --------------------------------

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


def _pages(w: World):
    fid, did = w.framework.id, w.draft.id
    lot = w.framework.lots[0]
    task_type = lot.task_types[0]
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
    lead_only = dict(read, member=403, acceded_member=403, provider=403, admin=403)
    draft_only = {r: 404 for r in ROLES} | {"coordinator": 200, "admin": 403}
    everyone = dict.fromkeys(ROLES, 200)
    return [
        ("/frameworks", everyone),
        (f"/frameworks/{fid}", read),
        (
            "/frameworks/new",
            {r: 403 for r in ROLES} | {"coordinator": 200, "other_coordinator": 200},
        ),
        (f"/frameworks/{fid}/edit", lead_only),
        (f"/frameworks/{fid}/terminate", lead_only),
        (f"/frameworks/{did}/activate", draft_only),
        (f"/frameworks/{did}/beneficiaries", draft_only),
        (f"/frameworks/{did}/lots/new", draft_only),
        (f"/lots/{lot.id}/edit", lead_only),
        (f"/lots/{lot.id}/task-types/new", lead_only),
        (f"/task-types/{task_type.id}/edit", lead_only),
        (f"/lots/{lot.id}/prices/new", lead_only),
        (f"/lots/{w.draft.lots[0].id}/awards/new", draft_only),
        (
            f"/frameworks/{fid}/accede",
            dict(read, provider=403, admin=403, other_provider=403, stranger_member=404),
        ),
        (
            "/accessions",
            dict.fromkeys(ROLES, 200) | {"provider": 403, "other_provider": 403},
        ),
        (
            f"/accessions/{w.pending.id}",
            {r: 404 for r in ROLES} | {"coordinator": 200, "admin": 200},
        ),
        (
            f"/accessions/{w.pending.id}/approve",
            {r: 404 for r in ROLES} | {"coordinator": 200, "admin": 403},
        ),
        (
            f"/accessions/{w.pending.id}/reject",
            {r: 404 for r in ROLES} | {"coordinator": 200, "admin": 403},
        ),
        (
            f"/accessions/{w.approved.id}/withdraw",
            {r: 404 for r in ROLES} | {"coordinator": 403, "acceded_member": 200, "admin": 403},
        ),
    ]


PAGE_COUNT = 19


@pytest.mark.parametrize("index", range(PAGE_COUNT))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role(client, login_as, world, role, index):
    pages = _pages(world)
    assert len(pages) == PAGE_COUNT
    path, expected = pages[index]
    login_as(world.users[role])
    response = client.get(path)
    assert response.status_code == expected[role], (path, role)
    if response.status_code == 200:
        assert " style=" not in response.get_data(as_text=True)


def test_pages_need_sign_in(client, world):
    response = client.get(f"/frameworks/{world.framework.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_member_cannot_post_a_coordinator_action(client, login_as, world, db):
    login_as(world.users["acceded_member"])
    response = form_post(client, f"/frameworks/{world.framework.id}/terminate", {"reason": "x"})
    assert response.status_code == 403
    db.session.refresh(world.framework)
    assert world.framework.status == "active"


# --- bad input: 400, nothing written ------------------------------------------------------------


def _counts(db):
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Framework, Lot, TaskType, PriceLine, Accession, AuditEvent)
    )


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/frameworks/new",
            {
                "reference": "X",
                "title": "T",
                "start_date": "2026-01-01",
                "end_date": "2031-01-01",
                "estimated_value": "1",
                "max_value": "2",
            },
        ),
        (
            "/frameworks/new",
            {
                "reference": "X",
                "title": "T",
                "start_date": "not a date",
                "end_date": "2027-01-01",
                "estimated_value": "1",
                "max_value": "2",
            },
        ),
        (
            "/frameworks/new",
            {
                "reference": "X",
                "title": "T",
                "start_date": "2026-01-01",
                "end_date": "2027-01-01",
                "estimated_value": "3",
                "max_value": "2",
            },
        ),
        (
            "/frameworks/new",
            {
                "reference": "X",
                "title": "T",
                "start_date": "2026-01-01",
                "end_date": "2027-01-01",
                "estimated_value": "1",
                "max_value": "lots",
            },
        ),
        ("/frameworks/{did}/lots/new", {"number": "x", "title": "T", "service_type": "s"}),
        (
            "/frameworks/{did}/lots/new",
            {
                "number": "1",
                "title": "T",
                "service_type": "s",
                "max_tasks_per_round": "25",
                "planning_horizon_days": "28",
                "urgent_days": "7",
            },
        ),
        (
            "/lots/{draft_lot}/task-types/new",
            {"code": "ok", "name": "N", "items-0-check": "", "items-0-min": "1"},
        ),
        (
            "/lots/{draft_lot}/task-types/new",
            {
                "code": "ok",
                "name": "N",
                "items-0-check": "A",
                "items-0-kind": "reading",
                "items-0-min": "x",
                "items-0-max": "1",
            },
        ),
        ("/lots/{draft_lot}/task-types/new", {"code": "Not OK!", "name": "N"}),
        (
            "/lots/{lot}/prices/new",
            {
                "task_type": "hydrant_inspection",
                "unit": "piece",
                "unit_price": "abc",
                "valid_from": "2099-01-01",
            },
        ),
        (
            "/lots/{lot}/prices/new",
            {
                "task_type": "hydrant_inspection",
                "unit": "piece",
                "unit_price": "1",
                "valid_from": "2000-01-01",
            },
        ),
        (
            "/lots/{draft_lot}/awards/new",
            {"provider_id": "abc", "rank": "1", "weekly_capacity": "1"},
        ),
        (
            "/lots/{draft_lot}/awards/new",
            {"provider_id": "{authority}", "rank": "1", "weekly_capacity": "1"},
        ),
        ("/frameworks/{did}/beneficiaries", {"organisation_ids": ["abc"]}),
        ("/frameworks/{did}/beneficiaries", {}),
    ],
)
def test_bad_form_input_answers_400_and_writes_nothing(client, login_as, world, db, path, data):
    ids = {
        "did": world.draft.id,
        "draft_lot": world.draft.lots[0].id,
        "lot": world.framework.lots[0].id,
        "authority": world.named.id,
    }
    data = {
        k: (str(ids[v[1:-1]]) if isinstance(v, str) and v.startswith("{") else v)
        for k, v in data.items()
    }
    login_as(world.users["coordinator"])
    before = _counts(db)
    response = form_post(client, path.format(**ids), data)
    assert response.status_code in (400, 409), response.status_code
    assert response.status_code == 400 or "prices" in path
    body = response.get_data(as_text=True)
    assert "error" in body.lower() or "fout" in body.lower()
    assert _counts(db) == before


def test_form_without_csrf_token_is_refused(client, login_as, world, db):
    login_as(world.users["coordinator"])
    before = _counts(db)
    response = client.post(f"/frameworks/{world.framework.id}/terminate", data={"reason": "x"})
    assert response.status_code == 400
    assert _counts(db) == before


def test_accession_form_conflict_shows_the_reason(client, login_as, world, db):
    login_as(world.users["acceded_member"])
    before = _counts(db)
    response = form_post(
        client,
        f"/frameworks/{world.framework.id}/accede",
        {"lot_ids": [str(world.framework.lots[0].id)], "order_reference": "PO"},
    )
    assert response.status_code == 409
    assert "already covered" in response.get_data(as_text=True) or re.search(
        "al .*gedekt", response.get_data(as_text=True)
    )
    assert _counts(db) == before


def test_home_shows_framework_counts(client, login_as, world):
    login_as(world.users["coordinator"])
    page = client.get("/").get_data(as_text=True)
    assert "/accessions?status=requested" in page
    assert "/frameworks" in page


def test_amounts_are_read_in_the_page_language():
    from central.frameworks.forms import amount_input

    assert amount_input("100.000", "nl") == "100000"
    assert amount_input("100,000", "en") == "100000"
    assert amount_input("1.234,50", "nl") == amount_input("1,234.50", "en") == "1234.50"
    assert amount_input("18,50", "nl") == amount_input("18.50", "nl") == "18.50"
    assert amount_input("€ 42", "nl") == "42"
    assert amount_input("", "nl") is None


def test_request_accession_is_offered_only_for_uncovered_lots(client, login_as, world):
    login_as(world.users["acceded_member"])
    page = client.get(f"/frameworks/{world.framework.id}").get_data(as_text=True)
    assert f"/frameworks/{world.framework.id}/accede" in page  # lot 2 is still free
    make_accession(world.framework, world.approved.member, [world.framework.lots[1]])
    page = client.get(f"/frameworks/{world.framework.id}").get_data(as_text=True)
    assert f"/frameworks/{world.framework.id}/accede" not in page


# --- crew-day settings on the forms (§7.5) -----------------------------------------------------


def _lot_form_data(lot, **changes):
    data = {
        "number": str(lot.number),
        "title": lot.title,
        "service_type": lot.service_type,
        "max_tasks_per_round": str(lot.max_tasks_per_round),
        "planning_horizon_days": str(lot.planning_horizon_days),
        "urgent_days": str(lot.urgent_days),
        "crew_day_minutes": str(lot.crew_day_minutes),
        "travel_kmh": str(lot.travel_kmh),
    }
    if lot.max_value is not None:
        data["max_value"] = str(lot.max_value)
    data.update(changes)
    return data


def _task_type_form_data(**changes):
    data = {"code": "valve_check", "name": "Afsluiter nazien", "checklist": "", "follow_up": ""}
    data.update(changes)
    return data


def test_lot_form_sets_the_crew_day_and_travel_speed(client, login_as, world, db):
    login_as(world.users["coordinator"])
    for lot in (world.draft.lots[0], world.framework.lots[0]):  # a running lot too
        page = client.get(f"/lots/{lot.id}/edit").get_data(as_text=True)
        assert 'name="crew_day_minutes"' in page and 'name="travel_kmh"' in page
        assert "Werktijd van een ploegdag (minuten)" in page
        response = form_post(
            client,
            f"/lots/{lot.id}/edit",
            _lot_form_data(lot, crew_day_minutes="480", travel_kmh="25"),
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        db.session.expire_all()
        assert (lot.crew_day_minutes, lot.travel_kmh) == (480, 25)
    response = form_post(
        client,
        f"/frameworks/{world.draft.id}/lots/new",
        {**_lot_form_data(world.draft.lots[0], number="7"), "crew_day_minutes": "300"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    new = db.session.scalar(select(Lot).where(Lot.framework_id == world.draft.id, Lot.number == 7))
    assert (new.crew_day_minutes, new.travel_kmh) == (300, 25)
    # A request that leaves the settings out keeps them (as the API does).
    lot = world.draft.lots[0]
    data = _lot_form_data(lot, title="Andere titel")
    del data["crew_day_minutes"], data["travel_kmh"]
    assert form_post(client, f"/lots/{lot.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert (lot.title, lot.crew_day_minutes, lot.travel_kmh) == ("Andere titel", 480, 25)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"crew_day_minutes": "0"}, {"crew_day_minutes": "Tussen 1 en 1440 minuten."}),
        ({"crew_day_minutes": "1441"}, {"crew_day_minutes": "Tussen 1 en 1440 minuten."}),
        ({"crew_day_minutes": "acht uur"}, {"crew_day_minutes": ""}),
        ({"crew_day_minutes": ""}, {"crew_day_minutes": "Vul een getal in"}),
        ({"travel_kmh": "0"}, {"travel_kmh": "Tussen 1 en 200 km/u."}),
        ({"travel_kmh": "201"}, {"travel_kmh": "Tussen 1 en 200 km/u."}),
        ({"travel_kmh": "-5"}, {"travel_kmh": "Tussen 1 en 200 km/u."}),
        (
            {"crew_day_minutes": "2000", "travel_kmh": "0", "urgent_days": "-1"},
            {
                "crew_day_minutes": "Tussen 1 en 1440",
                "travel_kmh": "Tussen 1 en 200",
                "urgent_days": "",
            },
        ),
    ],
)
def test_lot_form_refuses_bad_crew_day_settings_with_every_error_at_once(
    client, login_as, world, db, changes, errors
):
    lot = world.framework.lots[0]
    login_as(world.users["coordinator"])
    before = _counts(db), lot.crew_day_minutes, lot.travel_kmh
    response = form_post(client, f"/lots/{lot.id}/edit", _lot_form_data(lot, **changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for name, message in errors.items():
        assert f'id="{name}-error"' in page, name
        assert message in page
    assert page.count('class="error-message"') == len(errors)
    db.session.expire_all()
    assert (_counts(db), lot.crew_day_minutes, lot.travel_kmh) == before


def test_lot_form_errors_in_english(client, login_as, world):
    lot = world.framework.lots[0]
    login_as(world.users["coordinator"])
    use_english(client)
    page = client.get(f"/lots/{lot.id}/edit").get_data(as_text=True)
    assert "Working time of a crew-day (minutes)" in page
    assert "Average travel speed (km/h)" in page
    response = form_post(
        client, f"/lots/{lot.id}/edit", _lot_form_data(lot, crew_day_minutes="0", travel_kmh="500")
    )
    page = response.get_data(as_text=True)
    assert "Between 1 and 1440 minutes." in page
    assert "Between 1 and 200 km/h." in page


def test_task_type_form_sets_the_time_on_site(client, login_as, world, db):
    lot = world.draft.lots[0]
    login_as(world.users["coordinator"])
    page = client.get(f"/lots/{lot.id}/task-types/new").get_data(as_text=True)
    assert "Tijd ter plaatse per taak (minuten)" in page
    assert 'name="service_minutes"' in page and 'value="15"' in page
    response = form_post(
        client, f"/lots/{lot.id}/task-types/new", _task_type_form_data(service_minutes="20")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    task_type = db.session.scalar(
        select(TaskType).where(TaskType.lot_id == lot.id, TaskType.code == "valve_check")
    )
    assert task_type.service_minutes == 20
    page = client.get(f"/task-types/{task_type.id}/edit").get_data(as_text=True)
    assert 'value="20"' in page
    response = form_post(
        client, f"/task-types/{task_type.id}/edit", _task_type_form_data(service_minutes="45")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert task_type.service_minutes == 45


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"service_minutes": "0"}, {"service_minutes": "Tussen 1 en 1440 minuten."}),
        ({"service_minutes": "1441"}, {"service_minutes": "Tussen 1 en 1440 minuten."}),
        ({"service_minutes": "kwartier"}, {"service_minutes": ""}),
        ({"service_minutes": ""}, {"service_minutes": "Vul een getal in"}),
        (
            {"service_minutes": "-1", "name": ""},
            {"service_minutes": "Tussen 1 en 1440 minuten.", "name": ""},
        ),
    ],
)
def test_task_type_form_refuses_bad_time_on_site(client, login_as, world, db, changes, errors):
    lot = world.framework.lots[0]
    task_type = lot.task_types[0]
    login_as(world.users["coordinator"])
    before = _counts(db), task_type.service_minutes
    for path in (f"/lots/{lot.id}/task-types/new", f"/task-types/{task_type.id}/edit"):
        response = form_post(client, path, _task_type_form_data(**changes))
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        for name, message in errors.items():
            assert f'id="{name}-error"' in page, (path, name)
            assert message in page
        assert page.count('class="error-message"') == len(errors)
        db.session.expire_all()
        assert (_counts(db), task_type.service_minutes) == before


def test_a_task_type_is_set_up_in_rows_with_its_code_made_from_its_name(
    client, login_as, world, db
):
    """§7.6: no typed format. The code left empty is made from the name; rows become items with
    keys made from their labels; empty rows are left out."""
    login_as(world.users["coordinator"])
    lot = world.draft.lots[0]
    page = client.get(f"/lots/{lot.id}/task-types/new").get_data(as_text=True)
    assert 'name="items-0-check"' in page and 'name="items-2-check"' in page
    assert "key|label" not in page
    response = form_post(
        client,
        f"/lots/{lot.id}/task-types/new",
        {
            "code": "",
            "name": "Haag snoeien (zijkant)",
            "items-0-check": "Snoeiafval opgeruimd",
            "items-0-kind": "pass_fail",
            "items-0-critical": "y",
            "items-1-check": "Hoogte na snoei (m)",
            "items-1-kind": "reading",
            "items-1-min": "1,2",
            "items-1-max": "1,8",
            "items-2-check": "",
            "items-2-kind": "pass_fail",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    task_type = db.session.scalar(
        select(TaskType).where(TaskType.lot_id == lot.id, TaskType.name == "Haag snoeien (zijkant)")
    )
    assert task_type.code == "haag_snoeien_zijkant"
    assert task_type.checklist == [
        {
            "key": "snoeiafval_opgeruimd",
            "label": "Snoeiafval opgeruimd",
            "kind": "pass_fail",
            "min": None,
            "max": None,
            "critical": True,
        },
        {
            "key": "hoogte_na_snoei_m",
            "label": "Hoogte na snoei (m)",
            "kind": "reading",
            "min": "1.2",
            "max": "1.8",
        },
    ]
    # Edited: the rows show the items (bounds in Dutch), keys stay, a new row is added.
    page = client.get(f"/task-types/{task_type.id}/edit").get_data(as_text=True)
    assert 'value="1,2"' in page and 'value="snoeiafval_opgeruimd"' in page
    response = form_post(
        client,
        f"/task-types/{task_type.id}/edit",
        {
            "code": task_type.code,
            "name": "Haag snoeien (zijkant)",
            "items-0-key": "snoeiafval_opgeruimd",
            "items-0-check": "Snoeiafval weg",
            "items-0-kind": "pass_fail",
            "items-1-key": "hoogte_na_snoei_m",
            "items-1-check": "",
            "items-1-kind": "reading",
            "items-2-check": "Snoeiafval weg",
            "items-2-kind": "pass_fail",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(task_type)
    assert [(i["key"], i["label"]) for i in task_type.checklist] == [
        ("snoeiafval_opgeruimd", "Snoeiafval weg"),
        ("snoeiafval_weg", "Snoeiafval weg"),
    ]


def test_a_task_type_code_is_taken_in_any_case_and_kept_lower_case(client, login_as, world, db):
    login_as(world.users["coordinator"])
    lot = world.draft.lots[0]
    response = form_post(
        client, f"/lots/{lot.id}/task-types/new", {"code": "HYD-Inspect", "name": "Inspectie"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    codes = set(db.session.scalars(select(TaskType.code).where(TaskType.lot_id == lot.id)))
    assert "hyd-inspect" in codes


def test_every_bad_checklist_row_shows_its_error_at_once_and_nothing_is_written(
    client, login_as, world, db
):
    login_as(world.users["coordinator"])
    lot = world.draft.lots[0]
    before = db.session.scalar(select(func.count(TaskType.id)))
    response = form_post(
        client,
        f"/lots/{lot.id}/task-types/new",
        {
            "code": "",
            "name": "",
            "items-0-check": "Druk",
            "items-0-kind": "reading",
            "items-0-min": "tien",
            "items-0-max": "1",
            "items-1-check": "Deksel",
            "items-1-kind": "pass_fail",
            "items-1-min": "1",
            "items-2-check": "Debiet",
            "items-2-kind": "reading",
            "items-2-min": "5",
            "items-2-max": "2",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for error_id in ("name-error", "items-0-min-error", "items-1-min-error", "items-2-max-error"):
        assert f'id="{error_id}"' in page, error_id
    assert "Een getal" in page and "niet lager dan de laagste" in page.lower()
    assert db.session.scalar(select(func.count(TaskType.id))) == before


def test_more_rows_keeps_what_was_typed_and_saves_nothing(client, login_as, world, db):
    login_as(world.users["coordinator"])
    lot = world.draft.lots[0]
    before = db.session.scalar(select(func.count(TaskType.id)))
    response = form_post(
        client,
        f"/lots/{lot.id}/task-types/new",
        {"name": "Nieuw", "items-0-check": "Eerste", "items-0-kind": "pass_fail", "add_rows": "1"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="Eerste"' in page and 'name="items-3-check"' in page
    assert db.session.scalar(select(func.count(TaskType.id))) == before


def test_the_framework_form_shows_every_error_at_once(client, login_as, world, db):
    """§7.6: one submit shows the form's own errors (no title, a date that is not one) and the
    rules' (estimate above the maximum, reference in use) together, each at its field."""
    login_as(world.users["coordinator"])
    before = db.session.scalar(select(func.count(Framework.id)))
    response = form_post(
        client,
        "/frameworks/new",
        {
            "reference": world.framework.reference,
            "title": "",
            "start_date": "2026-01-01",
            "end_date": "geen datum",
            "estimated_value": "9.000,00",
            "max_value": "5.000,00",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for error_id in ("title-error", "end_date-error", "estimated_value-error", "reference-error"):
        assert f'id="{error_id}"' in page, error_id
    assert db.session.scalar(select(func.count(Framework.id))) == before
    # The rules alone (every field readable) also come together.
    response = form_post(
        client,
        "/frameworks/new",
        {
            "reference": world.framework.reference,
            "title": "Nieuw",
            "start_date": "2026-01-01",
            "end_date": "2025-01-01",
            "estimated_value": "9.000,00",
            "max_value": "5.000,00",
        },
    )
    page = response.get_data(as_text=True)
    for error_id in ("end_date-error", "estimated_value-error", "reference-error"):
        assert f'id="{error_id}"' in page, error_id


def test_the_price_form_shows_the_forms_and_the_rules_errors_at_once(client, login_as, world, db):
    login_as(world.users["coordinator"])
    lot = world.framework.lots[0]
    before = db.session.scalar(select(func.count(PriceLine.id)))
    response = form_post(
        client,
        f"/lots/{lot.id}/prices/new",
        {
            "task_type": lot.task_types[0].code,
            "unit": "piece",
            "unit_price": "",
            "vat_rate": "150",
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="unit_price-error"' in page and 'id="vat_rate-error"' in page
    assert db.session.scalar(select(func.count(PriceLine.id))) == before


def test_a_lots_service_type_is_made_from_words_in_any_case(client, login_as, world, db):
    """Issue 15: the lot's service type had to be typed as a snake_case code."""
    login_as(world.users["coordinator"])
    data = _lot_form_data(world.draft.lots[0], number="8", service_type="Groen Onderhoud")
    response = form_post(client, f"/frameworks/{world.draft.id}/lots/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    new = db.session.scalar(select(Lot).where(Lot.framework_id == world.draft.id, Lot.number == 8))
    assert new.service_type == "groen_onderhoud"


def test_setting_up_a_draft_lands_on_each_next_steps_form(client, login_as, world, db):
    """Fewer clicks (§7.6): after each saved step of a new framework the coordinator is on the
    next step's form — lot, task type, price, award, beneficiaries — then on the activation
    page; a change of a running framework goes back to its page."""
    login_as(world.users["coordinator"])
    response = form_post(
        client,
        "/frameworks/new",
        {
            "reference": "RSL-2026-NX-01",
            "title": "Volgende stap",
            "start_date": "2026-01-01",
            "end_date": "2029-12-31",
            "estimated_value": "1000",
            "max_value": "2000",
            "social_target_percent": "0",
            # The procedure on record (SPEC 7.2), which activation needs.
            "procedure": "open",
            "cpv_codes": "50413200-5",
            "notice_references": "e-Procurement RSL-2026-NX-01",
            "award_decision_date": "2025-11-03",
            "standstill_end": "2025-11-20",
        },
    )
    framework = db.session.scalar(select(Framework).where(Framework.reference == "RSL-2026-NX-01"))
    assert response.headers["Location"] == f"/frameworks/{framework.id}/lots/new"
    data = {**_lot_form_data(world.draft.lots[0], number="1"), "service_type": "Bebakening"}
    response = form_post(client, response.headers["Location"], data)
    lot = framework.lots[0]
    assert response.headers["Location"] == f"/lots/{lot.id}/task-types/new"
    response = form_post(client, response.headers["Location"], _task_type_form_data())
    assert response.headers["Location"] == f"/lots/{lot.id}/prices/new"
    response = form_post(
        client,
        response.headers["Location"],
        {
            "task_type": "valve_check",
            "unit_price": "12,50",
            "unit": "piece",
            "vat_rate": "21",
            "valid_from": "2026-01-01",
        },
    )
    assert response.headers["Location"] == f"/lots/{lot.id}/awards/new", response.get_data(
        as_text=True
    )[:3000]
    response = form_post(
        client,
        response.headers["Location"],
        {
            "provider_id": str(world.framework.lots[0].awards[0].provider_id),
            "rank": "1",
            "weekly_capacity": "20",
        },
    )
    assert response.headers["Location"] == f"/frameworks/{framework.id}/beneficiaries"
    named = world.framework.beneficiaries[0].id
    response = form_post(client, response.headers["Location"], {"organisation_ids": str(named)})
    assert response.headers["Location"] == f"/frameworks/{framework.id}/activate"
    # Editing a running framework's lot goes back to the framework's page.
    running = world.framework.lots[0]
    response = form_post(client, f"/lots/{running.id}/edit", _lot_form_data(running))
    assert response.headers["Location"] == f"/frameworks/{world.framework.id}#lot-{running.id}"
