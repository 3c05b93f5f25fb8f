"""Reach of every field-work API route: each role × own / other tenant's round. Outside reach
answers 404; a visible task or round whose action is not the user's answers 403; refused
writes change nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from central.extensions import db
from central.fieldwork import services
from tests.factories import make_round, make_user
from tests.fieldwork.conftest import OK, api


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "PNG")
    return out.getvalue()


def done(field):
    """Finish the field's round, and a second round to accept (the first gets contested)."""
    for task in field.tasks:
        services.record_result(task, OK, actor=field.crew)
    second = field.another_round()
    for task in second.tasks:
        services.record_result(task, OK, actor=field.crew)
    field.second = second


def writes(field):
    """Every write, as (method, path, kwargs, who may do it)."""
    task, round_ = field.tasks[0], field.round
    return [
        ("post", f"/tasks/{task.id}/result", {"json": OK}, "provider"),
        (
            "post",
            f"/tasks/{task.id}/photos",
            {"data": {"file": (io.BytesIO(png()), "p.png")}, "content_type": "multipart/form-data"},
            "provider",
        ),
        ("post", f"/rounds/{round_.id}/labour", {"json": {"hours": "3"}}, "provider"),
        ("post", f"/tasks/{task.id}/contest", {"json": {"reason": "Redo"}}, "member"),
        ("post", f"/rounds/{field.second.id}/accept", {}, "member"),
    ]


def reads(field):
    return [f"/tasks/{field.tasks[0].id}", f"/rounds/{field.round.id}/labour"]


@pytest.mark.parametrize("role", ["provider", "member", "coordinator", "admin"])
def test_other_tenant_gets_404_everywhere(client, field, role):
    done(field)
    user = make_user(role)
    for path in reads(field):
        assert api(client, user, "get", path).status_code == 404, (role, path)
    for method, path, kwargs, _who in writes(field):
        assert api(client, user, method, path, **kwargs).status_code == 404, (role, path)
    db.session.expire_all()
    assert field.round.status == "completed"


def test_provider_cannot_see_or_record_on_another_providers_round(client, field):
    other_crew = make_user("provider")
    make_round(field.lot, field.member, [], provider=other_crew.organisation)
    for path in reads(field):
        assert api(client, other_crew, "get", path).status_code == 404
    response = api(client, other_crew, "post", f"/tasks/{field.tasks[0].id}/result", json=OK)
    assert response.status_code == 404
    db.session.expire_all()
    assert field.tasks[0].status == "open"


@pytest.mark.parametrize(
    ("role_key", "allowed"),
    [("crew", "provider"), ("member_user", "member"), ("coordinator", None)],
)
def test_own_tenant_reads_and_may_do_only_its_own_actions(client, field, role_key, allowed):
    user = getattr(field, role_key)
    done(field)
    for path in reads(field):
        assert api(client, user, "get", path).status_code == 200, path
    for method, path, kwargs, who in writes(field):
        status = api(client, user, method, path, **kwargs).status_code
        if who == allowed:
            assert status in (200, 201), (path, status)
        else:
            assert status == 403, (role_key, path, status)


def test_coordinator_acts_as_member_for_its_own_authority(client, field):
    from tests.factories import make_asset

    own_asset = make_asset(field.lead)
    round_ = make_round(field.lot, field.lead, [own_asset], provider=field.provider)
    services.record_result(round_.tasks[0], OK, actor=field.crew)
    response = api(client, field.coordinator, "post", f"/rounds/{round_.id}/accept")
    assert response.status_code == 200


def test_unauthenticated_gets_401(client, field):
    assert client.get(f"/api/v1/tasks/{field.tasks[0].id}").status_code == 401
    assert client.post(f"/api/v1/tasks/{field.tasks[0].id}/result", json=OK).status_code == 401
