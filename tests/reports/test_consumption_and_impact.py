"""Consumption (rule 2: committed, completed and accepted value against the estimate and the
maximum, per lot and member, with a forecast) and social impact (social-economy spend against
the member's budget and the framework's target; target-group hours, worker-days and FTE from
labour per round and work date, rule 16; tasks and defects)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from central.core.clock import frozen_today
from central.extensions import db
from central.fieldwork.services import store_labour
from central.frameworks.queries import committed_amounts
from central.reports import builders
from central.reports.models import MaintenanceBudget
from tests.factories import make_org, make_token, make_user, make_work

IN_2025 = datetime(2025, 6, 15, 10, tzinfo=UTC)


@pytest.fixture
def spending(central):
    """Member A: open, done, 2 accepted, cancelled and inaccessible work at 18.50; member B one
    accepted task."""
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [
            {"status": "open"},
            {"status": "done"},
            {"status": "accepted"},
            {"status": "accepted", "result": "defect"},
            {"status": "cancelled"},
            {"status": "done", "result": "inaccessible"},
        ],
    )
    make_work(central.lot, central.member_b, central.provider, [{"status": "accepted"}])
    return central


# --- consumption --------------------------------------------------------------------------------


def test_consumption_counts_committed_completed_and_accepted_value(spending):
    data = builders.build_consumption(db.session, spending.framework, date(2025, 7, 1))
    # Only accepted work counts as completed; done work awaits acceptance.
    assert (data["committed"], data["awaiting"], data["completed"], data["accepted"]) == (
        Decimal("92.50"),
        Decimal("18.50"),
        Decimal("55.50"),
        Decimal("55.50"),
    )
    # The same figures as rule 2's committed value.
    total = committed_amounts(spending.framework.id).total
    assert (total.committed, total.awaiting, total.completed, total.accepted) == (
        data["committed"],
        data["awaiting"],
        data["completed"],
        data["accepted"],
    )
    members = {r["member_name"]: r for r in data["members"].to_dict(orient="records")}
    assert members["Gemeente Ardooie"]["committed"] == Decimal("74.00")
    assert members["Gemeente Ardooie"]["accepted"] == Decimal("37.00")
    assert members["Gemeente Hooglede"]["committed"] == Decimal("18.50")
    (lot,) = data["lots"]
    assert lot["committed"] == Decimal("92.50")


def test_consumption_forecasts_the_month_the_maximum_is_reached(central):
    central.framework.max_value = Decimal("1000.00")
    central.framework.estimated_value = Decimal("800.00")
    db.session.flush()
    work = [
        {"status": "open", "unit_price": "100.00", "created_at": datetime(2025, m, 15, tzinfo=UTC)}
        for m in range(7, 13)
    ]
    make_work(central.lot, central.member_a, central.provider, work)
    data = builders.build_consumption(db.session, central.framework, date(2026, 1, 15))
    assert data["committed"] == Decimal("600.00")
    forecast = data["forecast"]
    assert forecast.pace_per_month == Decimal("100.00")
    # 400.00 left at 100.00 a month: four months from January 2026.
    assert forecast.month == "2026-05"
    assert not forecast.reached and not forecast.after_end
    assert data["months"]["2025-07"] == Decimal("100.00")
    assert data["months"]["2026-01"] == Decimal("0.00")


def test_the_forecast_says_when_the_maximum_is_already_reached_or_without_pace():
    reached = builders.forecast_maximum(
        Decimal("10"), Decimal("10"), [Decimal("1")], date(2026, 1, 1), date(2028, 12, 31)
    )
    assert reached.reached and reached.month == "2026-01"
    idle = builders.forecast_maximum(
        Decimal("1"), Decimal("10"), [Decimal("0")] * 6, date(2026, 1, 1), date(2028, 12, 31)
    )
    assert idle.month is None
    late = builders.forecast_maximum(
        Decimal("0"), Decimal("1000"), [Decimal("1")] * 6, date(2026, 1, 1), date(2028, 12, 31)
    )
    assert late.after_end and late.month == "2109-05"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("other_coordinator", 404),
        ("member_a", 403),  # named in the framework: visible, not its report
        ("provider", 403),  # awarded: visible, not its report
        ("admin", 403),
    ],
)
def test_consumption_is_the_lead_coordinators(client, spending, who, status):
    response = client.get(
        f"/api/v1/reports/consumption?framework={spending.framework.id}",
        headers=spending.headers(who),
    )
    assert response.status_code == status
    if status == 200:
        body = response.json
        assert body["committed"] == "92.50" and body["max_value"] == "500000.00"
        assert body["percent_of_max"] == "0.0"
        assert {m["member_name"] for m in body["members"]} == {
            "Gemeente Ardooie",
            "Gemeente Hooglede",
        }
        assert len(body["months"]) == 12


def test_consumption_of_an_unknown_framework_answers_404_and_without_one_400(client, central):
    headers = central.headers("coordinator")
    assert (
        client.get("/api/v1/reports/consumption?framework=99999", headers=headers).status_code
        == 404
    )
    response = client.get("/api/v1/reports/consumption", headers=headers)
    assert response.status_code == 400 and "framework" in response.json["error"]["fields"]


# --- social impact --------------------------------------------------------------------------------


@pytest.fixture
def impact(central):
    """2025: member A had 2 × 50.00 through the LDE provider (one defect) and 200.00 through the
    ordinary provider, with labour on the LDE round; member B 30.00 through the LDE provider."""
    social_round = make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"unit_price": "50.00"}, {"unit_price": "50.00", "result": "defect"}],
    )
    make_work(central.lot, central.member_a, central.ordinary, [{"unit_price": "200.00"}])
    make_work(central.lot, central.member_b, central.provider, [{"unit_price": "30.00"}])
    # Not in 2025: accepted and done in 2024.
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"accepted_at": datetime(2024, 12, 31, 12, tzinfo=UTC), "done_on": date(2024, 12, 30)}],
    )
    store_labour(
        [
            {
                "round_id": social_round.id,
                "provider_id": central.provider.id,
                "work_date": work_date,
                "hours": hours,
                "target_group_hours": group,
                "target_group_workers": workers,
            }
            for work_date, hours, group, workers in (
                (date(2025, 6, 10), "7.25", "5.50", 2),
                (date(2025, 6, 11), "8.00", "8.00", 1),
                (date(2024, 6, 11), "8.00", "8.00", 1),
            )
        ]
    )
    db.session.add_all(
        [
            MaintenanceBudget(member_id=central.member_a.id, year=2025, amount=Decimal("1000.00")),
            MaintenanceBudget(member_id=central.member_b.id, year=2025, amount=Decimal("100.00")),
        ]
    )
    db.session.flush()
    return central


def build(central, **kwargs):
    kwargs.setdefault("hours_per_fte", Decimal("10"))
    return builders.build_social_impact(db.session, central.framework, 2025, **kwargs)


def test_a_frameworks_target_is_the_social_economy_share_of_its_spend(impact):
    """§7.1: per member, the framework's target is measured on the framework's spend; the share
    of the member's budget is shown beside it."""
    impact.framework.social_target_percent = Decimal("40.00")
    data = build(impact)
    members = {m["member_name"]: m for m in data["members"]}
    ardooie = members["Gemeente Ardooie"]
    assert ardooie["spend"] == Decimal("300.00")
    assert ardooie["social_spend"] == Decimal("100.00")
    assert ardooie["share_percent"] == Decimal("10.00")  # 100 of a 1,000.00 budget
    assert ardooie["target_percent"] == Decimal("40.00")
    assert ardooie["social_share_of_spend"] == Decimal("33.33")  # 100 of 300
    assert ardooie["target_met"] is False  # 33.33 % < 40 %
    hooglede = members["Gemeente Hooglede"]
    assert hooglede["share_percent"] == Decimal("30.00") and hooglede["target_met"] is True


def test_a_member_with_all_its_spend_in_the_social_economy_meets_the_target(impact):
    """Issue 12: every member showed "target not met" with 100 % to the social economy (the
    target was compared with the share of the budget, not of the framework's spend)."""
    impact.framework.social_target_percent = Decimal("40.00")
    data = build(impact)
    hooglede = {m["member_name"]: m for m in data["members"]}["Gemeente Hooglede"]
    assert hooglede["share_percent"] == Decimal("30.00")  # 30.00 of its 100.00 budget
    assert hooglede["social_share_of_spend"] == Decimal("100.00")
    assert hooglede["target_met"] is True


def test_a_member_without_a_budget_has_no_share(impact):
    db.session.delete(
        db.session.scalars(
            db.select(MaintenanceBudget).where(MaintenanceBudget.member_id == impact.member_b.id)
        ).one()
    )
    members = {m["member_name"]: m for m in build(impact)["members"]}
    assert members["Gemeente Hooglede"]["share_percent"] is None
    # The framework's target does not need the budget: it is a share of the spend.
    assert members["Gemeente Hooglede"]["target_met"] is True


def test_target_group_hours_worker_days_and_fte_from_labour(impact):
    data = build(impact)
    rows = {(r["provider_name"], r["member_name"]): r for r in data["rows"].to_dict("records")}
    row = rows[("Groep Intro LDE", "Gemeente Ardooie")]
    assert row["hours"] == Decimal("15.25")
    assert row["target_group_hours"] == Decimal("13.50")
    assert row["worker_days"] == 3
    assert row["fte"] == Decimal("1.35")  # 13.5 h / 10 h per FTE
    assert (row["tasks"], row["defects"]) == (2, 1)
    assert rows[("Waterwerken NV", "Gemeente Ardooie")]["social_spend"] == Decimal("0.00")
    assert data["totals"]["worker_days"] == 3 and data["totals"]["spend"] == Decimal("330.00")
    assert data["totals"]["social_share_of_spend"] == Decimal("39.39")  # 130 of 330
    assert data["social_spend_by_month"]["2025-06"] == Decimal("130.00")


def test_hours_per_fte_is_configurable(impact):
    data = build(impact, hours_per_fte=Decimal("1976"))
    (provider,) = [p for p in data["providers"] if p["provider_name"] == "Groep Intro LDE"]
    assert provider["fte"] == Decimal("0.01")  # 13.5 / 1976 = 0.0068
    assert provider["worker_days"] == 3


def test_a_members_social_impact_holds_only_its_own_rows(impact):
    data = build(impact, member_id=impact.member_b.id)
    assert set(data["rows"]["member_name"]) == {"Gemeente Hooglede"}
    assert data["totals"]["spend"] == Decimal("30.00")


@pytest.mark.parametrize(
    ("who", "status", "members"),
    [
        ("coordinator", 200, {"Gemeente Ardooie", "Gemeente Hooglede"}),
        ("member_a", 200, {"Gemeente Ardooie"}),
        ("member_b", 200, {"Gemeente Hooglede"}),
        ("other_coordinator", 404, None),
        ("provider", 403, None),
        ("admin", 403, None),
    ],
)
def test_social_impact_by_role(client, impact, who, status, members):
    response = client.get(
        f"/api/v1/reports/social-impact?framework={impact.framework.id}&year=2025",
        headers=impact.headers(who),
    )
    assert response.status_code == status
    if status == 200:
        assert {r["member_name"] for r in response.json["rows"]} == members
        assert response.json["hours_per_fte"] == "1976"


def test_a_stranger_member_gets_404(client, impact):
    stranger = make_org("authority")
    token = make_token(make_user("member", stranger))
    response = client.get(
        f"/api/v1/reports/social-impact?framework={impact.framework.id}&year=2025",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("year=1999", "year"),
        ("year=abc", "year"),
        ("hours_per_fte=0", "hours_per_fte"),
        ("hours_per_fte=x", "hours_per_fte"),
        ("format=pdf", "format"),
    ],
)
def test_bad_social_impact_queries_answer_400(client, impact, query, field):
    response = client.get(
        f"/api/v1/reports/social-impact?framework={impact.framework.id}&{query}",
        headers=impact.headers("coordinator"),
    )
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_social_impact_exports_as_csv_and_xlsx(client, impact):
    url = (
        f"/api/v1/reports/social-impact?framework={impact.framework.id}&year=2025&hours_per_fte=10"
    )
    headers = impact.headers("coordinator")
    text = client.get(url + "&format=csv", headers=headers).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["year", "framework_reference", "provider_name"]
    assert all(len(r) == len(rows[0]) for r in rows) and len(rows) == 4
    lde = next(r for r in rows if r[2] == "Groep Intro LDE" and r[4] == "Gemeente Ardooie")
    assert lde[rows[0].index("fte")] == "1,35"
    book = load_workbook(io.BytesIO(client.get(url + "&format=xlsx", headers=headers).data))
    assert book.sheetnames == ["providers_members", "members", "providers"]
    assert len(list(book["providers_members"].values)) == 4


def test_the_default_year_is_the_current_one(client, impact):
    with frozen_today(date(2025, 9, 1)):
        response = client.get(
            f"/api/v1/reports/social-impact?framework={impact.framework.id}",
            headers=impact.headers("coordinator"),
        )
    assert response.json["year"] == 2025


def test_social_impact_spend_equals_the_issued_statements(central):
    """Fractional quantities and odd prices over several months: a year's spend per member is
    exactly what its statements billed (the same rounding per statement line)."""
    import random

    from central.reports import services

    rng = random.Random(7)
    for month in (2, 3, 5, 11):
        make_work(
            central.lot,
            central.member_a,
            rng.choice([central.provider, central.ordinary]),
            [
                {
                    "unit_price": rng.choice(["18.33", "0.07", "41.99"]),
                    "quantity": rng.choice(["2.5", "0.75", "1", "0.33"]),
                    "accepted_at": datetime(2025, month, rng.randint(1, 28), 9, tzinfo=UTC),
                }
                for _ in range(9)
            ],
        )
    for month in (3, 4, 6, 12):
        services.issue_statements(db.session, date(2025, month, 1))
    statements = db.session.scalars(db.select(services.Statement)).all()
    assert {s.month for s in statements} == {"2025-02", "2025-03", "2025-05", "2025-11"}
    data = build(central)
    (ardooie,) = [m for m in data["members"] if m["member_name"] == "Gemeente Ardooie"]
    assert ardooie["spend"] == sum(s.total_excl_vat for s in statements)
