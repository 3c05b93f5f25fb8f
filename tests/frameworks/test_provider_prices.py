"""Prices per awarded provider (SPEC 7.2) where they are entered and read: the service, the API
(`provider_id` taken and shown, in the OpenAPI document), the price form and the framework page."""

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
from central.frameworks.models import PriceLine
from tests.conftest import csrf_token, use_english
from tests.factories import (
    make_award,
    make_framework,
    make_lot,
    make_org,
    make_price,
    make_task_type,
    make_token,
    make_user,
)


@pytest.fixture
def lot():
    """A draft's lot with a common line (18.50) and two awarded providers."""
    framework = make_framework()
    lot = make_lot(framework)
    make_price(make_task_type(lot))
    lot.first = make_award(lot, make_org("provider", name="Eerste Groen vzw"), rank=1).provider
    lot.second = make_award(lot, make_org("provider", name="Tweede Werk cv"), rank=2).provider
    lot.coordinator = make_user("coordinator", framework.lead_organisation)
    return lot


def line_count() -> int:
    return db.session.scalar(select(func.count(PriceLine.id)))


def add(lot, **values) -> PriceLine:
    values = {"task_type": "hydrant_inspection", "unit_price": "20.00", **values}
    return services.add_price_line(
        lot, {"valid_from": date(2025, 1, 1), **values}, actor=lot.coordinator
    )


def test_a_price_line_may_name_a_provider_awarded_the_lot(lot):
    line = add(lot, provider_id=lot.second.id, vat_rate="6")
    assert (line.provider_id, line.unit_price, line.vat_rate) == (
        lot.second.id,
        Decimal("20.00"),
        Decimal("6.00"),
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "price_line.created"))
    assert event.data["provider_id"] == lot.second.id


def test_a_providers_line_and_the_common_line_may_share_a_date(lot):
    add(lot, provider_id=lot.first.id, unit_price="17.00")
    add(lot, provider_id=lot.second.id)
    with pytest.raises(Conflict) as exc:
        add(lot, provider_id=lot.second.id, unit_price="21.00")
    assert "valid_from" in exc.value.fields
    with pytest.raises(Conflict):
        add(lot, unit_price="19.00")  # the common line of that date exists


def test_a_price_line_names_only_a_provider_awarded_the_lot(lot):
    before = line_count()
    for provider_id in (make_org("provider").id, lot.framework.lead_organisation_id, 0, "x"):
        with pytest.raises(ValidationError) as exc:
            add(lot, provider_id=provider_id)
        assert "provider_id" in exc.value.fields
    assert line_count() == before


def test_a_providers_line_keeps_the_task_types_unit(lot):
    with pytest.raises(ValidationError) as exc:
        add(lot, provider_id=lot.first.id, unit="hour")
    assert "unit" in exc.value.fields


def test_the_database_refuses_a_line_of_a_provider_not_awarded_the_lot(lot):
    import sqlalchemy.exc

    stranger = make_org("provider")
    with pytest.raises(sqlalchemy.exc.IntegrityError), db.session.begin_nested():
        make_price(lot.task_types[0], "1.00", provider=stranger)


def test_the_database_refuses_two_lines_of_one_provider_on_one_date(lot):
    import sqlalchemy.exc

    make_price(lot.task_types[0], "17.00", provider=lot.first)
    with pytest.raises(sqlalchemy.exc.IntegrityError), db.session.begin_nested():
        make_price(lot.task_types[0], "16.00", provider=lot.first)


# --- API ---------------------------------------------------------------------------------------


@pytest.fixture
def api(client, lot):
    db.session.commit()
    headers = {"Authorization": f"Bearer {make_token(lot.coordinator)}"}

    def call(method: str, path: str, **kwargs):
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def test_the_api_takes_and_shows_a_lines_provider(api, lot):
    body = {"task_type": "hydrant_inspection", "unit_price": "20.00", "vat_rate": "6"}
    with frozen_today(date(2025, 1, 1)):
        response = api(
            "POST", f"/lots/{lot.id}/prices", json={**body, "provider_id": lot.second.id}
        )
    assert response.status_code == 201, response.json
    assert response.json["provider_id"] == lot.second.id
    listed = api("GET", f"/lots/{lot.id}/prices").json
    assert [(p["provider_id"], p["unit_price"]) for p in listed] == [
        (None, "18.50"),
        (lot.second.id, "20.00"),
    ]


def test_the_api_refuses_a_provider_not_awarded_the_lot_and_writes_nothing(api, lot):
    before = line_count()
    response = api(
        "POST",
        f"/lots/{lot.id}/prices",
        json={"task_type": "hydrant_inspection", "unit_price": "1", "provider_id": 999999},
    )
    assert response.status_code == 400
    assert "provider_id" in response.json["error"]["fields"]
    assert line_count() == before


def test_the_openapi_document_describes_a_lines_provider(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    price = next(s for name, s in schemas.items() if name.startswith("Price"))
    assert "provider_id" in price["properties"]
    assert "common line" in price["properties"]["provider_id"]["description"]


# --- pages -------------------------------------------------------------------------------------


def test_the_price_form_takes_a_provider_and_the_page_shows_its_schedule(client, login_as, lot):
    db.session.commit()
    use_english(client)
    login_as(lot.coordinator)
    form = client.get(f"/lots/{lot.id}/prices/new").get_data(as_text=True)
    assert "All providers (common line)" in form and "Tweede Werk cv" in form
    response = client.post(
        f"/lots/{lot.id}/prices/new",
        data={
            "task_type": "hydrant_inspection",
            "provider_id": str(lot.second.id),
            "unit": "piece",
            "unit_price": "20,00",
            "vat_rate": "6",
            "valid_from": "2025-01-01",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    line = db.session.scalar(select(PriceLine).where(PriceLine.provider_id == lot.second.id))
    assert line.unit_price == Decimal("20.00")
    page = client.get(f"/frameworks/{lot.framework_id}").get_data(as_text=True)
    assert "All providers (common line)" in page and "Tweede Werk cv" in page
    assert "€20.00" in page and "€18.50" in page
