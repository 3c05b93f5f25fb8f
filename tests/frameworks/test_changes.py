"""The changes register (SPEC 7.2; KB AUR art. 38 ff.): on an active framework a new price line
(other than a tendered one), a new task type or a raised maximum needs a recorded change on a
legal ground, within that ground's limit (409 otherwise, nothing written); changes are listed,
audited with old and new values, shown on the framework page and published in OCDS."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.core.errors import Conflict, ValidationError
from central.extensions import db
from central.frameworks import services
from central.frameworks.models import FrameworkChange, PriceLine, TaskType
from tests.conftest import use_english
from tests.factories import (
    make_active_framework,
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_price,
    make_task_type,
    make_token,
    make_user,
    name_beneficiaries,
)
from tests.reports.validation import ocds_errors

TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def today():
    with frozen_today(TODAY):
        yield


@pytest.fixture
def framework():
    """An active hydrant framework (maximum 500,000.00 as awarded) with a lot maximum."""
    framework = make_active_framework()
    framework.initial_max_value = framework.max_value
    framework.lots[0].max_value = Decimal("300000.00")
    framework.coordinator = make_user("coordinator", framework.lead_organisation)
    db.session.flush()
    return framework


def change(framework, **values) -> FrameworkChange:
    values = {"kind": "additional_services", "description": "Painting of hydrants", **values}
    if values["kind"] in ("additional_services", "unforeseen"):
        values.setdefault("justification", "The fire brigade asks for visible hydrants.")
    return services.record_change(framework, values, actor=framework.coordinator)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot(framework) -> tuple:
    db.session.expire_all()
    return (
        framework.max_value,
        framework.lots[0].max_value,
        count(FrameworkChange),
        count(PriceLine),
        count(TaskType),
    )


def test_a_new_price_on_an_active_framework_needs_a_recorded_change(framework):
    """The issue's case: the inspection price raised ×10 from today, 201 with no legal basis."""
    lot = framework.lots[0]
    before = snapshot(framework)
    with pytest.raises(Conflict) as exc:
        services.add_price_line(
            lot,
            {"task_type": "hydrant_inspection", "unit_price": "185.00", "valid_from": TODAY},
            actor=framework.coordinator,
        )
    assert "change_id" in exc.value.fields
    assert snapshot(framework) == before


def test_a_new_task_type_on_an_active_framework_needs_a_recorded_change(framework):
    """The issue's case: a new service ("painting") added to the hydrant lot."""
    before = snapshot(framework)
    with pytest.raises(Conflict) as exc:
        services.create_task_type(
            framework.lots[0], {"code": "painting", "name": "Painting"}, actor=framework.coordinator
        )
    assert "change_id" in exc.value.fields
    assert snapshot(framework) == before


def test_a_change_raises_the_maximum_and_carries_the_new_task_type_and_price(framework):
    lot = framework.lots[0]
    recorded = change(framework, value="450.00", lot_id=lot.id)
    assert (framework.max_value, lot.max_value) == (Decimal("500450.00"), Decimal("300450.00"))
    assert framework.initial_max_value == Decimal("500000.00")
    assert (recorded.max_value_before, recorded.max_value_after) == (
        Decimal("500000.00"),
        Decimal("500450.00"),
    )
    painting = services.create_task_type(
        lot,
        {"code": "painting", "name": "Painting", "change_id": recorded.id},
        actor=framework.coordinator,
    )
    line = services.add_price_line(
        lot,
        {"task_type": "painting", "unit_price": "45.00", "change_id": recorded.id},
        actor=framework.coordinator,
    )
    assert painting.change_id == recorded.id and line.change_id == recorded.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "framework.changed"))
    assert event.data["max_value"] == {"old": "500000.00", "new": "500450.00"}
    assert event.data["lot_max_value"] == {"old": "300000.00", "new": "300450.00"}
    assert event.data["kind"] == "additional_services"


def test_a_negative_change_lowers_nothing_but_is_recorded(framework):
    recorded = change(framework, kind="de_minimis", value="-1000.00")
    assert recorded.value == Decimal("-1000.00")
    assert framework.max_value == Decimal("500000.00")


@pytest.mark.parametrize("kind", ["additional_services", "unforeseen"])
def test_additional_services_or_unforeseen_are_at_most_half_the_initial_maximum(framework, kind):
    before = snapshot(framework)
    with pytest.raises(Conflict) as exc:
        change(framework, kind=kind, value="250000.01")
    assert "value" in exc.value.fields and "250000.00" in str(exc.value)
    assert snapshot(framework) == before
    assert change(framework, kind=kind, value="250000.00").max_value_after == Decimal("750000.00")


@pytest.mark.parametrize("kind", ["additional_services", "unforeseen"])
def test_additional_services_or_unforeseen_need_a_justification(framework, kind):
    with pytest.raises(ValidationError) as exc:
        change(framework, kind=kind, value="10.00", justification="")
    assert "justification" in exc.value.fields


def test_de_minimis_changes_together_stay_below_ten_percent_of_the_initial_maximum(framework):
    change(framework, kind="de_minimis", value="30000.00")
    with pytest.raises(Conflict) as exc:
        change(framework, kind="de_minimis", value="20000.00")  # together 50,000 = 10 %
    assert "50000.00" in str(exc.value)
    change(framework, kind="de_minimis", value="19999.99")


def test_de_minimis_changes_stay_below_the_eu_threshold(framework):
    framework.initial_max_value = framework.max_value = Decimal("5000000.00")
    with pytest.raises(Conflict) as exc:
        change(framework, kind="de_minimis", value="216000.00")  # 10 % would be 500,000
    assert "216000.00" in str(exc.value)
    change(framework, kind="de_minimis", value="215999.99")


def test_a_review_clause_change_needs_the_frameworks_revision_clause(framework):
    with pytest.raises(Conflict):
        change(framework, kind="review_clause", value="0")
    framework.revision_clause = "Yearly, by the Agoria labour-cost index (ref. 2025-01)."
    recorded = change(framework, kind="review_clause", value="12000.00")
    line = services.add_price_line(
        framework.lots[0],
        {"task_type": "hydrant_inspection", "unit_price": "19.10", "change_id": recorded.id},
        actor=framework.coordinator,
    )
    assert line.valid_from == TODAY


def test_a_provider_substitution_names_both_providers_and_changes_no_value(framework):
    lot = framework.lots[0]
    old = lot.awards[0].provider
    new = make_org("provider", social_economy_status="lde")
    values = {"kind": "provider_substitution", "old_provider_id": old.id}
    with pytest.raises(ValidationError):
        change(framework, **values, new_provider_id=new.id, value="100.00")
    with pytest.raises(ValidationError) as exc:
        change(framework, **values, new_provider_id=old.id, value="0")
    assert "new_provider_id" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        change(
            framework, kind="provider_substitution", old_provider_id=new.id, new_provider_id=old.id
        )
    assert "old_provider_id" in exc.value.fields
    recorded = change(framework, **values, new_provider_id=new.id, value="0")
    assert (recorded.old_provider_id, recorded.new_provider_id) == (old.id, new.id)
    with pytest.raises(Conflict):  # a substitution carries no new price
        services.add_price_line(
            lot,
            {"task_type": "hydrant_inspection", "unit_price": "1", "change_id": recorded.id},
            actor=framework.coordinator,
        )


def test_a_change_of_another_framework_or_lot_carries_nothing(framework):
    other = make_active_framework()
    other.initial_max_value = other.max_value
    other.coordinator = make_user("coordinator", other.lead_organisation)
    foreign = change(other, value="10.00")
    second_lot = make_lot(framework, number=2)
    elsewhere = change(framework, value="10.00", lot_id=second_lot.id)
    for recorded in (foreign, elsewhere):
        with pytest.raises(Conflict) as exc:
            services.add_price_line(
                framework.lots[0],
                {"task_type": "hydrant_inspection", "unit_price": "20", "change_id": recorded.id},
                actor=framework.coordinator,
            )
        assert "change_id" in exc.value.fields


def test_a_change_cannot_precede_its_effect(framework):
    recorded = change(framework, value="10.00", effective_from=date(2026, 5, 1))
    with pytest.raises(Conflict) as exc:
        services.add_price_line(
            framework.lots[0],
            {"task_type": "hydrant_inspection", "unit_price": "20", "change_id": recorded.id},
            actor=framework.coordinator,
        )
    assert "valid_from" in exc.value.fields


def test_changes_are_recorded_only_on_a_running_framework(framework):
    draft = make_framework(framework.lead_organisation)
    draft.coordinator = framework.coordinator
    with pytest.raises(Conflict):
        change(draft, value="10.00")


def test_only_the_lead_coordinator_records_a_change(framework):
    from central.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.record_change(
            framework,
            {"kind": "de_minimis", "description": "x", "value": "1"},
            actor=make_user("coordinator"),
        )


def test_a_tendered_line_is_entered_once_for_a_provider_without_one(framework):
    lot = framework.lots[0]
    second = make_award(lot, make_org("provider", social_economy_status="lde"), rank=2).provider
    tendered = {"task_type": "hydrant_inspection", "unit_price": "17.90", "as_tendered": True}
    line = services.add_price_line(
        lot, {**tendered, "provider_id": second.id}, actor=framework.coordinator
    )
    assert line.as_tendered and line.valid_from == framework.start_date and line.change_id is None
    with pytest.raises(Conflict) as exc:
        services.add_price_line(
            lot, {**tendered, "provider_id": second.id}, actor=framework.coordinator
        )
    assert "as_tendered" in exc.value.fields
    with pytest.raises(Conflict):  # the common line is not a provider's tender
        services.add_price_line(lot, tendered, actor=framework.coordinator)


def test_a_draft_takes_prices_and_task_types_without_a_change(framework):
    draft = make_framework(framework.lead_organisation)
    lot = make_lot(draft)
    services.create_task_type(lot, {"code": "painting", "name": "P"}, actor=framework.coordinator)
    line = services.add_price_line(
        lot,
        {"task_type": "painting", "unit_price": "45.00", "as_tendered": True},
        actor=framework.coordinator,
    )
    assert line.as_tendered and line.valid_from == draft.start_date


def test_the_initial_maximum_is_frozen_at_activation(framework):
    draft = make_framework(framework.lead_organisation)
    lot = make_lot(draft)
    make_price(make_task_type(lot))
    make_award(lot)
    name_beneficiaries(draft, make_org("authority"))
    assert draft.initial_max_value is None
    services.activate_framework(draft, actor=framework.coordinator)
    assert draft.initial_max_value == draft.max_value == Decimal("500000.00")
    draft.coordinator = framework.coordinator
    change(draft, value="1000.00")
    assert draft.initial_max_value == Decimal("500000.00")


def test_raising_the_maximum_reopens_an_exhausted_framework(framework):
    framework.status = "exhausted"
    db.session.flush()
    change(framework, value="1000.00")
    assert framework.status == "active"


# --- API, page, OCDS ---------------------------------------------------------------------------


@pytest.fixture
def api(client, framework):
    db.session.commit()

    def call(user, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {make_token(user)}", "Accept-Language": "en"}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def test_changes_are_recorded_and_listed_through_the_api(api, framework):
    path = f"/frameworks/{framework.id}/changes"
    body = {
        "kind": "unforeseen",
        "description": "Storm damage",
        "justification": "The storm of February 2026.",
        "value": "2500.00",
        "effective_from": "2026-03-10",
        "lot_id": framework.lots[0].id,
    }
    response = api(framework.coordinator, "POST", path, json=body)
    assert response.status_code == 201, response.json
    assert response.json["max_value_after"] == "502500.00"
    listed = api(framework.coordinator, "GET", path)
    assert [c["kind"] for c in listed.json] == ["unforeseen"]
    member = make_user("member")
    assert api(member, "POST", path, json=body).status_code in (403, 404)
    body = {**body, "value": "250000.01"}
    response = api(framework.coordinator, "POST", path, json=body)
    assert response.status_code == 409
    assert len(api(framework.coordinator, "GET", path).json) == 1


def test_a_price_write_without_a_change_answers_409_through_the_api(api, framework):
    response = api(
        framework.coordinator,
        "POST",
        f"/lots/{framework.lots[0].id}/prices",
        json={"task_type": "hydrant_inspection", "unit_price": "0.00", "valid_from": "2026-03-05"},
    )
    assert response.status_code == 409
    assert "change_id" in response.json["error"]["fields"]


def test_the_framework_page_lists_the_changes(client, login_as, framework):
    change(framework, value="450.00", description="Painting of hydrants")
    db.session.commit()
    use_english(client)
    login_as(framework.coordinator)
    page = client.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert "Changes during the term" in page
    assert "Additional services (art. 38/1)" in page and "Painting of hydrants" in page
    assert "€500,450.00" in page


def test_changes_are_published_in_ocds_as_amendments(client, framework):
    change(framework, value="450.00", description="Painting of hydrants")
    db.session.commit()
    package = client.get(f"/api/v1/frameworks/{framework.id}/ocds").json
    assert ocds_errors(package) == []
    release = package["releases"][0]
    amendments = release["contracts"][0]["amendments"]
    assert [a["id"] for a in amendments] == [f"change-{framework_change_id()}"]
    assert "additional services" in amendments[0]["rationale"]
    assert "contractAmendment" in release["tag"]


def test_the_change_form_shows_every_error_at_once(client, login_as, framework):
    """A missing description and the ground's own rule (a justification) on one submit."""
    from tests.conftest import csrf_token

    db.session.commit()
    use_english(client)
    login_as(framework.coordinator)
    response = client.post(
        f"/frameworks/{framework.id}/changes/new",
        data={
            "kind": "additional_services",
            "lot_id": "",
            "description": "",
            "justification": "",
            "value": "450.00",
            "effective_from": "2026-03-04",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="description-error"' in page
    assert "Say why the law allows this change." in page
    assert db.session.scalar(select(func.count()).select_from(FrameworkChange)) == 0


def framework_change_id() -> int:
    return db.session.scalar(select(FrameworkChange.id))


def test_a_negative_change_through_the_api_is_recorded(api, framework):
    response = api(
        framework.coordinator,
        "POST",
        f"/frameworks/{framework.id}/changes",
        json={"kind": "de_minimis", "description": "Fewer hydrants", "value": "-1500.50"},
    )
    assert response.status_code == 201, response.json
    assert response.json["value"] == "-1500.50"
    assert response.json["max_value_after"] == "500000.00"


def test_the_coordinator_records_a_change_and_prices_under_it_through_the_pages(
    client, login_as, framework
):
    from tests.conftest import csrf_token

    lot = framework.lots[0]
    db.session.commit()
    use_english(client)
    login_as(framework.coordinator)
    assert "Record a change" in client.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    response = client.post(
        f"/frameworks/{framework.id}/changes/new",
        data={
            "kind": "additional_services",
            "lot_id": str(lot.id),
            "description": "Painting of hydrants",
            "justification": "",
            "value": "450.00",
            "effective_from": "2026-03-04",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 400  # the justification the law asks for
    assert "Say why the law allows this change." in response.get_data(as_text=True)
    response = client.post(
        f"/frameworks/{framework.id}/changes/new",
        data={
            "kind": "additional_services",
            "lot_id": str(lot.id),
            "description": "Painting of hydrants",
            "justification": "The fire brigade asks for visible hydrants.",
            "value": "450.00",
            "effective_from": "2026-03-04",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    recorded = db.session.scalar(select(FrameworkChange))
    assert recorded.value == Decimal("450.00")
    price = {
        "task_type": "hydrant_inspection",
        "provider_id": "",
        "unit": "piece",
        "unit_price": "19.00",
        "vat_rate": "21",
        "valid_from": "2026-03-05",
        "csrf_token": csrf_token(client),
    }
    form = client.get(f"/lots/{lot.id}/prices/new").get_data(as_text=True)
    assert "Painting of hydrants" in form
    response = client.post(f"/lots/{lot.id}/prices/new", data={**price, "change_id": ""})
    assert response.status_code == 409
    assert "Record the change first." in response.get_data(as_text=True)
    response = client.post(
        f"/lots/{lot.id}/prices/new", data={**price, "change_id": str(recorded.id)}
    )
    assert response.status_code == 302
    line = db.session.scalar(select(PriceLine).where(PriceLine.change_id == recorded.id))
    assert line.unit_price == Decimal("19.00")
