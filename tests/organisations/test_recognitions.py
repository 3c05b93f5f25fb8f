"""SPEC 7.2 social-economy recognitions: the admin records them, the organisation's status is the
one valid today and read-only, awards of reserved lots and reserved work check the date, and the
status kept on awards and statement lines is what reports use (a later change never rewrites the
past). Every refusal writes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.core.errors import ValidationError
from central.core.mail import OutgoingMail
from central.extensions import db
from central.frameworks import services as framework_services
from central.organisations.models import Recognition
from central.planning.jobs import assign_rounds
from central.reports import builders
from central.reports import services as report_services
from central.reports.models import StatementLine
from tests.conftest import csrf_token
from tests.factories import (
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_round,
    make_token,
    make_user,
    make_work,
    recognise,
)

TODAY = date(2026, 3, 4)
EN = {"Accept-Language": "en"}


@pytest.fixture
def admin(db):
    user = make_user("admin")
    db.session.commit()
    return user


@pytest.fixture
def api(client, admin):
    headers = {"Authorization": f"Bearer {make_token(admin)}", **EN}

    def call(method: str, path: str, **kwargs):
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Recognition.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def test_the_admin_records_a_recognition_and_the_status_follows_with_old_and_new_audited(api):
    provider = make_org("provider")
    db.session.commit()
    body = {"status": "lde", "number": "LDE-2024-0117", "valid_from": "2024-01-01"}
    with frozen_today(TODAY):
        response = api("POST", f"/organisations/{provider.id}/recognitions", json=body)
        assert response.status_code == 201, response.json
        assert response.json["number"] == "LDE-2024-0117"
        assert response.json["valid_until"] is None and response.json["valid_today"] is True
        assert api("GET", f"/organisations/{provider.id}").json["social_economy_status"] == "lde"
        listed = api("GET", f"/organisations/{provider.id}/recognitions").json
    assert [r["number"] for r in listed] == ["LDE-2024-0117"]
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation.recognition_added")
    ).one()
    assert event.data["changes"] == {"social_economy_status": {"old": "none", "new": "lde"}}


def test_bad_recognitions_name_every_error_at_once_and_write_nothing(api):
    provider = make_org("provider")
    db.session.commit()
    before = counts()
    response = api(
        "POST",
        f"/organisations/{provider.id}/recognitions",
        json={"status": "lde", "number": " ", "valid_from": "2026-05-01", "valid_until": None},
    )
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"number"}
    response = api(
        "POST",
        f"/organisations/{provider.id}/recognitions",
        json={
            "status": "lde",
            "number": "",
            "valid_from": "2026-05-01",
            "valid_until": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"number", "valid_until"}
    assert counts() == before


def test_only_a_provider_has_recognitions_and_only_the_admin_records_them(api, client, db):
    authority = make_org("authority")
    provider = make_org("provider")
    member_token = make_token(make_user("member", authority))
    db.session.commit()
    body = {"status": "lde", "number": "X-1", "valid_from": "2024-01-01"}
    before = counts()
    response = api("POST", f"/organisations/{authority.id}/recognitions", json=body)
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/organisations/{provider.id}/recognitions",
        json=body,
        headers={"Authorization": f"Bearer {member_token}"},
    )
    assert response.status_code in (403, 404)
    assert counts() == before


def test_the_status_is_read_only_a_write_of_another_value_answers_409(api):
    provider = make_org("provider", social_economy_status="lde")
    db.session.commit()
    before = counts()
    response = api("PATCH", f"/organisations/{provider.id}", json={"social_economy_status": "none"})
    assert response.status_code == 409
    assert "recognition" in response.json["error"]["message"]
    assert "social_economy_status" in response.json["error"]["fields"]
    assert counts() == before
    same = api("PATCH", f"/organisations/{provider.id}", json={"social_economy_status": "lde"})
    assert same.status_code == 200


def test_the_status_is_the_one_valid_today_and_the_admin_ends_a_recognition(api):
    provider = make_org("provider")
    recognition = recognise(provider, "maatwerkbedrijf", date(2024, 1, 1), date(2026, 3, 31))
    db.session.commit()
    with frozen_today(date(2026, 3, 31)):
        assert provider.social_economy_status == "maatwerkbedrijf"
    with frozen_today(date(2026, 4, 1)):
        assert provider.social_economy_status == "none"
    with frozen_today(TODAY):
        response = api(
            "PATCH",
            f"/organisations/{provider.id}/recognitions/{recognition.id}",
            json={"valid_until": "2026-03-01"},
        )
        assert response.status_code == 200, response.json
        assert api("GET", f"/organisations/{provider.id}").json["social_economy_status"] == "none"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation.recognition_changed")
    ).one()
    assert event.data["changes"]["valid_until"] == {"old": "2026-03-31", "new": "2026-03-01"}
    assert event.data["changes"]["social_economy_status"] == {
        "old": "maatwerkbedrijf",
        "new": "none",
    }


def test_a_migrated_recognition_is_completed_with_its_number(api):
    provider = make_org("provider")
    recognition = recognise(provider, "lde", number=None, to_complete=True)
    db.session.commit()
    response = api(
        "PATCH",
        f"/organisations/{provider.id}/recognitions/{recognition.id}",
        json={"number": "LDE-2019-0042", "status": "maatwerkbedrijf"},
    )
    assert response.status_code == 400  # the status is fixed: a new one is a new recognition
    assert set(response.json["error"]["fields"]) == {"status"}
    response = api(
        "PATCH",
        f"/organisations/{provider.id}/recognitions/{recognition.id}",
        json={"number": "LDE-2019-0042"},
    )
    assert response.status_code == 200
    assert response.json["to_complete"] is False and response.json["number"] == "LDE-2019-0042"


# --- awards and assignment ----------------------------------------------------------------------


def test_a_reserved_lot_is_awarded_only_with_a_recognition_valid_on_the_award_date(db):
    lead = make_org("authority")
    coordinator = make_user("coordinator", lead)
    lot = make_lot(make_framework(lead), reserved=True)
    expired = make_org("provider")
    recognise(expired, "lde", date(2020, 1, 1), date(2026, 3, 3))
    future = make_org("provider")
    recognise(future, "lde", date(2026, 3, 5))
    valid = make_org("provider")
    recognise(valid, "maatwerkbedrijf", date(2026, 3, 4), date(2026, 3, 4))
    with frozen_today(TODAY):
        for provider in (expired, future):
            with pytest.raises(ValidationError) as refused:
                framework_services.award_lot(
                    lot,
                    {"provider_id": provider.id, "rank": 1, "weekly_capacity": 10},
                    actor=coordinator,
                )
            assert "provider_id" in refused.value.fields
        award = framework_services.award_lot(
            lot, {"provider_id": valid.id, "rank": 1, "weekly_capacity": 10}, actor=coordinator
        )
    assert award.social_economy_status == "maatwerkbedrijf"  # kept as it was


def test_reserved_work_goes_down_the_cascade_when_the_first_is_not_recognised_that_day(db):
    member = make_org("authority")
    lead = make_org("authority")
    framework = make_framework(lead, status="active")
    lot = make_lot(framework, reserved=True)
    first = make_org("provider")
    recognise(first, "lde", date(2020, 1, 1), date(2026, 3, 3))  # ended before the week
    second = make_org("provider", social_economy_status="lde")
    make_award(lot, first, rank=1)
    make_award(lot, second, rank=2)
    from tests.factories import make_asset, make_task_type

    make_task_type(lot)
    round_ = make_round(lot, member, [make_asset(member)], due_date=TODAY + timedelta(days=20))
    db.session.commit()
    make_user("coordinator", lead)
    db.session.commit()
    counts = assign_rounds(db.session, TODAY)
    db.session.refresh(round_)
    assert round_.provider_id == second.id
    assert counts["passed_over_unrecognised"] == 1  # and the lead coordinators are told
    (mail,) = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.subject.contains(framework.reference))
    ).all()
    assert f"#{round_.id}" in mail.body and first.name in mail.body


# --- what was kept ------------------------------------------------------------------------------


@pytest.fixture
def billed_lde(db):
    """An LDE, awarded, with €100 of work accepted in June 2025, billed on 1 July 2025."""
    from tests.factories import make_accession, make_active_framework, name_beneficiaries

    lead = make_org("authority")
    member = make_org("authority")
    provider = make_org("provider", name="Groep Intro LDE")
    recognition = recognise(provider, "lde", date(2020, 1, 1))
    with frozen_today(date(2025, 1, 1)):
        framework = make_active_framework(lead, providers=[provider])
    name_beneficiaries(framework, member)
    make_accession(framework, member)
    make_work(framework.lots[0], member, provider, [{"unit_price": "100.00"}])
    report_services.issue_statements(db.session, date(2025, 7, 1))
    db.session.commit()
    return framework, provider, recognition


def test_ending_a_recognition_never_rewrites_past_social_spend(billed_lde, admin):
    """Issue 14's repro: setting a real LDE to none dropped its past social spend to €0."""
    from central.organisations.services import update_recognition

    framework, provider, recognition = billed_lde
    (line,) = db.session.scalars(select(StatementLine)).all()
    assert line.social_economy_status == "lde"

    def social() -> Decimal:
        data = builders.build_social_impact(
            db.session, framework, 2025, hours_per_fte=Decimal("1976")
        )
        return data["totals"]["social_spend"]

    assert social() == Decimal("100.00")
    with frozen_today(TODAY):
        update_recognition(recognition, {"valid_until": date(2026, 3, 1)}, actor=admin)
        db.session.commit()
        assert provider.social_economy_status == "none"
        assert social() == Decimal("100.00")
        (provider_row,) = builders.build_social_impact(
            db.session, framework, 2025, hours_per_fte=Decimal("1976")
        )["providers"]
        assert provider_row["social_economy_status"] == "lde"


def test_work_under_an_award_made_without_status_is_not_social_spend_later(billed_lde):
    """The other way round: recognised today, but the award relied on no status then."""
    framework, provider, _recognition = billed_lde
    award = framework.lots[0].awards[0]
    award.social_economy_status = "none"
    db.session.commit()
    data = builders.build_social_impact(db.session, framework, 2025, hours_per_fte=Decimal("1976"))
    assert provider.social_economy_status == "lde"
    assert data["totals"]["spend"] == Decimal("100.00")
    assert data["totals"]["social_spend"] == Decimal("0.00")


# --- the admin's page ---------------------------------------------------------------------------


def test_the_admin_page_lists_recognitions_and_shows_every_error_at_once(login_as, db, admin):
    provider = make_org("provider", name="Kringwinkel")
    recognise(provider, "lde", number=None, to_complete=True)
    db.session.commit()
    client = login_as(admin)
    page = client.get(f"/admin/organisations/{provider.id}/recognitions")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Erkenningen" in text and "aan te vullen" in text
    before = counts()
    response = client.post(
        f"/admin/organisations/{provider.id}/recognitions",
        data={
            "status": "lde",
            "number": "",
            "valid_from": "",
            "valid_until": "2020-01-01",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert text.count('class="error-message"') == 2  # number and start, together
    assert counts() == before
    response = client.post(
        f"/admin/organisations/{provider.id}/recognitions",
        data={
            "status": "lde",
            "number": "LDE-1",
            "valid_from": "2024-01-01",
            "valid_until": "",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
    assert counts()[0] == before[0] + 1


def test_the_admin_completes_a_recognition_on_its_page(login_as, db, admin):
    """A recognition without number (made by the migration) is completed in the UI, not only
    through PATCH: every error at once, status and start fixed, audited with old and new."""
    provider = make_org("provider", name="Kringwinkel Midwest")
    recognition = recognise(provider, "lde", number=None, to_complete=True)
    other = make_org("provider", name="Elders vzw")
    db.session.commit()
    client = login_as(admin)
    listing = client.get(f"/admin/organisations/{provider.id}/recognitions").get_data(as_text=True)
    path = f"/admin/organisations/{provider.id}/recognitions/{recognition.id}"
    assert f'href="{path}"' in listing
    page = client.get(path)
    assert page.status_code == 200
    assert "Erkenning aanvullen" in page.get_data(as_text=True)
    refused = client.post(
        path,
        data={
            "number": "",
            "valid_until": (recognition.valid_from - timedelta(days=1)).isoformat(),
            "csrf_token": csrf_token(client),
        },
    )
    assert refused.status_code == 400
    assert refused.get_data(as_text=True).count('class="error-message"') == 2
    db.session.refresh(recognition)
    assert recognition.number is None and recognition.to_complete
    saved = client.post(
        path,
        data={"number": "LDE-2019-0042", "valid_until": "", "csrf_token": csrf_token(client)},
    )
    assert saved.status_code == 302
    db.session.refresh(recognition)
    assert recognition.number == "LDE-2019-0042" and not recognition.to_complete
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "organisation.recognition_changed")
    )
    assert event.data["changes"]["number"] == {"old": None, "new": "LDE-2019-0042"}
    # A recognition of another organisation is not found under this one.
    assert (
        client.get(f"/admin/organisations/{other.id}/recognitions/{recognition.id}").status_code
        == 404
    )
