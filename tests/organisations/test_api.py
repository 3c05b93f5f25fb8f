"""Organisations through the API: the rules, bad input (400 with fields, nothing written), audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.organisations.models import Organisation
from tests.factories import make_org, make_token, make_user

VALID = {"name": "Gemeente Wingene", "kind": "authority", "enterprise_number": "0207446673"}


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


def counts(db) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Organisation.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def test_admin_creates_an_authority(api, db, admin):
    response = api(
        "POST",
        "/organisations",
        json={**VALID, "nis_code": "37018", "email": "info@wingene.example"},
    )
    assert response.status_code == 201
    body = response.json
    assert body == {
        "id": body["id"],
        "name": "Gemeente Wingene",
        "kind": "authority",
        "enterprise_number": "0207.446.673",
        "nis_code": "37018",
        "social_economy_status": "none",
        "email": "info@wingene.example",
        "fire_zone_id": None,
        "water_company_id": None,
        "invoice_prefix": "CEN-",
        "vat_registered": True,
        "vat_number": "BE0207446673",
        "iban": None,
    }
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "organisation.created", AuditEvent.object_id == body["id"]
        )
    )
    assert event.actor_id == admin.id and event.object_type == "organisations"
    assert event.created_at is not None


def test_a_provider_is_created_without_status_which_comes_from_recognitions(api, db):
    """SPEC 7.2: the status is read-only; a create naming one answers 409 and writes nothing."""
    body = {"name": "Kringwinkel Werkt", "kind": "provider", "enterprise_number": "0207.446.673"}
    before = counts(db)
    refused = api("POST", "/organisations", json={**body, "social_economy_status": "lde"})
    assert refused.status_code == 409
    assert "social_economy_status" in refused.json["error"]["fields"]
    assert counts(db) == before
    response = api("POST", "/organisations", json={**body, "social_economy_status": "none"})
    assert response.status_code == 201
    assert response.json["social_economy_status"] == "none"
    assert response.json["nis_code"] is None


def test_admin_updates_an_organisation_and_the_change_is_audited(api, db, admin):
    org = make_org()
    db.session.commit()
    old_name = org.name
    response = api("PATCH", f"/organisations/{org.id}", json={"name": "Stad Izegem"})
    assert response.status_code == 200
    assert response.json["name"] == "Stad Izegem"
    assert response.json["enterprise_number"] == org.enterprise_number
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "organisation.updated", AuditEvent.object_id == org.id
        )
    )
    assert event.actor_id == admin.id
    assert event.data == {
        "fields": ["name"],
        "changes": {"name": {"old": old_name, "new": "Stad Izegem"}},
    }


def test_an_update_that_changes_nothing_writes_no_audit_event(api, db):
    org = make_org()
    db.session.commit()
    before = counts(db)
    assert api("PATCH", f"/organisations/{org.id}", json={"name": org.name}).status_code == 200
    assert counts(db) == before


BAD_CREATES = [
    pytest.param({**VALID, "enterprise_number": "0207446674"}, "enterprise_number", id="kbo-mod97"),
    pytest.param({**VALID, "enterprise_number": "12345"}, "enterprise_number", id="kbo-short"),
    pytest.param(
        {**VALID, "enterprise_number": "02074466AB"}, "enterprise_number", id="kbo-letters"
    ),
    pytest.param({**VALID, "kind": "provider", "nis_code": "37018"}, "nis_code", id="nis-provider"),
    pytest.param({**VALID, "nis_code": "3701"}, "nis_code", id="nis-4-digits"),
    pytest.param(
        {**VALID, "social_economy_status": "charity"}, "social_economy_status", id="status-unknown"
    ),
    pytest.param({**VALID, "kind": "company"}, "kind", id="kind-unknown"),
    pytest.param({**VALID, "name": "   "}, "name", id="name-blank"),
    pytest.param({**VALID, "name": ""}, "name", id="name-empty"),
    pytest.param({**VALID, "name": 12}, "name", id="name-number"),
    pytest.param({**VALID, "email": "not-an-address"}, "email", id="email-invalid"),
    pytest.param({**VALID, "kind": None}, "kind", id="kind-null"),
    pytest.param({**VALID, "enterprise_number": ["0207446673"]}, "enterprise_number", id="list"),
    pytest.param({**VALID, "id": 5}, "id", id="id-given"),
    pytest.param({**VALID, "colour": "red"}, "colour", id="unknown-field"),
    pytest.param({"name": "Only a name"}, "kind", id="missing-fields"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CREATES)
def test_bad_organisation_input_answers_400_with_fields_and_writes_nothing(api, db, body, field):
    before = counts(db)
    response = api("POST", "/organisations", json=body)
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error" and error["message"]
    assert field in error["fields"], error
    assert counts(db) == before


def test_a_duplicate_enterprise_number_answers_400(api, db):
    existing = make_org()
    db.session.commit()
    before = counts(db)
    digits = existing.enterprise_number.replace(".", "")
    response = api("POST", "/organisations", json={**VALID, "enterprise_number": digits})
    assert response.status_code == 400
    assert "enterprise_number" in response.json["error"]["fields"]
    assert counts(db) == before


def test_a_duplicate_nis_code_answers_400(api, db):
    existing = make_org()
    db.session.commit()
    before = counts(db)
    response = api("POST", "/organisations", json={**VALID, "nis_code": existing.nis_code})
    assert response.status_code == 400
    assert "nis_code" in response.json["error"]["fields"]
    assert counts(db) == before


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"social_economy_status": "charity"}, "social_economy_status"),
        ({"enterprise_number": "0207446674"}, "enterprise_number"),
        ({"kind": "provider"}, "nis_code"),
        ({"name": None}, "name"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_bad_update_answers_400_and_changes_nothing(api, db, patch, field):
    org = make_org()
    db.session.commit()
    snapshot = {c: getattr(org, c) for c in ("name", "kind", "enterprise_number", "nis_code")}
    before = counts(db)
    response = api("PATCH", f"/organisations/{org.id}", json=patch)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert counts(db) == before
    db.session.refresh(org)
    assert {c: getattr(org, c) for c in snapshot} == snapshot


def test_the_kind_of_an_organisation_with_users_cannot_change(api, db):
    provider = make_org("provider")
    make_user("provider", org=provider)
    db.session.commit()
    response = api("PATCH", f"/organisations/{provider.id}", json={"kind": "authority"})
    assert response.status_code == 400
    assert "kind" in response.json["error"]["fields"]
    db.session.refresh(provider)
    assert provider.kind == "provider"


def test_the_kind_of_an_organisation_without_users_can_change(api, db):
    org = make_org("provider")
    db.session.commit()
    response = api("PATCH", f"/organisations/{org.id}", json={"kind": "authority"})
    assert response.status_code == 200 and response.json["kind"] == "authority"


def test_a_provider_with_recognitions_stays_a_provider(api, db):
    org = make_org("provider", social_economy_status="lde")
    db.session.commit()
    response = api("PATCH", f"/organisations/{org.id}", json={"kind": "authority"})
    assert response.status_code == 400
    assert "kind" in response.json["error"]["fields"]


def test_the_database_refuses_a_nis_code_on_a_provider_too(db):
    """The CHECK constraint holds even when the service is bypassed."""
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.IntegrityError), db.session.begin_nested():
        make_org("provider", nis_code="12345")


def test_the_list_is_ordered_by_name(api, db):
    make_org(name="Zwevezele")
    make_org(name="Aalter")
    db.session.commit()
    names = [o["name"] for o in api("GET", "/organisations?per_page=500").json]
    assert names == sorted(names)


def test_a_bad_iban_answers_400_with_a_clear_message_and_writes_nothing(api, db):
    org = make_org("provider")
    db.session.commit()
    before = counts(db)
    response = api("PATCH", f"/organisations/{org.id}", json={"iban": "BE68 5390 0754 7035"})
    assert response.status_code == 400
    assert "mod-97" in response.json["error"]["fields"]["iban"][0]
    assert counts(db) == before
    db.session.refresh(org)
    assert org.iban is None


def test_a_provider_is_given_its_iban_vat_registration_and_invoice_prefix(api, db):
    org = make_org("provider")
    db.session.commit()
    response = api(
        "PATCH",
        f"/organisations/{org.id}",
        json={"iban": "be68 5390 0754 7034", "vat_registered": False, "invoice_prefix": "LDE-"},
    )
    assert response.status_code == 200
    body = response.json
    assert (body["iban"], body["vat_registered"], body["vat_number"]) == (
        "BE68539007547034",
        False,
        None,
    )
    assert body["invoice_prefix"] == "LDE-"
    response = api("PATCH", f"/organisations/{org.id}", json={"invoice_prefix": "<script>"})
    assert response.status_code == 400 and "invoice_prefix" in response.json["error"]["fields"]
