"""Social impact counts right (SPEC §7.1, rule 16): worker-days never count a worker twice on a
date, credits lower spend in the month they are issued, FTE comes from total hours, a member
with all its spend in the social economy meets the target, and a member's own report runs across
every framework and lead against its own target, with the social-economy spend it declares
outside the platform."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.core.validators import kbo_with_check_digits
from central.extensions import db
from central.fieldwork.services import store_labour
from central.reports import builders, services
from central.reports.models import ExternalSocialSpend, Statement
from tests.factories import make_org, make_work

DAY = date(2025, 6, 10)
KBO = kbo_with_check_digits("04123456")


def impact_of(client, central, who="coordinator", **query):
    query.setdefault("year", 2025)
    response = client.get(
        "/api/v1/reports/social-impact", query_string=query, headers=central.headers(who)
    )
    assert response.status_code == 200, response.json
    return response.json


def test_rule_16_a_worker_serving_three_rounds_on_one_day_is_one_worker_day(client, central):
    """Issue 12: two target-group workers serving three rounds in one day counted as six
    worker-days. The day's two are spread over the members by the tasks done for each."""
    rounds = [
        make_work(central.lot, central.member_a, central.provider, [{}, {}]),
        make_work(central.lot, central.member_a, central.provider, [{}]),
        make_work(central.lot, central.member_b, central.provider, [{}]),
    ]
    with frozen_today(date(2025, 6, 20)):
        for round_ in rounds:
            response = client.post(
                f"/api/v1/rounds/{round_.id}/labour",
                json={
                    "work_date": DAY.isoformat(),
                    "hours": "3.00",
                    "target_group_hours": "3.00",
                    "target_group_workers": 2,
                },
                headers=central.headers("provider"),
            )
            assert response.status_code == 201, response.json
    assert response.json["labour_day"]["workers"] == 2
    assert sorted(response.json["labour_day"]["round_ids"]) == sorted(r.id for r in rounds)
    data = impact_of(client, central, framework=central.framework.id)
    assert Decimal(data["totals"]["worker_days"]) == 2
    assert Decimal(data["totals"]["target_group_hours"]) == Decimal("9.00")
    by_member = {r["member_name"]: r for r in data["rows"]}
    assert Decimal(by_member["Gemeente Ardooie"]["worker_days"]) == Decimal("1.50")  # 3 of 4
    assert Decimal(by_member["Gemeente Hooglede"]["worker_days"]) == Decimal("0.50")


def test_credits_lower_spend_and_social_spend_in_the_month_they_are_issued(central):
    """Issue 12: a 100 % credit left spend and social-economy spend unchanged."""
    make_work(central.lot, central.member_b, central.provider, [{"unit_price": "30.00"}])
    services.issue_statements(db.session, date(2025, 7, 1))
    june = db.session.scalars(
        select(Statement).where(Statement.member_id == central.member_b.id)
    ).one()
    services.add_credit(
        june, {"amount": "30.00", "reason": "Not done"}, actor=central.users["coordinator"]
    )
    services.issue_statements(db.session, date(2025, 9, 1))
    data = builders.build_social_impact(
        db.session, central.framework, 2025, hours_per_fte=Decimal("1976")
    )
    (hooglede,) = [m for m in data["members"] if m["member_name"] == "Gemeente Hooglede"]
    assert hooglede["spend"] == Decimal("0.00") and hooglede["social_spend"] == Decimal("0.00")
    assert data["social_spend_by_month"]["2025-06"] == Decimal("30.00")
    assert data["social_spend_by_month"]["2025-08"] == Decimal("-30.00")
    statements = db.session.scalars(
        select(Statement).where(Statement.member_id == central.member_b.id)
    ).all()
    assert sum(s.total_excl_vat for s in statements) == hooglede["spend"]


def test_fte_is_computed_from_total_hours_not_summed_from_rounded_rows(central):
    """Issue 12: 594.28 h / 1976 h per FTE is 0.30 FTE; adding seven rows rounded to 0.04
    showed 0.28."""
    members = [make_org("authority", name=f"Gemeente {n}") for n in "BCDEFGH"]
    rows = []
    for n, member in enumerate(members):
        round_ = make_work(central.lot, member, central.provider, [{}])
        hours = "84.88" if n == 0 else "84.90"
        rows.append(
            {
                "round_id": round_.id,
                "provider_id": central.provider.id,
                "work_date": date(2025, 6, 1 + n),
                "hours": hours,
                "target_group_hours": hours,
                "target_group_workers": 4,
            }
        )
    store_labour(rows)
    data = builders.build_social_impact(
        db.session, central.framework, 2025, hours_per_fte=Decimal("1976")
    )
    assert set(data["rows"]["fte"]) == {Decimal("0.04")}
    assert data["totals"]["target_group_hours"] == Decimal("594.28")
    assert data["totals"]["fte"] == Decimal("0.30")
    (provider,) = data["providers"]
    assert provider["fte"] == Decimal("0.30")


# --- the member's own target across frameworks (Hasselt) ---------------------------------------


@pytest.fixture
def hasselt(client, central):
    """Member A bought 100.00 (LDE) and 200.00 (ordinary) under the Roeselare framework and
    50.00 (LDE) under the Kortrijk one; its budget is 1,000.00 with a 15 % target, and it
    declared 20.00 spent with a maatwerkbedrijf outside the platform."""
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "100.00"}])
    make_work(central.lot, central.member_a, central.ordinary, [{"unit_price": "200.00"}])
    other_lot = central.other_framework.lots[0]
    make_work(other_lot, central.member_a, central.provider, [{"unit_price": "50.00"}])
    budget = client.put(
        f"/api/v1/budgets/{central.member_a.id}/2025",
        json={"maintenance_budget": "1000.00", "social_target_percent": "15"},
        headers=central.headers("member_a"),
    )
    assert budget.status_code == 200 and budget.json["social_target_percent"] == "15.00"
    declared = client.post(
        f"/api/v1/budgets/{central.member_a.id}/2025/external-spend",
        json={
            "provider_name": "Kringwinkel Hasselt",
            "enterprise_number": KBO,
            "social_economy_status": "maatwerkbedrijf",
            "amount": "20.00",
            "description": "Groenonderhoud begraafplaats",
        },
        headers=central.headers("member_a"),
    )
    assert declared.status_code == 201, declared.json
    return central


def test_a_members_own_report_counts_every_framework_and_its_outside_spend(client, hasselt):
    data = impact_of(client, hasselt, who="member_a")
    assert data["scope"] == "member" and data["member_id"] == hasselt.member_a.id
    assert data["social_spend"] == "150.00"  # 100 + 50 through the platform
    assert data["external_social_spend"] == "20.00"
    assert data["social_spend_counted"] == "170.00"
    assert data["share_percent"] == "17.00"  # of the 1,000.00 budget
    assert data["target_percent"] == "15.00" and data["target_met"] is True
    frameworks = {f["framework_reference"]: f for f in data["frameworks"]}
    assert set(frameworks) == {hasselt.framework.reference, hasselt.other_framework.reference}
    own = frameworks[hasselt.framework.reference]
    assert own["social_share_of_spend"] == "33.33"  # the framework's target: a share of spend
    assert own["lead_name"] == "Stad Roeselare"
    assert [e["provider_name"] for e in data["external_spend"]] == ["Kringwinkel Hasselt"]
    same = impact_of(client, hasselt, who="member_a", member=hasselt.member_a.id)
    assert same["share_percent"] == "17.00"


def test_a_member_below_its_own_target_does_not_meet_it(client, hasselt):
    client.put(
        f"/api/v1/budgets/{hasselt.member_a.id}/2025",
        json={"maintenance_budget": "2000.00"},
        headers=hasselt.headers("member_a"),
    )
    data = impact_of(client, hasselt, who="member_a")
    assert data["target_percent"] == "15.00"  # kept: the PUT left the percent out
    assert data["share_percent"] == "8.50" and data["target_met"] is False


@pytest.mark.parametrize(
    ("who", "references"),
    [("coordinator", {"framework"}), ("other_coordinator", {"other_framework"})],
)
def test_a_coordinator_sees_only_the_part_of_the_frameworks_it_leads(
    client, hasselt, who, references
):
    data = impact_of(client, hasselt, who=who, member=hasselt.member_a.id)
    assert data["scope"] == "led_frameworks"
    expected = {getattr(hasselt, name).reference for name in references}
    assert {f["framework_reference"] for f in data["frameworks"]} == expected
    assert data["external_spend"] == [] and data["external_social_spend"] is None
    assert data["target_met"] is None  # a part says nothing about the member's own target


@pytest.mark.parametrize(("who", "status"), [("member_b", 404), ("provider", 404)])
def test_a_members_own_report_is_out_of_reach_of_others(client, hasselt, who, status):
    response = client.get(
        f"/api/v1/reports/social-impact?member={hasselt.member_a.id}&year=2025",
        headers=hasselt.headers(who),
    )
    assert response.status_code == status


def test_the_member_report_exports_as_csv_and_xlsx(client, hasselt):
    url = "/api/v1/reports/social-impact?year=2025"
    headers = hasselt.headers("member_a")
    text = client.get(url + "&format=csv", headers=headers).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert {r["source"] for r in rows} == {"platform", "external"}
    social = sum(Decimal(r["social_spend"].replace(",", ".")) for r in rows)
    assert social == Decimal("170.00")  # the spend the member's target counts, no total row
    book = load_workbook(io.BytesIO(client.get(url + "&format=xlsx", headers=headers).data))
    assert book.sheetnames == ["target", "frameworks_providers", "frameworks"]
    header, values = list(book["target"].values)
    assert dict(zip(header, values, strict=True))["share_percent"] == 17


# --- budgets and declared outside spend ---------------------------------------------------------


def test_a_budget_put_without_the_percent_keeps_it_and_a_bad_percent_answers_400(client, central):
    url = f"/api/v1/budgets/{central.member_a.id}/2025"
    headers = central.headers("member_a")
    client.put(
        url, json={"maintenance_budget": "5", "social_target_percent": "15"}, headers=headers
    )
    kept = client.put(url, json={"maintenance_budget": "6"}, headers=headers)
    assert kept.json["social_target_percent"] == "15.00"
    assert kept.json["maintenance_budget"] == "6.00"
    for bad in ("101", "-1", "abc", "1.234"):
        response = client.put(
            url, json={"maintenance_budget": "6", "social_target_percent": bad}, headers=headers
        )
        assert response.status_code == 400
        assert "social_target_percent" in response.json["error"]["fields"]
    assert client.get(url, headers=headers).json["social_target_percent"] == "15.00"
    cleared = client.put(
        url, json={"maintenance_budget": "6", "social_target_percent": None}, headers=headers
    )
    assert cleared.json["social_target_percent"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"enterprise_number": "0123.456.789"}, "enterprise_number"),  # fails mod-97
        ({"social_economy_status": "none"}, "social_economy_status"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"provider_name": ""}, "provider_name"),
    ],
)
def test_bad_outside_spend_answers_400_and_writes_nothing(client, central, change, field):
    body = {
        "provider_name": "Kringwinkel",
        "enterprise_number": KBO,
        "social_economy_status": "lde",
        "amount": "10.00",
        **change,
    }
    response = client.post(
        f"/api/v1/budgets/{central.member_a.id}/2025/external-spend",
        json=body,
        headers=central.headers("member_a"),
    )
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(ExternalSocialSpend)) == 0


@pytest.mark.parametrize(("who", "status"), [("coordinator", 403), ("member_b", 404)])
def test_only_the_member_declares_its_outside_spend(client, central, who, status):
    response = client.post(
        f"/api/v1/budgets/{central.member_a.id}/2025/external-spend",
        json={
            "provider_name": "Kringwinkel",
            "enterprise_number": KBO,
            "social_economy_status": "lde",
            "amount": "10.00",
        },
        headers=central.headers(who),
    )
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(ExternalSocialSpend)) == 0


def test_declared_outside_spend_is_listed_and_audited(client, hasselt):
    url = f"/api/v1/budgets/{hasselt.member_a.id}/2025/external-spend"
    listed = client.get(url, headers=hasselt.headers("member_a"))
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    (spend,) = listed.json
    assert spend["enterprise_number"] == KBO and spend["amount"] == "20.00"
    assert client.get(url, headers=hasselt.headers("coordinator")).status_code == 200
    assert client.get(url, headers=hasselt.headers("member_b")).status_code == 404
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "external_spend.declared")
    ).one()
    assert event.object_id == spend["id"] and event.data["amount"] == "20.00"
