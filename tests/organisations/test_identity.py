"""SPEC 7.2: an organisation's name, enterprise number and kind are fixed once it is in use (a
beneficiary of a concluded framework, awarded a lot, or named on an issued statement): 409,
nothing written. Other fields still change, and every change is audited with old and new values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.validators import kbo_with_check_digits
from tests.conftest import csrf_token, use_english
from tests.factories import (
    make_accession,
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_token,
    make_user,
    name_beneficiaries,
)

OTHER_KBO = kbo_with_check_digits("07654321")


@pytest.fixture
def admin(db):
    user = make_user("admin")
    db.session.commit()
    return user


@pytest.fixture
def api(client, admin):
    headers = {"Authorization": f"Bearer {make_token(admin)}"}

    def call(method: str, path: str, **kwargs):
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def audit_count(db) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def identity(org) -> tuple:
    return (org.name, org.enterprise_number, org.kind, org.nis_code)


def named_beneficiary(status: str = "active"):
    member = make_org("authority", name="Gemeente Ledegem", nis_code="36010")
    framework = make_framework(status=status)
    make_lot(framework)
    name_beneficiaries(framework, member)
    return member


def acceded_member():
    member = make_org("authority")
    framework = make_framework(status="exhausted")
    make_lot(framework)
    make_accession(framework, member)
    return member


def awarded_provider():
    provider = make_org("provider")
    make_award(make_lot(make_framework()), provider)
    return provider


def member_with_a_statement():
    from central.reports.models import Statement

    member, provider = make_org("authority"), make_org("provider")
    framework = make_framework(status="active")
    zero = Decimal("0.00")
    from central.extensions import db

    db.session.add(
        Statement(
            number="CEN-2026-00001",
            series_year=2026,
            sequence=1,
            payment_reference="+++000/0000/00097+++",
            framework_id=framework.id,
            member_id=member.id,
            provider_id=provider.id,
            month="2026-05",
            order_reference="ORDER",
            framework_reference=framework.reference,
            member_name=member.name,
            member_enterprise_number=member.enterprise_number,
            provider_name=provider.name,
            provider_enterprise_number=provider.enterprise_number,
            total_excl_vat=zero,
            vat=zero,
            total_incl_vat=zero,
        )
    )
    db.session.flush()
    return member


IN_USE = [
    pytest.param(named_beneficiary, id="beneficiary-of-active-framework"),
    pytest.param(acceded_member, id="approved-accession"),
    pytest.param(awarded_provider, id="awarded-a-lot"),
    pytest.param(member_with_a_statement, id="issued-statement"),
]


def test_a_named_beneficiary_cannot_be_renamed_into_another_municipality(api, db):
    """The issue's case: Gemeente Ledegem became Stad Menen, with another KBO and NIS code."""
    member = named_beneficiary()
    db.session.commit()
    before, events = identity(member), audit_count(db)
    response = api(
        "PATCH",
        f"/organisations/{member.id}",
        json={"name": "Stad Menen", "enterprise_number": OTHER_KBO, "nis_code": "34027"},
    )
    assert response.status_code == 409, response.json
    error = response.json["error"]
    assert error["code"] == "conflict"
    assert "in gebruik" in error["message"] and "begunstigde" in error["message"]
    assert set(error["fields"]) == {"name", "enterprise_number"}
    db.session.expire_all()
    assert identity(member) == before
    assert audit_count(db) == events


@pytest.mark.parametrize("make", IN_USE)
@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"name": "Een andere naam"}, id="name"),
        pytest.param({"enterprise_number": OTHER_KBO}, id="enterprise_number"),
        pytest.param({"kind": "fire_zone", "nis_code": None}, id="kind"),
    ],
)
def test_the_identity_of_an_organisation_in_use_is_fixed(api, db, make, change):
    org = make()
    db.session.commit()
    before, events = identity(org), audit_count(db)
    response = api("PATCH", f"/organisations/{org.id}", json=change)
    assert response.status_code == 409, response.json
    field = next(iter(change))
    assert field in response.json["error"]["fields"]
    db.session.expire_all()
    assert identity(org) == before
    assert audit_count(db) == events


@pytest.mark.parametrize("make", IN_USE)
def test_an_organisation_in_use_still_changes_its_other_fields(api, db, make):
    org = make()
    db.session.commit()
    digits = org.enterprise_number.replace(".", "")  # the same number, written otherwise
    response = api(
        "PATCH",
        f"/organisations/{org.id}",
        json={"name": org.name, "enterprise_number": digits, "email": "post@example.org"},
    )
    assert response.status_code == 200, response.json
    assert response.json["email"] == "post@example.org"


def test_a_beneficiary_of_a_draft_framework_can_still_be_renamed(api, db):
    member = named_beneficiary(status="draft")
    db.session.commit()
    response = api(
        "PATCH", f"/organisations/{member.id}", json={"name": "Gemeente Ledegem-Rollegem"}
    )
    assert response.status_code == 200
    assert response.json["name"] == "Gemeente Ledegem-Rollegem"


def test_an_organisation_change_is_audited_with_old_and_new_values(api, db, admin):
    org = make_org("provider", name="Groen vzw")
    db.session.commit()
    response = api(
        "PATCH",
        f"/organisations/{org.id}",
        json={"name": "Groen en Werk vzw", "iban": "BE68 5390 0754 7034"},
    )
    assert response.status_code == 200
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "organisation.updated", AuditEvent.object_id == org.id
        )
    )
    assert event.actor_id == admin.id
    assert event.data == {
        "fields": ["iban", "name"],
        "changes": {
            "iban": {"old": None, "new": "BE68539007547034"},
            "name": {"old": "Groen vzw", "new": "Groen en Werk vzw"},
        },
    }


@pytest.fixture
def as_admin(client, login_as, admin):
    use_english(client)
    login_as(admin)
    return client


def test_the_organisation_form_shows_the_fixed_identity_on_its_fields(as_admin, db):
    member = named_beneficiary()
    db.session.commit()
    before, events = identity(member), audit_count(db)
    response = as_admin.post(
        f"/admin/organisations/{member.id}",
        data={
            "name": "Stad Menen",
            "kind": "authority",
            "enterprise_number": OTHER_KBO,
            "nis_code": "34027",
            "social_economy_status": "none",
            "email": "",
            "invoice_prefix": "CEN-",
            "csrf_token": csrf_token(as_admin),
        },
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.count("Fixed once the organisation is in use") == 2
    db.session.expire_all()
    assert identity(member) == before
    assert audit_count(db) == events


def test_the_organisation_form_explains_the_fixed_identity_in_dutch(client, login_as, admin, db):
    member = named_beneficiary()
    db.session.commit()
    login_as(admin)
    response = client.post(
        f"/admin/organisations/{member.id}",
        data={
            "name": "Stad Menen",
            "kind": "authority",
            "enterprise_number": member.enterprise_number,
            "nis_code": member.nis_code,
            "social_economy_status": "none",
            "email": "",
            "invoice_prefix": "CEN-",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 409
    assert "in gebruik" in response.get_data(as_text=True)
