"""Who reaches Ghent's reads (SPEC 7.0, 7.3), role by role and tenant by tenant: an award's
subcontractors, its action plan, its social progress and an evidence file."""

from __future__ import annotations

import pytest

from central.frameworks import action_plans
from tests.factories import make_org, make_user
from tests.social.conftest import subcontract
from tests.social.test_action_plans import PDF, _approved, _upload

# (who, subcontractors list, plan / progress / evidence)
MATRIX = [
    ("coordinator", 200, 200),
    ("main", 200, 200),
    ("social", 200, 404),  # its own subcontracting only; not the plan
    ("unrecognised", 404, 404),  # a provider with no award in the framework
    ("other_coordinator", 404, 404),
    ("member", 200, 404),  # a beneficiary reads the lot's awards, not the provider's plan
    ("admin", 200, 200),
]


@pytest.mark.parametrize(("who", "subs", "plan"), MATRIX)
def test_reads_by_role_and_tenant(client, ghent, file_store, who, subs, plan):
    ghent.users["admin"] = make_user("admin")
    assert subcontract(client, ghent).status_code == 201
    other = make_org("provider", social_economy_status="lde")
    assert (
        subcontract(client, ghent, organisation_id=other.id, task_types=["lawn_mowing"]).status_code
        == 201
    )
    approved = _approved(client, ghent)
    evidence = _upload(client, ghent, approved.actions[0], PDF).json
    base = f"/api/v1/awards/{ghent.award.id}"
    headers = ghent.headers(who)
    listed = client.get(f"{base}/subcontractors", headers=headers)
    assert listed.status_code == subs, who
    if who == "social":
        assert [s["organisation_id"] for s in listed.json] == [ghent.social.id]
    elif subs == 200:
        assert len(listed.json) == 2
    for path in ("/action-plan", "/social-progress", f"/action-plan/evidence/{evidence['id']}"):
        assert client.get(base + path, headers=headers).status_code == plan, (who, path)


def test_progress_figures_are_the_same_for_coordinator_and_provider(client, ghent):
    _approved(client, ghent)
    base = f"/api/v1/awards/{ghent.award.id}/social-progress"
    one = client.get(base, headers=ghent.headers("coordinator")).json
    two = client.get(base, headers=ghent.headers("main")).json
    assert one == two and one["plan_status"] == "approved"
    assert len(one["actions"]) == len(action_plans.plan_of(ghent.award).actions) == 2
