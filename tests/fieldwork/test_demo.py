"""The field-work demo: rounds in every state for the demo crew and member, defects with
follow-up needs, labour; loading twice changes nothing, and an untouched assigned round for
today is always there."""

from __future__ import annotations

from sqlalchemy import func, select

from central.assets.models import Need
from central.demo import load_demo
from central.extensions import db
from central.fieldwork import demo
from central.fieldwork.models import LabourEntry, TaskContest
from central.planning.models import Round, Task


def counts() -> dict:
    return {
        "rounds": dict(
            db.session.execute(select(Round.status, func.count()).group_by(Round.status)).all()
        ),
        "labour": db.session.scalar(select(func.count()).select_from(LabourEntry)),
        "needs": db.session.scalar(
            select(func.count()).select_from(Need).where(Need.source == "defect")
        ),
        "contests": db.session.scalar(select(func.count()).select_from(TaskContest)),
    }


def test_demo_has_rounds_in_every_state_and_is_idempotent(app):
    orgs = load_demo()
    first = counts()
    member, provider = orgs["member"], orgs["provider"]
    statuses = set(
        db.session.scalars(
            select(Round.status).where(
                Round.member_id == member.id, Round.provider_id == provider.id
            )
        )
    )
    assert {"assigned", "in_progress", "completed", "accepted", "overdue"} <= statuses
    assert first["contests"] == 1 and first["labour"] >= 4 and first["needs"] >= 2
    follow_up = db.session.scalars(select(Need.task_type).where(Need.source == "defect")).all()
    assert "minor_repair" in follow_up
    load_demo()
    assert counts() == first


def test_demo_always_has_an_untouched_round_for_the_crew_today(app):
    orgs = load_demo()
    member, provider = orgs["member"], orgs["provider"]

    def untouched() -> list[Round]:
        return [
            r
            for r in db.session.scalars(
                select(Round).where(
                    Round.member_id == member.id,
                    Round.provider_id == provider.id,
                    Round.status == "assigned",
                )
            )
            if all(t.status == "open" for t in r.tasks)
        ]

    rounds = untouched()
    assert rounds
    # Work starts on every such round; loading again makes a fresh one.
    for round_ in rounds:
        round_.status = "in_progress"
    db.session.flush()
    demo.load(orgs)
    assert untouched()
    assert (
        db.session.scalar(select(func.count()).select_from(Task).where(Task.status == "contested"))
        == 1
    )
