"""Rule 2 on every path (§7.1): one function decides, under the framework's lock, whether work
may be committed — in planning, in a correction from `inaccessible`/`not_found` to a billed
result, in a contest of work closed unbilled and when framework-status reopens an exhausted
framework; an asset is never billed twice for one due period. Driven through the API, with the
jobs run as the scheduler runs them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from central.core import clock
from central.core.audit import AuditEvent
from central.core.errors import Message, translate
from central.extensions import db
from central.fieldwork.services import PlannedAgain
from central.frameworks.models import PriceLine
from central.frameworks.queries import committed_amounts
from central.jobs.runner import run_job
from central.planning.models import Round, Task
from central.reports import services as statements
from central.reports.models import Statement
from tests.factories import (
    make_active_framework,
    make_asset,
    make_need,
    make_org,
    make_service_plan,
    make_token,
    make_user,
)

OK = {"result": "ok", "checklist": {"lid": True, "pressure": 4.2}}
INACCESSIBLE = {"result": "inaccessible"}


@dataclass
class Central:
    framework: object
    lot: object
    member: object
    crew: object
    member_user: object
    assets: list

    def committed(self) -> Decimal:
        return committed_amounts(self.framework.id).total.committed


_TOKENS: dict[int, str] = {}


@pytest.fixture(autouse=True)
def _fresh_tokens():
    _TOKENS.clear()  # each test's tokens are rolled back with it


def api(client, user, method: str, path: str, **kwargs):
    if user.id not in _TOKENS:
        _TOKENS[user.id] = make_token(user)
    headers = {"Authorization": f"Bearer {_TOKENS[user.id]}"}
    return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)


def run(name: str):
    run_ = run_job(name, today=clock.today())
    assert run_.status == "succeeded", run_.error
    return run_.counts


def tasks_of(asset) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.asset_id == asset.id).order_by(Task.id)))


@pytest.fixture
def hydrants_at_100() -> Central:
    """A framework with a maximum of €1,000, ten hydrants at €100 under a yearly plan, planned
    and assigned: €1,000 committed, the framework exhausted."""
    member = make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(
        members=[member],
        providers=[provider],
        max_value=Decimal("1000.00"),
        estimated_value=Decimal("900.00"),
    )
    lot = framework.lots[0]
    db.session.scalars(
        select(PriceLine).where(PriceLine.lot_id == lot.id)
    ).one().unit_price = Decimal("100.00")
    make_service_plan(member, lot)
    assets = [make_asset(member, lat=50.93, lon=3.10 + n * 0.002) for n in range(10)]
    db.session.flush()
    central = Central(
        framework,
        lot,
        member,
        make_user("provider", provider),
        make_user("member", member),
        assets,
    )
    assert run("generate-rounds")["tasks"] == 10
    assert run("assign-rounds")["assigned"] == 1
    db.session.refresh(framework)
    assert central.committed() == Decimal("1000.00")
    assert framework.status == "exhausted"
    return central


def _inaccessible_then_room_freed(client, central: Central) -> Task:
    (first,) = tasks_of(central.assets[0])
    answer = api(client, central.crew, "post", f"/tasks/{first.id}/result", json=INACCESSIBLE)
    assert answer.status_code == 200, answer.json
    assert central.committed() == Decimal("900.00")
    run("framework-status")
    db.session.refresh(central.framework)
    assert central.framework.status == "active"  # reopened: €100 of room
    return first


def test_a_correction_of_a_task_whose_asset_was_planned_again_is_refused(client, hydrants_at_100):
    """The issue's case: generate-rounds plans the inaccessible hydrant again; the crew then
    corrects the first task to ok. Before, committed and accepted reached €1,100 and the
    statement billed eleven tasks for ten hydrants."""
    central = hydrants_at_100
    first = _inaccessible_then_room_freed(client, central)
    assert run("generate-rounds")["tasks"] == 1
    run("assign-rounds")
    assert central.committed() == Decimal("1000.00")
    api(client, central.crew, "get", f"/tasks/{first.id}")  # the crew's token, made before
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    answer = api(client, central.crew, "post", f"/tasks/{first.id}/result", json=OK)

    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "planned_again"
    assert "nieuwe taak" in answer.json["error"]["message"]
    with force_locale("nl"):
        assert "opnieuw ingepland" in translate(Message(PlannedAgain.message_template))
    db.session.expire_all()
    assert (first.status, first.result) == ("done", "inaccessible")  # nothing written
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert central.committed() == Decimal("1000.00")
    # The crew records the new task instead; the member accepts both rounds and is billed
    # once per hydrant.
    for asset in central.assets:
        task = tasks_of(asset)[-1]
        if task.status == "open":
            answer = api(client, central.crew, "post", f"/tasks/{task.id}/result", json=OK)
            assert answer.status_code == 200, answer.json
    for round_ in db.session.scalars(select(Round).order_by(Round.id)):
        answer = api(client, central.member_user, "post", f"/rounds/{round_.id}/accept")
        assert answer.status_code == 200, answer.json
    accepted = committed_amounts(central.framework.id).total.accepted
    assert accepted == central.committed() == Decimal("1000.00")
    statements.issue_statements(db.session, clock.today().replace(day=1) + _month())
    (statement,) = db.session.scalars(select(Statement)).all()
    assert statement.total_excl_vat == Decimal("1000.00")
    assert [line.quantity for line in statement.lines] == [Decimal("10")]


def _month():
    from dateutil.relativedelta import relativedelta

    return relativedelta(months=1)


def test_a_correction_that_would_cross_the_maximum_is_refused(client, hydrants_at_100):
    """The room freed by the inaccessible hydrant went to an urgent need on another hydrant;
    the correction to ok would take committed to €1,100."""
    central = hydrants_at_100
    first = _inaccessible_then_room_freed(client, central)
    make_need(central.member, central.lot, asset=make_asset(central.member), priority="urgent")
    counts = run("generate-rounds")
    assert counts["tasks"] == 1  # the urgent need fits; the plan's re-visit of the hydrant not
    assert len(tasks_of(central.assets[0])) == 1
    assert central.committed() == Decimal("1000.00")

    answer = api(client, central.crew, "post", f"/tasks/{first.id}/result", json=OK)

    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "maximum_reached"
    assert (
        "1100.00" in answer.json["error"]["message"]
        and "1000.00" in answer.json["error"]["message"]
    )
    db.session.expire_all()
    assert (first.status, first.result) == ("done", "inaccessible")
    assert central.committed() == Decimal("1000.00")


def test_a_correction_within_the_maximum_is_committed_again(client, hydrants_at_100):
    central = hydrants_at_100
    first = _inaccessible_then_room_freed(client, central)

    answer = api(client, central.crew, "post", f"/tasks/{first.id}/result", json=OK)

    assert answer.status_code == 200, answer.json
    assert answer.json["amount"] == "100.00"  # the task's stored amount
    assert central.committed() == Decimal("1000.00")
    # Nothing is due any more: the next planning adds nothing.
    assert run("generate-rounds")["tasks"] == 0


def test_a_contest_of_work_closed_unbilled_is_refused_when_it_would_cross_the_maximum(
    client, hydrants_at_100
):
    central = hydrants_at_100
    first = _inaccessible_then_room_freed(client, central)
    make_need(central.member, central.lot, asset=make_asset(central.member), priority="urgent")
    run("generate-rounds")

    answer = api(
        client,
        central.member_user,
        "post",
        f"/tasks/{first.id}/contest",
        json={"reason": "The hydrant was accessible all day."},
    )

    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "maximum_reached"
    db.session.expire_all()
    assert first.status == "done"
