"""The demo holds Ghent's case: lot 2's social clause, one award with a subcontractor and one
action plan half realised; loading twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from central.demo import load_demo
from central.frameworks import action_plans
from central.frameworks.models import ActionPlan, ActionRealisation, AwardSubcontractor


def test_the_demo_holds_a_subcontractor_and_a_half_realised_plan(db):
    load_demo()
    sub = db.session.scalar(select(AwardSubcontractor))
    assert sub.organisation.name == "De Kraanwerkers LDE vzw"
    assert sub.award.provider.name == "Maatwerkbedrijf Mandel & Leie"
    assert [row.task_type.code for row in sub.task_types] == ["signage_post_placement"]
    assert sub.award.lot.social_clause == {
        "kind": "subcontracting_share",
        "target": Decimal("10.00"),
    }
    plan = db.session.scalar(select(ActionPlan))
    assert plan.status == "approved"
    progress = action_plans.progress(plan.award)
    assert [item.percent for item in progress["actions"]] == [Decimal("50.00"), Decimal("50.00")]
    counts = [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (AwardSubcontractor, ActionPlan, ActionRealisation)
    ]
    load_demo()
    assert counts == [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (AwardSubcontractor, ActionPlan, ActionRealisation)
    ]
