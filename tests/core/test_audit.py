"""The audit trail: who did what to which object, and when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from central.core import audit
from central.core.audit import AuditEvent
from tests.factories import make_org, make_user


def test_an_event_names_the_actor_the_object_and_the_time(db):
    actor = make_user("admin")
    org = make_org()
    event = audit.record("organisation.checked", org, actor=actor, note="fine")
    db.session.flush()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.action, stored.object_type, stored.object_id) == (
        "organisation.checked",
        "organisations",
        org.id,
    )
    assert stored.actor_id == actor.id and stored.data == {"note": "fine"}
    assert stored.created_at.tzinfo is not None


def test_an_unsaved_object_is_flushed_so_the_event_has_its_id(db):
    from central.organisations.models import Organisation

    org = Organisation(name="New", kind="authority", enterprise_number="0207.446.673")
    db.session.add(org)
    event = audit.record("organisation.created", org)
    assert org.id is not None and event.object_id == org.id
    assert event.actor_id is None  # the system itself


def test_event_data_is_stored_as_json(db):
    event = audit.record(
        "system.tested",
        amounts=[Decimal("1.50")],
        day=date(2026, 1, 2),
        nested={"ids": {3, 4}},
    )
    db.session.flush()
    db.session.expire(event)
    assert event.data["amounts"] == ["1.50"]
    assert event.data["day"] == "2026-01-02"
    assert sorted(event.data["nested"]["ids"]) == [3, 4]
    assert event.object_type == "system"


def test_the_signed_in_user_behind_current_user_is_recorded(app, db):
    from flask_login import current_user, login_user

    user = make_user("member")
    with app.test_request_context("/"):
        login_user(user)
        event = audit.record("user.touched", current_user, actor=current_user)
    assert event.object_type == "users" and event.object_id == user.id
    assert event.actor_id == user.id
