"""The route x role x tenant sweep: every route of the app (pages and /api/v1) is requested by
every role (admin, coordinator, member, provider, anonymous) with its own central's ids and with
another central's, and a representative write is sent to every write route with the other
central's ids. Nothing answers 5xx; another central's ids answer as absent (404), or 401/403/400
where the role or the input is refused first, never 2xx or a redirect into the object (SPEC 5,
7.0). The admin is of no central: for it only "no 5xx" holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from werkzeug.routing import Rule

from central.assets.models import AssetKind, Need, ServicePlan
from central.extensions import db
from central.reports.models import Statement
from central.reports.services import issue_statements
from tests.conftest import csrf_token
from tests.factories import (
    make_active_framework,
    make_asset,
    make_org,
    make_round,
    make_token,
    make_user,
    make_work,
)

ROLES = ("admin", "coordinator", "member", "provider", "anonymous")
ABSENT = 2**31 - 2  # an id that names nothing (photos, crews: none are made here)

# Routes whose answer with another central's ids may be 200: what they show is public.
PUBLIC_WITH_IDS = {"api.reports_framework_ocds"}
# Not swept: files, the reset link's token (a signed secret, not an id).
SKIPPED = {"static", "leaflet.leaflet_file"}
# Reports that name a member, framework or provider in the query string (the sweep adds them).
QUERY_IDS = {
    "reports.month_statement": "?member={member_id}&month=2025-06",
    "api.reports_statement_report": "?member={member_id}&month=2025-06",
    "reports.social_impact": "?framework={framework_id}&year=2025",
    "api.reports_social_impact": "?framework={framework_id}&year=2025",
    "reports.consumption": "?framework={framework_id}",
    "api.reports_consumption": "?framework={framework_id}",
    "planning.workload": "?provider={provider_id}",
}
# (Filters of lists, such as /rounds?framework=, answer their empty part of the reach: 200.)
# A provider's workload is its own whatever the query names.
OWN_WHATEVER_ASKED = {("planning.workload", "provider")}
REFUSED = {400, 401, 403, 404, 405}


@dataclass
class Tenant:
    """One central: its lead authority, a member, a provider, their users and objects."""

    users: dict
    tokens: dict
    ids: dict


def make_tenant() -> Tenant:
    lead = make_org("authority")
    member = make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(lead, members=[member], providers=[provider])
    lot = framework.lots[0]
    asset = make_asset(member)
    plan = ServicePlan(
        member_id=member.id, lot_id=lot.id, task_type="hydrant_inspection", interval_months=12
    )
    need = Need(member_id=member.id, asset_id=asset.id, lot_id=lot.id, description="Lekt")
    kind = AssetKind(code=f"hedge_{lead.id}", name_nl=f"haag {lead.id}", name_en=f"hedge {lead.id}")
    kind.owner_organisation_id = lead.id
    db.session.add_all([plan, need, kind])
    round_ = make_round(lot, member, [make_asset(member)], provider=provider)
    make_work(lot, member, provider, [{}])
    users = {
        "coordinator": make_user("coordinator", lead),
        "member": make_user("member", member),
        "provider": make_user("provider", provider),
    }
    tokens = {role: make_token(user) for role, user in users.items()}
    db.session.flush()
    ids = {
        "framework_id": framework.id,
        "lot_id": lot.id,
        "task_type_id": lot.task_types[0].id,
        "round_id": round_.id,
        "task_id": round_.tasks[0].id,
        "asset_id": asset.id,
        "plan_id": plan.id,
        "need_id": need.id,
        "member_id": member.id,
        "organisation_id": member.id,
        "provider_id": provider.id,
        "kind_id": kind.id,
        "orgs": {"coordinator": lead.id, "member": member.id, "provider": provider.id},
    }
    return Tenant(users=users, tokens=tokens, ids=ids)


@pytest.fixture
def centrals(db):
    """Two centrals; statements issued for both (June 2025's accepted work)."""
    from central.accounts.models import ApiToken
    from central.frameworks.models import Accession

    own, other = make_tenant(), make_tenant()
    issue_statements(db.session, date(2025, 7, 1))
    for tenant in (own, other):
        ids = tenant.ids
        ids["accession_id"] = db.session.scalar(
            db.select(Accession.id).where(Accession.member_id == ids["member_id"])
        )
        ids["statement_id"] = db.session.scalar(
            db.select(Statement.id).where(Statement.member_id == ids["member_id"])
        )
        ids["token_ids"] = {
            role: db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == user.id))
            for role, user in tenant.users.items()
        }
    admin = make_user("admin")
    db.session.commit()
    return own, other, admin


def fill(rule: Rule, role: str, tenant: Tenant) -> str:
    """The rule's path with `tenant`'s ids as seen by `role` (its own organisation, user and
    token where the route names one)."""
    ids = tenant.ids
    acting = role if role in tenant.users else "member"
    values = dict(ids)
    values.update(
        org_id=ids["orgs"][acting],
        user_id=tenant.users[acting].id,
        token_id=ids["token_ids"][acting],
        photo_id=ABSENT,
        year=2025,
        name="generate-rounds",
        token="not-a-reset-token",
    )
    path = rule.rule
    for argument in rule.arguments:
        # An id the world here does not make (a new route's) names nothing: still no 5xx.
        path = re.sub(rf"<(?:[a-z]+:)?{argument}>", str(values.get(argument, ABSENT)), path)
    return path + QUERY_IDS.get(rule.endpoint, "").format(**values)


def swept_rules(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED),
        key=lambda r: r.rule,
    )


def is_tenant_bound(rule: Rule) -> bool:
    """Whether the route names an object of a central (in the path or the query string)."""
    bound = set(rule.arguments) - {"name", "token", "filename", "photo_id", "year"}
    return bool(bound) or rule.endpoint in QUERY_IDS


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def test_every_route_is_swept(app):
    """The sweep covers the whole url_map: a new route is swept without being listed."""
    rules = swept_rules(app)
    assert len(rules) > 150
    assert any(r.rule.startswith("/api/v1/") for r in rules)
    assert sum(is_tenant_bound(r) for r in rules) > 90


def signed_in(role: str, centrals, login_as) -> dict[str, str]:
    """Sign the client in as `role` of the first central (the admin: of none; anonymous: not at
    all); returns the headers of that user's API token."""
    own, _other, admin = centrals
    user = admin if role == "admin" else own.users.get(role)
    if user is None:
        return {}
    login_as(user)
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    db.session.commit()
    return headers


@pytest.mark.parametrize("role", ROLES)
def test_route_role_tenant_sweep(app, client, login_as, centrals, role):
    own, other, admin = centrals
    api_headers = signed_in(role, centrals, login_as)
    token = csrf_token(client)
    problems: list[str] = []
    requests = 0
    for rule in swept_rules(app):
        api = rule.rule.startswith("/api/v1/")
        headers = api_headers if api else {}
        methods = rule.methods - {"HEAD", "OPTIONS"}
        targets = [("own", own), ("other", other)] if is_tenant_bound(rule) else [("own", own)]
        for target, tenant in targets:
            path = fill(rule, role, tenant)
            sends = []
            if "GET" in methods:
                sends.append(("GET", {}))
            write = next((m for m in WRITE_METHODS if m in methods), None)
            # Writes with another central's ids (own ids would change the world under the
            # sweep); writes without ids are the roles' own business, tested in their domains.
            if write and target == "other":
                body = {"json": {}} if api else {"data": {"csrf_token": token}}
                sends.append((write, body))
            for method, kwargs in sends:
                response = client.open(path, method=method, headers=headers, **kwargs)
                requests += 1
                status = response.status_code
                where = f"{role} {method} {path} ({target}) -> {status}"
                foreign_answered = (
                    target == "other"
                    and role not in ("admin", "anonymous")
                    and rule.endpoint not in PUBLIC_WITH_IDS
                    and (rule.endpoint, role) not in OWN_WHATEVER_ASKED
                    and status not in REFUSED
                )
                anonymous_answered = (
                    role == "anonymous"
                    and is_tenant_bound(rule)
                    and rule.endpoint not in PUBLIC_WITH_IDS
                    and not (status in REFUSED or _to_sign_in(response))
                )
                if status >= 500 or foreign_answered or anonymous_answered:
                    problems.append(where)
    assert requests > 200
    assert not problems, "\n".join(problems)


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")
