"""A purchasing central for the reports tests: a lead authority with a coordinator, two member
authorities with approved accessions, a social-economy provider and an ordinary one, and a
second framework led by another authority that member A also joined."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.factories import (
    make_accession,
    make_active_framework,
    make_award,
    make_org,
    make_token,
    make_user,
    name_beneficiaries,
)


@dataclass
class Central:
    lead: object
    framework: object  # active, led by `lead`
    lot: object
    member_a: object
    member_b: object
    provider: object  # social economy (lde), awarded in `framework`
    ordinary: object  # no social-economy status, awarded in `framework` too
    other_lead: object
    other_framework: object  # led by `other_lead`; member A joined it too
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def central(db) -> Central:
    lead = make_org("authority", name="Stad Roeselare")
    member_a = make_org("authority", name="Gemeente Ardooie")
    member_b = make_org("authority", name="Gemeente Hooglede")
    provider = make_org("provider", name="Groep Intro LDE", social_economy_status="lde")
    ordinary = make_org("provider", name="Waterwerken NV")
    framework = make_active_framework(lead, providers=[provider])
    lot = framework.lots[0]
    make_award(lot, ordinary, rank=2)
    name_beneficiaries(framework, member_a, member_b, lead)
    make_accession(framework, member_a, order_reference="ARD-2025-0042")
    make_accession(framework, member_b, order_reference="HOO/BK/7")
    other_lead = make_org("authority", name="Stad Kortrijk")
    other_framework = make_active_framework(other_lead, providers=[provider])
    name_beneficiaries(other_framework, member_a)
    make_accession(other_framework, member_a, order_reference="ARD-KOR-1")
    users = {
        "admin": make_user("admin"),
        "coordinator": make_user("coordinator", lead),
        "other_coordinator": make_user("coordinator", other_lead),
        "member_a": make_user("member", member_a),
        "member_b": make_user("member", member_b),
        "provider": make_user("provider", provider),
    }
    tokens = {name: make_token(user) for name, user in users.items()}
    return Central(
        lead,
        framework,
        lot,
        member_a,
        member_b,
        provider,
        ordinary,
        other_lead,
        other_framework,
        users,
        tokens,
    )
