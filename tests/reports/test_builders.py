"""The statement builder: exact money (rule 5), VAT per provider and rate on the total for that
rate rounded half up, only accepted work in the month of its acceptance (rule 15, Brussels
time), never inaccessible or not-found tasks (rule 14), and the coordinator's reach."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from central.core.errors import ValidationError
from central.extensions import db
from central.frameworks.models import Framework
from central.reports import builders
from tests.factories import make_price, make_task_type, make_work

JUNE = date(2025, 6, 1)
IN_JUNE = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def report(member, month=JUNE, **filters):
    return builders.statement_report(db.session, member.id, month, **filters)


def test_statement_totals_match_an_independent_calculation(central):
    """Random tasks, prices, quantities, rates, statuses, months, members and providers (fixed
    seed); the statement equals a plain-Python calculation to the cent."""
    rng = random.Random(20251125)
    second_type = make_task_type(central.lot, "hydrant_repair")
    make_price(second_type, "74.00")
    types = [central.lot.task_types[0], second_type]
    prices = [Decimal(rng.randint(1, 99999)) / 100 for _ in range(6)]
    specs_by_round = defaultdict(list)
    for _ in range(120):
        spec = {
            "task_type": rng.choice(types),
            "unit_price": rng.choice(prices),
            "quantity": rng.choice([Decimal("1"), Decimal("2.5"), Decimal("0.75"), Decimal("3")]),
            "vat_rate": rng.choice([Decimal("21.00"), Decimal("6.00"), Decimal("0.00")]),
            "unit": "piece",
        }
        status = rng.choice(["accepted"] * 6 + ["done", "open", "contested", "cancelled"])
        spec["status"] = status
        if status in ("accepted", "done"):
            spec["result"] = rng.choice(["ok"] * 5 + ["defect", "inaccessible", "not_found"])
        if status == "accepted":
            spec["accepted_at"] = rng.choice(
                [IN_JUNE, datetime(2025, 6, 2, 8, tzinfo=UTC), datetime(2025, 7, 3, tzinfo=UTC)]
            )
        member = rng.choice([central.member_a, central.member_a, central.member_b])
        provider = rng.choice([central.provider, central.ordinary])
        specs_by_round[(member.id, provider.id)].append((member, provider, spec))
    for group in specs_by_round.values():
        member, provider = group[0][0], group[0][1]
        make_work(central.lot, member, provider, [spec for _, _, spec in group])

    expected_quantity = defaultdict(Decimal)
    for group in specs_by_round.values():
        for member, provider, spec in group:
            billed = (
                member is central.member_a
                and spec["status"] == "accepted"
                and spec["result"] not in ("inaccessible", "not_found")
                and spec["accepted_at"].month == 6
            )
            if billed:
                key = (provider.id, spec["task_type"].code, spec["unit_price"], spec["vat_rate"])
                expected_quantity[key] += spec["quantity"]
    expected_amounts = {k: half_up(q * k[2]) for k, q in expected_quantity.items()}
    bases = defaultdict(Decimal)
    for (provider_id, _code, _price, rate), amount in expected_amounts.items():
        bases[(provider_id, rate)] += amount
    expected_vat = sum(half_up(base * rate / 100) for (_, rate), base in bases.items())
    expected_excl = sum(expected_amounts.values())

    assert len(expected_amounts) >= 10  # the draw covers many lines

    result = report(central.member_a)

    lines = {
        (r["provider_id"], r["task_type"], r["unit_price"], r["vat_rate"]): r
        for r in result.lines.to_dict(orient="records")
    }
    assert set(lines) == set(expected_amounts)
    for key, amount in expected_amounts.items():
        assert lines[key]["amount"] == amount
        assert lines[key]["quantity"] == expected_quantity[key]
    assert result.totals.total_excl_vat == expected_excl
    assert result.totals.vat == expected_vat
    assert result.totals.total_incl_vat == expected_excl + expected_vat
    assert all(isinstance(v, Decimal) for v in result.lines["amount"])


def test_vat_is_computed_per_rate_on_the_total_not_per_line(central):
    # 1.02 and 2.02 at 21 %: per line 0.21 + 0.42 = 0.63; on the total 3.04 × 21 % = 0.6384.
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"unit_price": "1.02"}, {"unit_price": "2.02"}],
    )
    result = report(central.member_a)
    assert len(result.lines) == 2
    assert result.totals.total_excl_vat == Decimal("3.04")
    assert result.totals.vat == Decimal("0.64")
    assert result.totals.total_incl_vat == Decimal("3.68")


@pytest.mark.parametrize(
    ("price", "rate", "vat"),
    [("0.50", "21.00", "0.11"), ("1.75", "6.00", "0.11"), ("2.50", "21.00", "0.53")],
)
def test_vat_is_rounded_half_up_to_the_cent(central, price, rate, vat):
    # 0.105, 0.105 and 0.525 are exact halves: half up, never half to even.
    make_work(
        central.lot, central.member_a, central.provider, [{"unit_price": price, "vat_rate": rate}]
    )
    assert report(central.member_a).totals.vat == Decimal(vat)


def test_vat_is_computed_per_provider_and_rate(central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "0.50"}])
    make_work(central.lot, central.member_a, central.ordinary, [{"unit_price": "0.50"}])
    result = report(central.member_a)
    # Each provider's invoice: 0.50 × 21 % = 0.105 -> 0.11; together 0.22, not 0.21.
    assert sorted(result.vat["vat"]) == [Decimal("0.11"), Decimal("0.11")]
    assert result.totals.vat == Decimal("0.22")


def test_quantity_times_the_unit_price_planned_with(central):
    """Rule 5: a later price line changes nothing of the work already planned."""
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"unit_price": "18.50", "quantity": "2.5"}, {"unit_price": "18.50", "quantity": "0.75"}],
    )
    make_price(central.lot.task_types[0], "99.00", valid_from=date(2025, 6, 1))
    result = report(central.member_a)
    (line,) = result.lines.to_dict(orient="records")
    assert line["quantity"] == Decimal("3.25")
    assert line["unit_price"] == Decimal("18.50")
    assert line["amount"] == Decimal("60.13")  # 60.125 half up
    assert line["tasks"] == 2


def test_only_accepted_work_is_billed(central):
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"status": s} for s in ("open", "done", "contested", "cancelled")]
        + [{"status": "accepted", "unit_price": "10.00"}],
    )
    result = report(central.member_a)
    assert result.totals.total_excl_vat == Decimal("10.00")
    assert int(result.lines["tasks"].sum()) == 1


def test_inaccessible_and_not_found_tasks_are_never_billed(central):
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [
            {"status": "accepted", "result": "inaccessible"},
            {"status": "accepted", "result": "not_found"},
            {"status": "done", "result": "inaccessible"},
            {"status": "accepted", "result": "defect", "unit_price": "7.00"},
        ],
    )
    result = report(central.member_a)
    assert result.totals.total_excl_vat == Decimal("7.00")


def test_work_is_billed_in_the_brussels_month_of_its_acceptance(central):
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [
            # 31 May 22:30 UTC is 1 June 00:30 in Brussels (summer time): June.
            {"accepted_at": datetime(2025, 5, 31, 22, 30, tzinfo=UTC), "unit_price": "1.00"},
            # 30 June 22:30 UTC is 1 July 00:30 in Brussels: July.
            {"accepted_at": datetime(2025, 6, 30, 22, 30, tzinfo=UTC), "unit_price": "2.00"},
        ],
    )
    assert report(central.member_a).totals.total_excl_vat == Decimal("1.00")
    july = report(central.member_a, date(2025, 7, 1))
    assert july.totals.total_excl_vat == Decimal("2.00")
    may = report(central.member_a, date(2025, 5, 1))
    assert may.lines.empty and may.totals.total_incl_vat == Decimal("0.00")


def test_a_member_statement_holds_only_its_own_work(central):
    make_work(central.lot, central.member_b, central.provider, [{"unit_price": "5.00"}])
    assert report(central.member_a).lines.empty
    assert report(central.member_b).totals.total_excl_vat == Decimal("5.00")


def test_a_coordinator_scope_keeps_only_lines_of_the_frameworks_its_authority_leads(central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "5.00"}])
    make_work(
        central.other_framework.lots[0],
        central.member_a,
        central.provider,
        [{"unit_price": "9.00"}],
    )
    everything = report(central.member_a)
    assert everything.totals.total_excl_vat == Decimal("14.00")
    scoped = report(central.member_a, frameworks=Framework.lead_organisation_id == central.lead.id)
    assert set(scoped.lines["framework_id"]) == {central.framework.id}
    assert scoped.totals.total_excl_vat == Decimal("5.00")


def test_filters_by_framework_and_provider(central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "5.00"}])
    make_work(central.lot, central.member_a, central.ordinary, [{"unit_price": "6.00"}])
    only = report(central.member_a, provider_id=central.ordinary.id)
    assert only.totals.total_excl_vat == Decimal("6.00")
    other = report(central.member_a, framework_id=central.other_framework.id)
    assert other.lines.empty


@pytest.mark.parametrize("text", ["", "2025-13", "2025-6", "June", "1999-12", "2025-06-01"])
def test_a_bad_month_is_a_validation_error(text):
    with pytest.raises(ValidationError):
        builders.parse_month(text)


def test_month_of_labels_each_instant_by_its_brussels_month_and_nothing_outside(central):
    """The month CASE decides a bucket by its end alone (buckets are consecutive): an instant
    at a month's first moment is that month, the moment before is the month before, and
    instants before the first or from the last bucket's end on have no month."""
    from datetime import timedelta

    from sqlalchemy import select

    from central.planning.models import Task

    buckets = builders.month_buckets(date(2025, 1, 1), 12)
    jan_start, dec_end = buckets[0][1], buckets[-1][2]
    june_start = buckets[5][1]  # 31 May 22:00 UTC
    moments = {
        jan_start - timedelta(microseconds=1): None,
        jan_start: "2025-01",
        june_start - timedelta(microseconds=1): "2025-05",
        june_start: "2025-06",
        dec_end - timedelta(microseconds=1): "2025-12",
        dec_end: None,
    }
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"accepted_at": moment, "unit_price": "1.00"} for moment in moments],
    )
    found = {
        accepted.replace(tzinfo=UTC) if accepted.tzinfo is None else accepted: label
        for accepted, label in db.session.execute(
            select(Task.accepted_at, builders.month_of(Task.accepted_at, buckets))
        )
    }
    assert found == moments
    with pytest.raises(ValueError):
        builders.month_of(Task.accepted_at, [buckets[0], buckets[2]])
