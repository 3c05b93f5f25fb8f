"""Demo of Ghent's case (SPEC 7.3) on the Roeselare framework: lot 2 (signage and repairs) carries
a social clause (10 % of its accepted value through social-economy subcontractors); its main
contractor, Maatwerkbedrijf Mandel & Leie, subcontracts the placing of signage posts to De
Kraanwerkers LDE vzw (the demo crew's provider), and has an approved action plan that is half
realised this quarter.

Built through the services as the users would; idempotent (what exists is left as it is).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from central.accounts.models import Role
from central.core.clock import today
from central.extensions import db
from central.frameworks import action_plans, subcontracting
from central.frameworks.demo import REFERENCE, _coordinator
from central.frameworks.models import Award, AwardSubcontractor, Framework, Lot
from central.organisations.models import Organisation

MAIN_CONTRACTOR = "Maatwerkbedrijf Mandel & Leie"
SUBCONTRACTOR = "De Kraanwerkers LDE vzw"
SUBCONTRACTED_TASK_TYPES = ["signage_post_placement"]
ACTIONS = [
    # (kind, target, unit, days until due, description, realised this quarter)
    (
        "work_experience",
        "4",
        "persons",
        180,
        "Werkervaringsplaatsen voor langdurig werkzoekenden",
        "2",
    ),
    ("training", "80", "hours", 120, "Opleiding veilig werken langs de weg", "40"),
]


def load(orgs: dict[str, Organisation]) -> None:
    framework = db.session.scalar(select(Framework).where(Framework.reference == REFERENCE))
    if framework is None:
        return
    lot = db.session.scalar(select(Lot).where(Lot.framework_id == framework.id, Lot.number == 2))
    providers = {
        o.name: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.name.in_([MAIN_CONTRACTOR, SUBCONTRACTOR]))
        )
    }
    if lot is None or len(providers) < 2:
        return
    award = db.session.scalar(
        select(Award).where(
            Award.lot_id == lot.id, Award.provider_id == providers[MAIN_CONTRACTOR].id
        )
    )
    if award is None:
        return
    coordinator = _coordinator(orgs["lead"])
    if not db.session.scalar(
        select(AwardSubcontractor.id).where(AwardSubcontractor.award_id == award.id)
    ):
        subcontracting.add_subcontractor(
            award,
            {
                "organisation_id": providers[SUBCONTRACTOR].id,
                "task_types": SUBCONTRACTED_TASK_TYPES,
            },
            actor=coordinator,
        )
    if action_plans.plan_of(award) is None:
        provider = SimpleNamespace(id=None, role=Role.PROVIDER, organisation_id=award.provider_id)
        day = today()
        plan, _created = action_plans.file_plan(
            award,
            {
                "actions": [
                    {
                        "kind": kind,
                        "target": target,
                        "unit": unit,
                        "due_date": day + timedelta(days=days),
                        "description": description,
                    }
                    for kind, target, unit, days, description, _realised in ACTIONS
                ]
            },
            actor=provider,
        )
        action_plans.approve_plan(plan, actor=coordinator)
        year, quarter = action_plans.quarter_of(day)
        for action, spec in zip(plan.actions, ACTIONS, strict=True):
            action_plans.report_realisation(
                action,
                {"year": year, "quarter": quarter, "realised": spec[5], "note": "Demo"},
                actor=provider,
            )
    db.session.flush()
