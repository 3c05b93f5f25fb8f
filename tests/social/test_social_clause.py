"""A lot's social clause (SPEC 7.3, Ghent): set by the lead coordinator through the API and the
lot form while the framework is a draft, every error at once, fixed once the framework runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.extensions import db as _db
from tests.conftest import csrf_token, use_english
from tests.factories import make_active_framework, make_framework, make_lot, make_org, make_user
from tests.fieldwork.conftest import api


@pytest.fixture
def ghent(db):
    lead = make_org("authority", name="Stad Gent")
    draft = make_framework(lead)
    lot = make_lot(draft)
    running = make_active_framework(lead)
    return {
        "lead": lead,
        "draft": draft,
        "lot": lot,
        "running_lot": running.lots[0],
        "coordinator": make_user("coordinator", lead),
        "other": make_user("coordinator", make_org("authority")),
    }


def _events() -> int:
    """Audit events of lots (a personal token's own event aside)."""
    return _db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "lots")
    )


def test_coordinator_sets_reads_and_clears_a_lot_social_clause(client, ghent):
    lot = ghent["lot"]
    clause = {"kind": "subcontracting_share", "target": "15"}
    response = api(
        client, ghent["coordinator"], "patch", f"/lots/{lot.id}", json={"social_clause": clause}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["social_clause"] == {
        "kind": "subcontracting_share",
        "target": "15.00",
    }
    _db.session.expire_all()
    assert (lot.social_clause_kind, lot.social_clause_target) == (
        "subcontracting_share",
        Decimal("15.00"),
    )
    event = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "lot.updated").order_by(AuditEvent.id.desc())
    ).first()
    assert "social_clause_kind" in event.data["fields"]
    got = api(client, ghent["coordinator"], "get", f"/lots/{lot.id}").get_json()
    assert got["social_clause"]["kind"] == "subcontracting_share"
    # Another PATCH that leaves the clause out keeps it; null clears it.
    api(client, ghent["coordinator"], "patch", f"/lots/{lot.id}", json={"title": "Groen"})
    _db.session.expire_all()
    assert lot.social_clause_kind == "subcontracting_share"
    api(client, ghent["coordinator"], "patch", f"/lots/{lot.id}", json={"social_clause": None})
    _db.session.expire_all()
    assert lot.social_clause is None


def test_a_new_lot_takes_target_group_hours_per_ten_thousand_euro(client, ghent):
    body = {
        "number": 5,
        "title": "Groenonderhoud",
        "service_type": "green_maintenance",
        "social_clause": {"kind": "target_group_hours", "target": 40},
    }
    response = api(
        client, ghent["coordinator"], "post", f"/frameworks/{ghent['draft'].id}/lots", json=body
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["social_clause"] == {"kind": "target_group_hours", "target": "40.00"}


@pytest.mark.parametrize(
    ("clause", "fields"),
    [
        ({"kind": "subcontracting_share", "target": "0"}, {"social_clause_target"}),
        ({"kind": "subcontracting_share", "target": "120"}, {"social_clause_target"}),
        ({"kind": "target_group_hours", "target": "-3"}, {"social_clause_target"}),
        ({"kind": "subcontracting_share", "target": "12.345"}, {"social_clause_target"}),
        ({"kind": "target_group_hours", "target": "ten"}, {"social_clause"}),
    ],
)
def test_bad_clauses_answer_400_with_every_error_and_write_nothing(client, ghent, clause, fields):
    lot = ghent["lot"]
    before = _events()
    response = api(
        client, ghent["coordinator"], "patch", f"/lots/{lot.id}", json={"social_clause": clause}
    )
    assert response.status_code == 400, response.get_json()
    assert set(response.get_json()["error"]["fields"]) >= fields
    _db.session.expire_all()
    assert lot.social_clause is None and _events() == before


def test_an_unknown_kind_is_refused_by_the_api(client, ghent):
    lot = ghent["lot"]
    response = api(
        client,
        ghent["coordinator"],
        "patch",
        f"/lots/{lot.id}",
        json={"social_clause": {"kind": "quota", "target": "5"}},
    )
    assert response.status_code in (400, 422)
    _db.session.expire_all()
    assert lot.social_clause is None


def test_the_clause_is_fixed_once_the_framework_is_active(client, ghent):
    lot = ghent["running_lot"]
    before = _events()
    response = api(
        client,
        ghent["coordinator"],
        "patch",
        f"/lots/{lot.id}",
        json={"social_clause": {"kind": "subcontracting_share", "target": "10"}},
    )
    assert response.status_code == 409
    assert "social_clause" in response.get_json()["error"]["fields"]
    _db.session.expire_all()
    assert lot.social_clause is None and _events() == before


@pytest.mark.parametrize("who", ["other", "member", "provider"])
def test_only_the_lead_coordinator_sets_a_clause(client, ghent, who):
    user = ghent["other"] if who == "other" else make_user(who)
    response = api(
        client,
        user,
        "patch",
        f"/lots/{ghent['lot'].id}",
        json={"social_clause": {"kind": "subcontracting_share", "target": "10"}},
    )
    assert response.status_code in (403, 404)
    _db.session.expire_all()
    assert ghent["lot"].social_clause is None


def _form(lot, **changes):
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
    data.update(changes)
    return data


def test_the_lot_form_sets_the_clause_and_the_framework_page_shows_it(client, login_as, ghent):
    lot = ghent["lot"]
    login_as(ghent["coordinator"])
    page = client.get(f"/lots/{lot.id}/edit").get_data(as_text=True)
    assert 'name="social_clause_kind"' in page and "Sociale clausule" in page
    data = _form(lot, social_clause_kind="subcontracting_share", social_clause_target="12,5")
    response = client.post(f"/lots/{lot.id}/edit", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    _db.session.expire_all()
    assert lot.social_clause_target == Decimal("12.50")
    page = client.get(f"/frameworks/{ghent['draft'].id}").get_data(as_text=True)
    assert "12,5\xa0%" in page and "sociale clausule" in page


def test_the_lot_form_shows_every_error_at_once(client, login_as, ghent):
    lot = ghent["lot"]
    login_as(ghent["coordinator"])
    data = _form(lot, social_clause_kind="", social_clause_target="0", travel_kmh="0")
    response = client.post(f"/lots/{lot.id}/edit", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for name in ("social_clause_kind", "social_clause_target", "travel_kmh"):
        assert f'id="{name}-error"' in page, name
    assert "Kies het soort sociale clausule." in page
    use_english(client)
    response = client.post(f"/lots/{lot.id}/edit", data={**data, "csrf_token": csrf_token(client)})
    assert "Choose the kind of social clause." in response.get_data(as_text=True)
    _db.session.expire_all()
    assert lot.social_clause is None
