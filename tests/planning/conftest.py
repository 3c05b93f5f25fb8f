"""A hydrant framework ready for planning: one lot, one member with an approved accession and a
yearly inspection plan, one social-economy provider, and helpers to run the planning jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import func, select

from central.extensions import db
from central.planning.models import Round, Task
from tests.factories import make_active_framework, make_asset, make_org, make_service_plan

TODAY = date(2026, 3, 4)  # a Wednesday; its week starts on Monday 2 March


@dataclass
class Hydrants:
    framework: object
    lot: object
    task_type: object
    member: object
    provider: object
    plan: object
    assets: list = field(default_factory=list)

    def add_assets(self, count: int, *, member=None, spacing: float = 0.002, **values) -> list:
        """`count` hydrants on a grid (about 150 m apart) near Roeselare."""
        member = member or self.member
        made = []
        for n in range(count):
            row, column = divmod(n, 10)
            made.append(
                make_asset(
                    member,
                    lat=values.pop("lat", 50.93 + row * spacing),
                    lon=values.pop("lon", 3.10 + column * spacing * 1.5),
                    **values,
                )
            )
        self.assets.extend(made)
        return made


@pytest.fixture
def hydrants() -> Hydrants:
    member = make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(members=[member], providers=[provider])
    lot = framework.lots[0]
    plan = make_service_plan(member, lot)
    return Hydrants(framework, lot, lot.task_types[0], member, provider, plan)


def rounds() -> list[Round]:
    return list(db.session.scalars(select(Round).order_by(Round.id)))


def tasks() -> list[Task]:
    return list(db.session.scalars(select(Task).order_by(Task.round_id, Task.sequence)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


from tests.jobs.conftest import commit_app, commit_database_url, commit_db  # noqa: E402, F401
