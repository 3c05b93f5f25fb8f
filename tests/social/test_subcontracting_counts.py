"""The subcontracted value counts as social-economy spend and the subcontractor's hours as its
own target-group hours in the social-impact figures (SPEC 7.3), from recorded work and labour:
only work done while the subcontracting ran and the subcontractor was recognised that day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from central.extensions import db
from central.fieldwork.services import store_labour
from central.frameworks.models import AwardSubcontractor, SubcontractedTaskType
from central.organisations.models import Recognition
from central.reports import builders
from tests.factories import make_work

FTE = Decimal("1976")


def _subcontract(ghent, task_type, started_on=date(2025, 1, 1), ended_on=None):
    sub = AwardSubcontractor(
        award_id=ghent.award.id,
        organisation_id=ghent.social.id,
        social_economy_status="maatwerkbedrijf",
        started_on=started_on,
        ended_on=ended_on,
    )
    sub.task_types = [
        SubcontractedTaskType(
            award_id=ghent.award.id, task_type_id=task_type.id, active=ended_on is None
        )
    ]
    db.session.add(sub)
    db.session.flush()
    return sub


def _work(ghent, done_on=date(2025, 6, 10)):
    return make_work(
        ghent.lot,
        ghent.member,
        ghent.main,
        [
            {"task_type": ghent.hedges, "unit_price": "18.50", "done_on": done_on},
            {"task_type": ghent.hedges, "unit_price": "18.50", "done_on": done_on},
            {"task_type": ghent.lawns, "unit_price": "30.00", "done_on": done_on},
        ],
    )


def _impact(ghent):
    return builders.build_social_impact(db.session, ghent.framework, 2025, hours_per_fte=FTE)


def test_the_subcontracted_value_counts_as_social_economy_spend(ghent):
    _subcontract(ghent, ghent.hedges)
    _work(ghent)
    report = _impact(ghent)
    main = next(p for p in report["providers"] if p["provider_id"] == ghent.main.id)
    assert main["spend"] == Decimal("67.00")  # the main contractor invoices all of it
    assert main["social_spend"] == Decimal("37.00")  # the two hedges its subcontractor did
    assert report["totals"]["social_share_of_spend"] == Decimal("55.22")
    assert report["social_spend_by_month"]["2025-06"] == Decimal("37.00")


def test_work_outside_the_subcontracting_or_its_recognition_does_not_count(ghent):
    _subcontract(ghent, ghent.hedges, started_on=date(2025, 7, 1))  # after the work
    _work(ghent)
    assert _impact(ghent)["totals"]["social_spend"] == Decimal("0")
    db.session.query(AwardSubcontractor).delete()
    db.session.query(SubcontractedTaskType).delete()
    _subcontract(ghent, ghent.hedges)
    for recognition in db.session.query(Recognition).filter_by(organisation_id=ghent.social.id):
        recognition.valid_from = date(2025, 6, 11)  # recognised only from the day after
    db.session.flush()
    assert _impact(ghent)["totals"]["social_spend"] == Decimal("0")


def test_an_ended_subcontracting_keeps_counting_the_work_done_while_it_ran(ghent):
    _subcontract(ghent, ghent.hedges, ended_on=date(2025, 6, 30))
    _work(ghent)
    assert _impact(ghent)["totals"]["social_spend"] == Decimal("37.00")


def test_the_subcontractor_hours_count_as_its_own_social_economy_hours(ghent):
    _subcontract(ghent, ghent.hedges)
    round_ = _work(ghent)
    store_labour(
        [
            {
                "round_id": round_.id,
                "provider_id": ghent.social.id,
                "work_date": date(2025, 6, 10),
                "hours": "6.00",
                "target_group_hours": "6.00",
                "target_group_workers": 2,
            },
            {
                "round_id": round_.id,
                "provider_id": ghent.main.id,
                "work_date": date(2025, 6, 10),
                "hours": "3.00",
                "target_group_hours": "0",
                "target_group_workers": 0,
            },
        ]
    )
    report = _impact(ghent)
    social = next(p for p in report["providers"] if p["provider_id"] == ghent.social.id)
    assert social["social_economy_status"] == "maatwerkbedrijf"
    assert (social["hours"], social["target_group_hours"]) == (Decimal("6.00"), Decimal("6.00"))
    assert social["worker_days"] == Decimal("2.00")
    assert social["spend"] == Decimal("0")  # the main contractor invoices
    main = next(p for p in report["providers"] if p["provider_id"] == ghent.main.id)
    assert main["target_group_hours"] == Decimal("0")
    assert report["totals"]["target_group_hours"] == Decimal("6.00")


def test_the_member_wide_report_counts_it_too(ghent):
    _subcontract(ghent, ghent.hedges)
    _work(ghent)
    report = builders.build_member_social_impact(db.session, ghent.member, 2025, hours_per_fte=FTE)
    assert report["totals"]["social_spend"] == Decimal("37.00")


def test_the_subcontracted_value_counts_in_the_month_the_work_was_accepted(ghent):
    _subcontract(ghent, ghent.hedges)
    make_work(
        ghent.lot,
        ghent.member,
        ghent.main,
        [
            {
                "task_type": ghent.hedges,
                "done_on": date(2025, 6, 28),
                "accepted_at": datetime(2025, 7, 2, 9, tzinfo=UTC),
            }
        ],
    )
    months = _impact(ghent)["social_spend_by_month"]
    assert months["2025-07"] == Decimal("18.50") and months["2025-06"] == Decimal("0")
