"""A hydrant framework with work in the street: a lead authority, a member with three hydrants in
an assigned round of a provider, a follow-up task type for defects, and users for each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from central.core.clock import today
from central.extensions import db
from tests.factories import (
    make_active_framework,
    make_asset,
    make_org,
    make_round,
    make_task_type,
    make_token,
    make_user,
)


@dataclass
class Field:
    lead: object
    member: object
    provider: object
    framework: object
    lot: object
    task_type: object
    follow_up: object
    round: object
    assets: list
    crew: object
    member_user: object
    coordinator: object

    @property
    def tasks(self) -> list:
        return list(self.round.tasks)

    second: object = None

    def another_round(self, count: int = 2, **values):
        assets = [make_asset(self.member) for _ in range(count)]
        values.setdefault("scheduled_date", monday(today()))
        return make_round(self.lot, self.member, assets, provider=self.provider, **values)


@pytest.fixture
def field() -> Field:
    return build_field()


def build_field() -> Field:
    """The world of the `field` fixture (also for tests on the commit database)."""
    lead = make_org("authority")
    member = make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(lead, members=[member], providers=[provider])
    lot = framework.lots[0]
    task_type = lot.task_types[0]
    follow_up = make_task_type(lot, code="minor_repair", checklist=[])
    task_type.follow_up_task_type_id = follow_up.id
    db.session.flush()
    assets = [make_asset(member) for _ in range(3)]
    round_ = make_round(
        lot,
        member,
        assets,
        provider=provider,
        task_type=task_type,
        scheduled_date=monday(today()),
        due_date=date.fromordinal(today().toordinal() + 14),
    )
    return Field(
        lead=lead,
        member=member,
        provider=provider,
        framework=framework,
        lot=lot,
        task_type=task_type,
        follow_up=follow_up,
        round=round_,
        assets=assets,
        crew=make_user("provider", provider),
        member_user=make_user("member", member),
        coordinator=make_user("coordinator", lead),
    )


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


OK = {"result": "ok", "checklist": {"lid": True, "pressure": 4.2}}


def api(client, user, method: str, path: str, **kwargs):
    """Call /api/v1`path` as `user` with a personal token."""
    headers = kwargs.pop("headers", {})
    headers["Authorization"] = f"Bearer {make_token(user)}"
    return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)


from tests.jobs.conftest import commit_app, commit_database_url, commit_db  # noqa: E402, F401
