"""The admin's organisation pages: list, filter, create and edit with the same rules as the API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.organisations.models import Organisation
from tests.conftest import csrf_token, use_english
from tests.factories import make_org, make_user

FORM = {
    "name": "Gemeente Wingene",
    "kind": "authority",
    "enterprise_number": "0207.446.673",
    "nis_code": "37018",
    "email": "",
}


@pytest.fixture
def as_admin(client, login_as, db):
    admin = make_user("admin")
    db.session.commit()
    use_english(client)
    login_as(admin)
    client.admin = admin
    return client


def post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def org_count(db) -> int:
    return db.session.scalar(select(func.count(Organisation.id)))


def test_the_list_filters_by_name_and_kind(as_admin, db):
    make_org("authority", name="Gemeente Pittem")
    make_org("provider", name="Pittem Groen vzw")
    make_org("authority", name="Stad Tielt")
    db.session.commit()
    html = as_admin.get("/admin/organisations?q=pittem").get_data(as_text=True)
    assert "Gemeente Pittem" in html and "Pittem Groen vzw" in html and "Stad Tielt" not in html
    html = as_admin.get("/admin/organisations?q=pittem&kind=provider").get_data(as_text=True)
    assert "Pittem Groen vzw" in html and "Gemeente Pittem" not in html


def test_the_admin_creates_an_organisation_through_the_form(as_admin, db):
    response = post(as_admin, "/admin/organisations/new", **FORM)
    assert response.status_code == 302
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente Wingene"))
    assert org.enterprise_number == "0207.446.673" and org.nis_code == "37018"
    assert org.email is None
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "organisation.created", AuditEvent.object_id == org.id
        )
    )
    assert event.actor_id == as_admin.admin.id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"enterprise_number": "0207.446.674"}, "mod-97"),
        ({"enterprise_number": ""}, "Enter the enterprise number"),
        ({"kind": "provider"}, "Only an authority has a NIS code"),
        ({"nis_code": "12"}, "five digits"),
        ({"name": ""}, "Enter the organisation"),
        ({"email": "nope"}, "valid e-mail"),
    ],
)
def test_bad_organisation_form_input_is_shown_and_writes_nothing(as_admin, db, changes, message):
    before = org_count(db)
    response = post(as_admin, "/admin/organisations/new", **{**FORM, **changes})
    assert response.status_code in (200, 400)
    assert message in response.get_data(as_text=True)
    assert org_count(db) == before


def test_a_duplicate_enterprise_number_on_the_form_answers_400(as_admin, db):
    existing = make_org()
    db.session.commit()
    before = org_count(db)
    response = post(
        as_admin,
        "/admin/organisations/new",
        **{**FORM, "enterprise_number": existing.enterprise_number},
    )
    assert response.status_code == 400
    assert "Another organisation already has this number" in response.get_data(as_text=True)
    assert org_count(db) == before


def test_the_admin_edits_an_organisation(as_admin, db):
    org = make_org("provider", name="Old name")
    db.session.commit()
    page = as_admin.get(f"/admin/organisations/{org.id}").get_data(as_text=True)
    assert 'value="Old name"' in page
    response = post(
        as_admin,
        f"/admin/organisations/{org.id}",
        **{
            **FORM,
            "name": "New name",
            "kind": "provider",
            "nis_code": "",
            "enterprise_number": org.enterprise_number,
        },
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "New name"


def test_an_unknown_organisation_answers_404(as_admin):
    assert as_admin.get("/admin/organisations/999999").status_code == 404


def test_rule_messages_are_shown_in_dutch_by_default(client, login_as, db):
    admin = make_user("admin")
    db.session.commit()
    login_as(admin)
    response = post(
        client, "/admin/organisations/new", **{**FORM, "enterprise_number": "0207.446.674"}
    )
    html = response.get_data(as_text=True)
    assert "mod-97-controle" in html and "fails the mod-97 check" not in html


def test_a_bad_iban_on_the_form_is_refused_with_a_clear_message(as_admin, db):
    before = org_count(db)
    response = post(
        as_admin,
        "/admin/organisations/new",
        **{**FORM, "kind": "provider", "nis_code": "", "iban": "BE68 5390 0754 7035"},
    )
    assert response.status_code == 400
    assert "fails the mod-97 check" in response.get_data(as_text=True)
    assert org_count(db) == before
