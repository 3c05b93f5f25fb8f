"""SPEC 7.0, reach: a coordinator reaches a member's data only through its approved accession to
a framework the coordinator's authority leads, and a provider's only through an award on such a
(concluded) framework. Naming a beneficiary or awarding on a draft opens only the public identity,
and a member or provider shared by two centrals shows each coordinator only its own central's
work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from central.core import clock
from central.frameworks.models import Framework
from central.organisations.models import Organisation
from tests.conftest import csrf_token
from tests.factories import (
    make_active_framework,
    make_asset,
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_round,
    make_token,
    make_user,
    name_beneficiaries,
)


@dataclass
class TwoCentrals:
    """Central A and central B, each with a coordinator and an active framework, sharing member
    `shared` (acceded to both) and provider `provider` (awarded on both); `theirs` is a member of
    B only, named on A's draft framework; `their_provider` is B's, awarded on A's draft."""

    coordinator_a: object
    coordinator_b: object
    framework_a: Framework
    framework_b: Framework
    draft_a: Framework
    shared: Organisation
    theirs: Organisation
    provider: Organisation
    their_provider: Organisation


@pytest.fixture
def centrals(db) -> TwoCentrals:
    lead_a, lead_b = make_org("authority"), make_org("authority")
    shared, theirs = make_org("authority"), make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    their_provider = make_org("provider", social_economy_status="lde")
    framework_a = make_active_framework(lead_a, members=[shared], providers=[provider])
    framework_b = make_active_framework(
        lead_b, members=[shared, theirs], providers=[provider, their_provider]
    )
    draft_a = make_framework(lead_a)
    name_beneficiaries(draft_a, theirs)
    make_award(make_lot(draft_a), their_provider)
    return TwoCentrals(
        coordinator_a=make_user("coordinator", org=lead_a),
        coordinator_b=make_user("coordinator", org=lead_b),
        framework_a=framework_a,
        framework_b=framework_b,
        draft_a=draft_a,
        shared=shared,
        theirs=theirs,
        provider=provider,
        their_provider=their_provider,
    )


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user)}"}


def test_naming_another_centrals_member_on_a_draft_opens_no_budget_progress_or_details(
    client, login_as, centrals
):
    headers = bearer(centrals.coordinator_a)
    theirs = centrals.theirs.id
    assert client.get(f"/api/v1/budgets/{theirs}/2026", headers=headers).status_code == 404
    assert client.get(f"/api/v1/organisations/{theirs}", headers=headers).status_code == 404
    listed = client.get("/api/v1/organisations?per_page=500", headers=headers).get_json()
    assert theirs not in {org["id"] for org in listed}
    month = clock.today().strftime("%Y-%m")
    statement = client.get(
        f"/api/v1/reports/statement?member={theirs}&month={month}", headers=headers
    )
    assert statement.status_code == 404
    login_as(centrals.coordinator_a)
    assert client.get(f"/reports/statement?member={theirs}").status_code == 404
    progress = client.get("/reports/progress").get_data(as_text=True)
    assert centrals.theirs.name not in progress
    assert centrals.shared.name in progress
    # The draft's own page still shows the public identity of the authority it names.
    draft = client.get(f"/frameworks/{centrals.draft_a.id}").get_data(as_text=True)
    assert centrals.theirs.name in draft


def test_awarding_another_centrals_provider_on_a_draft_opens_no_workload_or_details(
    client, login_as, centrals
):
    headers = bearer(centrals.coordinator_a)
    their_provider = centrals.their_provider.id
    assert client.get(f"/api/v1/organisations/{their_provider}", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/organisations/{centrals.provider.id}", headers=headers).status_code
        == 200
    )
    login_as(centrals.coordinator_a)
    assert client.get(f"/workload?provider={their_provider}").status_code == 404
    page = client.get("/workload").get_data(as_text=True)
    assert centrals.their_provider.name not in page
    assert centrals.provider.name in page


def _round_in(framework: Framework, member: Organisation, provider: Organisation, **values):
    lot = framework.lots[0]
    return make_round(lot, member, [make_asset(member)], provider=provider, **values)


def test_a_shared_member_shows_each_coordinator_only_its_own_centrals_progress(
    client, login_as, centrals
):
    today = clock.today()
    done = {"due_date": today, "task_status": "done", "status": "completed"}
    _round_in(centrals.framework_a, centrals.shared, centrals.provider, **done)
    for _ in range(3):
        _round_in(centrals.framework_b, centrals.shared, centrals.provider, **done)
    _round_in(centrals.framework_b, centrals.shared, centrals.provider, status="overdue")

    def figures(user) -> list[str]:
        """The shared member's row on the progress page: inspected, due, overdue, defects."""
        login_as(user)
        html = client.get("/reports/progress").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        row = re.search(
            rf"<th scope=\"row\">{re.escape(centrals.shared.name)}</th>(.*?)</tr>", html, re.S
        )
        return re.findall(r'<td class="num">(\d+)', row.group(1))

    inspected_a, _due, overdue_a, _defects = figures(centrals.coordinator_a)
    inspected_b, _due, overdue_b, _defects = figures(centrals.coordinator_b)
    assert (inspected_a, overdue_a) == ("1", "0")
    assert (inspected_b, overdue_b) == ("3", "1")


def test_a_shared_provider_shows_each_coordinator_only_its_own_centrals_workload(
    client, login_as, centrals
):
    soon = clock.today() + timedelta(days=1)
    planned = {"scheduled_date": soon, "due_date": soon}
    _round_in(centrals.framework_a, centrals.shared, centrals.provider, **planned)
    _round_in(centrals.framework_b, centrals.shared, centrals.provider, **planned)
    login_as(centrals.coordinator_a)
    html = client.get(f"/workload?provider={centrals.provider.id}").get_data(as_text=True)
    assert centrals.framework_a.reference in html
    assert centrals.framework_b.reference not in html
