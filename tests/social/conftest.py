"""Ghent's case (SPEC 7.3): an active green-maintenance framework of Stad Gent whose lot is
awarded to a main contractor (not in the social economy), a recognised maatwerkbedrijf to
subcontract to, and a round of the main contractor with a hedge task and a lawn task."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from central.core.clock import today
from tests.factories import (
    make_active_framework,
    make_asset,
    make_org,
    make_price,
    make_round,
    make_task_type,
    make_token,
    make_user,
)
from tests.fieldwork.conftest import monday


@dataclass
class Ghent:
    lead: object
    member: object
    main: object
    social: object
    unrecognised: object
    framework: object
    lot: object
    hedges: object
    lawns: object
    award: object
    round: object
    users: dict = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(self.users[who])}"}

    @property
    def hedge_task(self):
        return next(t for t in self.round.tasks if t.task_type_id == self.hedges.id)

    @property
    def lawn_task(self):
        return next(t for t in self.round.tasks if t.task_type_id == self.lawns.id)


@pytest.fixture
def ghent(db) -> Ghent:
    lead = make_org("authority", name="Stad Gent")
    member = make_org("authority", name="Gemeente Merelbeke")
    main = make_org("provider", name="Groen Aannemer NV")
    social = make_org(
        "provider", name="Maatwerk Groen vzw", social_economy_status="maatwerkbedrijf"
    )
    unrecognised = make_org("provider", name="Gewone Tuinier BV")
    framework = make_active_framework(lead, members=[member], providers=[main])
    lot = framework.lots[0]
    hedges = lot.task_types[0]
    hedges.code, hedges.name, hedges.checklist = "hedge_cutting", "Haag snoeien", []
    lawns = make_task_type(lot, code="lawn_mowing", name="Gazon maaien", checklist=[])
    make_price(lawns, unit_price="30.00")
    db.session.flush()
    award = lot.awards[0]
    round_ = make_round(
        lot,
        member,
        [make_asset(member)],
        provider=main,
        task_type=hedges,
        scheduled_date=monday(today()),
        due_date=date.fromordinal(today().toordinal() + 14),
    )
    lawn = make_round(lot, member, [make_asset(member)], provider=main, task_type=lawns).tasks[0]
    lawn.round_id, lawn.sequence = round_.id, 2
    db.session.flush()
    db.session.expire(round_, ["tasks"])
    world = Ghent(
        lead, member, main, social, unrecognised, framework, lot, hedges, lawns, award, round_
    )
    world.users = {
        "coordinator": make_user("coordinator", lead),
        "other_coordinator": make_user("coordinator", make_org("authority")),
        "member": make_user("member", member),
        "main": make_user("provider", main),
        "social": make_user("provider", social),
        "unrecognised": make_user("provider", unrecognised),
    }
    return world


def subcontract(client, ghent, who="coordinator", **body):
    body.setdefault("organisation_id", ghent.social.id)
    body.setdefault("task_types", ["hedge_cutting"])
    return client.post(
        f"/api/v1/awards/{ghent.award.id}/subcontractors", json=body, headers=ghent.headers(who)
    )
