"""§7.5: crews bound a provider's rounds over all its lots, the calendar (weekends, Belgian public
holidays, closures, never the past), late rounds offered again with one alert, and the crews and
closures API (reach, validation, rounds moved off closed days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.extensions import db
from central.planning.calendar import ProviderCalendar, is_public_holiday, is_working_day
from central.planning.jobs import assign_rounds
from central.planning.models import Closure, Crew
from tests.conftest import csrf_token
from tests.factories import (
    make_active_framework,
    make_award,
    make_org,
    make_round,
    make_token,
    make_user,
)
from tests.planning.conftest import TODAY
from tests.planning.test_rounds_api import sign_in

MONDAY = date(2026, 3, 2)
SATURDAY = date(2026, 3, 7)
EASTER_MONDAY = date(2026, 4, 6)


@pytest.fixture
def mails(monkeypatch):
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        "central.core.mail.send_mail",
        lambda to, subject, body: sent.append((to, subject, body)) or True,
    )
    return sent


def crew(provider, name="Ploeg A", days=5) -> Crew:
    made = Crew(provider_id=provider.id, name=name, days_per_week=days)
    db.session.add(made)
    db.session.flush()
    return made


def closure(provider, start: date, end: date, crew_=None) -> Closure:
    made = Closure(
        provider_id=provider.id,
        crew_id=crew_.id if crew_ else None,
        start_date=start,
        end_date=end,
        reason="Opleiding",
    )
    db.session.add(made)
    db.session.flush()
    return made


def waiting(hydrants, size: int = 3, due: date | None = None, lot=None, member=None):
    member = member or hydrants.member
    return make_round(
        lot or hydrants.lot,
        member,
        hydrants.add_assets(size, member=member),
        due_date=due or TODAY + timedelta(days=25),
    )


# The calendar ------------------------------------------------------------------------------------


def test_belgian_public_holidays_and_weekends_are_not_working_days():
    assert is_public_holiday(EASTER_MONDAY)
    assert is_public_holiday(date(2026, 7, 21))  # national day
    assert is_public_holiday(date(2026, 11, 11))
    assert not is_working_day(EASTER_MONDAY)
    assert not is_working_day(SATURDAY)
    assert is_working_day(date(2026, 4, 7))


def test_round_is_never_scheduled_on_the_monday_already_past_on_a_saturday_run(hydrants):
    round_ = waiting(hydrants)
    assign_rounds(db.session, SATURDAY)
    assert round_.scheduled_date == date(2026, 3, 9)  # the next Monday, not 2 March


def test_round_is_never_scheduled_in_the_past_midweek(hydrants):
    round_ = waiting(hydrants)
    assign_rounds(db.session, TODAY)
    assert round_.scheduled_date == TODAY  # Wednesday, not the Monday of the week


def test_round_is_not_scheduled_on_a_belgian_public_holiday(hydrants):
    round_ = waiting(hydrants, due=EASTER_MONDAY + timedelta(days=20))
    assign_rounds(db.session, date(2026, 4, 4))  # the Saturday before Easter
    assert round_.scheduled_date == date(2026, 4, 7)  # Tuesday after Easter Monday


def test_crews_count_a_week_with_a_public_holiday_as_four_days(hydrants):
    crew(hydrants.provider, days=5)
    rounds = [waiting(hydrants, due=EASTER_MONDAY + timedelta(days=20)) for _ in range(5)]
    assign_rounds(db.session, date(2026, 4, 4))
    days = [r.scheduled_date for r in rounds]
    assert days[:4] == [date(2026, 4, 7), date(2026, 4, 8), date(2026, 4, 9), date(2026, 4, 10)]
    assert days[4] == date(2026, 4, 13)  # the week after: one crew, one round a day


def test_round_is_not_scheduled_on_a_day_the_provider_closed(hydrants):
    closure(hydrants.provider, MONDAY, TODAY + timedelta(days=1))  # until Thursday
    round_ = waiting(hydrants)
    assign_rounds(db.session, TODAY)
    assert round_.scheduled_date == date(2026, 3, 6)  # Friday


def test_provider_closed_all_week_gets_the_round_the_next_week(hydrants):
    closure(hydrants.provider, MONDAY, MONDAY + timedelta(days=6))
    round_ = waiting(hydrants)
    assign_rounds(db.session, TODAY)
    assert round_.scheduled_date == MONDAY + timedelta(weeks=1)


def test_calendar_counts_only_open_days_of_each_crew(hydrants):
    a = crew(hydrants.provider, "A", days=5)
    crew(hydrants.provider, "B", days=3)
    closure(hydrants.provider, MONDAY, MONDAY + timedelta(days=2), crew_=a)  # A off Mon-Wed
    calendar = ProviderCalendar.load(db.session, [hydrants.provider.id], MONDAY)
    assert calendar.week_capacity(hydrants.provider.id, MONDAY) == 2 + 3
    assert calendar.crews_open(hydrants.provider.id, MONDAY) == 1
    assert calendar.crews_open(hydrants.provider.id, MONDAY + timedelta(days=3)) == 2


# Crews: capacity per provider over all its lots ---------------------------------------------------


def test_two_lots_share_one_providers_crews(hydrants):
    """One crew working two days a week, awarded in two lots of two frameworks: three rounds
    (two in one lot, one in the other) do not all fit in one week."""
    crew(hydrants.provider, days=2)
    other_member = make_org("authority")
    other = make_active_framework(members=[other_member], providers=[hydrants.provider])
    first = waiting(hydrants, due=TODAY + timedelta(days=20))
    second = waiting(hydrants, due=TODAY + timedelta(days=21))
    third = waiting(
        hydrants, due=TODAY + timedelta(days=22), lot=other.lots[0], member=other_member
    )
    counts = assign_rounds(db.session, TODAY)
    assert counts["assigned"] == 3
    assert [r.provider_id for r in (first, second, third)] == [hydrants.provider.id] * 3
    assert first.scheduled_date == TODAY
    assert second.scheduled_date == TODAY + timedelta(days=1)  # one crew: one round a day
    assert third.scheduled_date == MONDAY + timedelta(weeks=1)  # two days a week, over both lots


def test_existing_rounds_of_another_lot_count_against_the_crews(hydrants):
    crew(hydrants.provider, days=1)
    other_member = make_org("authority")
    other = make_active_framework(members=[other_member], providers=[hydrants.provider])
    make_round(
        other.lots[0],
        other_member,
        hydrants.add_assets(2, member=other_member),
        provider=hydrants.provider,
        scheduled_date=MONDAY,
    )
    round_ = waiting(hydrants)
    assign_rounds(db.session, TODAY)
    assert round_.scheduled_date == MONDAY + timedelta(weeks=1)


def test_award_capacity_still_caps_its_lot_when_crews_have_room(hydrants):
    crew(hydrants.provider, days=5)
    crew(hydrants.provider, "B", days=5)
    hydrants.lot.awards[0].weekly_capacity = 5
    first = waiting(hydrants, size=3)
    second = waiting(hydrants, size=3)
    assign_rounds(db.session, TODAY)
    assert first.scheduled_date == TODAY
    assert second.scheduled_date == MONDAY + timedelta(weeks=1)


def test_provider_without_crews_is_bounded_by_its_awards_alone(hydrants):
    rounds = [waiting(hydrants, size=2) for _ in range(6)]
    assign_rounds(db.session, TODAY)
    assert {r.scheduled_date for r in rounds} == {TODAY}


def test_assignment_order_is_due_date_then_framework_then_round(hydrants):
    """Same due date: the lower framework id is served first, whatever the round ids."""
    crew(hydrants.provider, days=1)
    other_member = make_org("authority")
    other = make_active_framework(members=[other_member], providers=[hydrants.provider])
    due = TODAY + timedelta(days=20)
    later_framework = waiting(hydrants, due=due, lot=other.lots[0], member=other_member)
    earlier_framework = waiting(hydrants, due=due)
    assert later_framework.id < earlier_framework.id
    assign_rounds(db.session, TODAY)
    assert earlier_framework.scheduled_date == TODAY
    assert later_framework.scheduled_date == MONDAY + timedelta(weeks=1)


# Late rounds ------------------------------------------------------------------------------------


def test_round_past_its_due_date_is_offered_late_and_the_coordinator_alerted_once(hydrants, mails):
    make_user("coordinator", org=hydrants.framework.lead_organisation, email="lead@central.example")
    hydrants.lot.awards[0].weekly_capacity = 2
    too_big = waiting(hydrants, size=3, due=TODAY)  # no award takes 3 tasks a week
    roomy = make_org("provider", social_economy_status="lde")
    late = waiting(hydrants, size=2, due=TODAY - timedelta(days=1))
    make_award(hydrants.lot, roomy, rank=2, weekly_capacity=2)
    counts = assign_rounds(db.session, TODAY)
    assert counts["late_alerted"] == 2
    assert counts["assigned_late"] == 1
    assert late.provider_id == hydrants.provider.id and late.scheduled_date == TODAY
    assert too_big.provider_id is None and too_big.late_alerted_at is not None
    alerts = [m for m in mails if m[0] == "lead@central.example"]
    assert len(alerts) == 1 and f"#{too_big.id}" in alerts[0][2]
    mails.clear()
    again = assign_rounds(db.session, TODAY + timedelta(days=1))
    assert "late_alerted" not in again
    assert [m for m in mails if m[0] == "lead@central.example"] == []


def test_late_round_goes_to_any_awarded_provider_with_room_first(hydrants):
    hydrants.lot.awards[0].weekly_capacity = 3
    make_round(
        hydrants.lot,
        hydrants.member,
        hydrants.add_assets(3),
        provider=hydrants.provider,
        scheduled_date=TODAY,
    )
    second = make_org("provider", social_economy_status="lde")
    make_award(hydrants.lot, second, rank=2, weekly_capacity=10)
    late = waiting(hydrants, size=2, due=TODAY - timedelta(days=3))
    assign_rounds(db.session, TODAY)
    assert late.provider_id == second.id and late.scheduled_date == TODAY


# The API: crews ---------------------------------------------------------------------------------


def provider_client(app, hydrants):
    user = make_user("provider", org=hydrants.provider)
    client = sign_in(app, user)
    return client, {"X-CSRFToken": csrf_token(client)}


def test_provider_keeps_its_crews_through_the_api(app, hydrants):
    client, headers = provider_client(app, hydrants)
    url = f"/api/v1/providers/{hydrants.provider.id}/crews"
    created = client.post(url, json={"name": "Ploeg Noord", "days_per_week": 4}, headers=headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "Ploeg Noord" and body["days_per_week"] == 4
    changed = client.patch(f"{url}/{body['id']}", json={"days_per_week": 3}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["days_per_week"] == 3
    listed = client.get(url).get_json()
    assert [c["name"] for c in listed] == ["Ploeg Noord"]
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("crew.%"))
    ).all()
    assert sorted(events) == ["crew.created", "crew.updated"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "A", "days_per_week": -1}, "days_per_week"),
        ({"name": "A", "days_per_week": 8}, "days_per_week"),
        ({"name": "", "days_per_week": 5}, "name"),
    ],
)
def test_bad_crew_answers_400_with_the_field(app, hydrants, payload, field):
    client, headers = provider_client(app, hydrants)
    response = client.post(
        f"/api/v1/providers/{hydrants.provider.id}/crews", json=payload, headers=headers
    )
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_crews_of_another_provider_are_out_of_reach(app, hydrants):
    other = make_org("provider", social_economy_status="lde")
    client, headers = provider_client(app, hydrants)
    url = f"/api/v1/providers/{other.id}/crews"
    assert client.get(url).status_code == 404
    assert client.post(url, json={"name": "X"}, headers=headers).status_code == 404


def test_member_reads_no_crews_and_coordinator_reads_but_does_not_write(app, hydrants):
    member = sign_in(app, make_user("member", org=hydrants.member))
    url = f"/api/v1/providers/{hydrants.provider.id}/crews"
    assert member.get(url).status_code == 404
    coordinator = make_user("coordinator", org=hydrants.framework.lead_organisation)
    token = make_token(coordinator)
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(url, headers=bearer).status_code == 200
    refused = app.test_client().post(url, json={"name": "X"}, headers=bearer)
    assert refused.status_code == 403


# The API: closures ------------------------------------------------------------------------------


def test_closure_ending_before_it_starts_answers_400_with_the_field(app, hydrants):
    client, headers = provider_client(app, hydrants)
    response = client.post(
        f"/api/v1/providers/{hydrants.provider.id}/closures",
        json={"from": "2026-03-10", "until": "2026-03-09", "reason": "Opleiding"},
        headers=headers,
    )
    assert response.status_code == 400
    assert "until" in response.get_json()["error"]["fields"]


def test_closure_of_another_providers_crew_answers_400(app, hydrants):
    other_crew = crew(make_org("provider", social_economy_status="lde"))
    client, headers = provider_client(app, hydrants)
    response = client.post(
        f"/api/v1/providers/{hydrants.provider.id}/closures",
        json={
            "from": "2026-03-10",
            "until": "2026-03-10",
            "reason": "Ziek",
            "crew_id": other_crew.id,
        },
        headers=headers,
    )
    assert response.status_code == 400
    assert "crew_id" in response.get_json()["error"]["fields"]


def test_closure_over_scheduled_rounds_moves_them_and_tells_provider_and_members(
    app, hydrants, mails
):
    make_user("member", org=hydrants.member, email="staff@member.example")
    client, headers = provider_client(app, hydrants)
    scheduled = make_round(
        hydrants.lot,
        hydrants.member,
        hydrants.add_assets(2),
        provider=hydrants.provider,
        scheduled_date=date(2026, 3, 10),
        due_date=date(2026, 3, 10),
    )
    elsewhere = make_round(
        hydrants.lot,
        hydrants.member,
        hydrants.add_assets(2),
        provider=hydrants.provider,
        scheduled_date=date(2026, 3, 13),
    )
    with frozen_today(TODAY):
        response = client.post(
            f"/api/v1/providers/{hydrants.provider.id}/closures",
            json={"from": "2026-03-09", "until": "2026-03-11", "reason": "Opleiding"},
            headers=headers,
        )
    assert response.status_code == 201
    body = response.get_json()
    assert body["from"] == "2026-03-09" and body["until"] == "2026-03-11"
    db.session.expire_all()
    assert scheduled.scheduled_date == date(2026, 3, 12)  # the next open day
    assert scheduled.due_date == date(2026, 3, 12)  # not overdue for the provider's closure
    assert elsewhere.scheduled_date == date(2026, 3, 13)
    recipients = {to for to, _subject, _body in mails}
    assert "staff@member.example" in recipients
    assert any(f"#{scheduled.id}" in b and "12 mrt 2026" in b for _t, _s, b in mails)
    listed = client.get(f"/api/v1/providers/{hydrants.provider.id}/closures").get_json()
    assert [c["reason"] for c in listed] == ["Opleiding"]


def test_crew_closure_moves_only_what_the_other_crews_cannot_do(app, hydrants):
    a = crew(hydrants.provider, "A")
    crew(hydrants.provider, "B")
    day = date(2026, 3, 10)
    kept, moved = (
        make_round(
            hydrants.lot,
            hydrants.member,
            hydrants.add_assets(2),
            provider=hydrants.provider,
            scheduled_date=day,
        )
        for _ in range(2)
    )
    client, headers = provider_client(app, hydrants)
    with frozen_today(TODAY):
        response = client.post(
            f"/api/v1/providers/{hydrants.provider.id}/closures",
            json={"from": "2026-03-10", "until": "2026-03-10", "reason": "Ziek", "crew_id": a.id},
            headers=headers,
        )
    assert response.status_code == 201
    db.session.expire_all()
    assert kept.scheduled_date == day
    assert moved.scheduled_date == date(2026, 3, 11)


def test_round_shows_its_planned_minutes_in_the_api_and_on_its_page(app, hydrants):
    from central.planning.jobs import generate_rounds

    hydrants.add_assets(4)
    generate_rounds(db.session, TODAY)
    from central.planning.models import Round

    round_ = db.session.scalars(select(Round)).one()
    client = sign_in(app, make_user("member", org=hydrants.member))
    body = client.get(f"/api/v1/rounds/{round_.id}").get_json()
    assert body["planned_minutes"] == round_.planned_minutes >= 60  # 4 × 15 and the drive
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    minutes = round_.planned_minutes
    assert "Geplande tijd" in page and f"{minutes // 60} u {minutes % 60:02d} min" in page


# The pages --------------------------------------------------------------------------------------


def test_provider_adds_a_crew_and_closes_days_on_its_page(app, hydrants):
    user = make_user("provider", org=hydrants.provider)
    client = sign_in(app, user)
    page = client.get("/crews")
    assert page.status_code == 200
    token = csrf_token(client)
    added = client.post(
        "/crews",
        data={
            "action": "crew",
            "crew-name": "Ploeg Zuid",
            "crew-days_per_week": "4",
            "csrf_token": token,
        },
    )
    assert added.status_code == 302
    [made] = db.session.scalars(select(Crew).where(Crew.provider_id == hydrants.provider.id))
    assert (made.name, made.days_per_week) == ("Ploeg Zuid", 4)
    refused = client.post(
        "/crews",
        data={
            "action": "closure",
            "start_date": "2026-03-12",
            "end_date": "2026-03-10",
            "reason": "Opleiding",
            "crew_id": "0",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 400  # the form again, with the error
    assert db.session.scalars(select(Closure)).all() == []
    with frozen_today(TODAY):
        closed = client.post(
            "/crews",
            data={
                "action": "closure",
                "start_date": "2026-03-10",
                "end_date": "2026-03-12",
                "reason": "Opleiding",
                "crew_id": str(made.id),
                "csrf_token": token,
            },
        )
        assert closed.status_code == 302
        listing = client.get("/crews").get_data(as_text=True)
    [closure_] = db.session.scalars(select(Closure))
    assert closure_.crew_id == made.id and closure_.reason == "Opleiding"
    assert "Opleiding" in listing and "Ploeg Zuid" in listing
    changed = client.post(
        f"/crews/{made.id}",
        data={
            f"crew{made.id}-name": "Ploeg Zuid",
            f"crew{made.id}-days_per_week": "3",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    db.session.refresh(made)
    assert made.days_per_week == 3


@pytest.mark.parametrize("role", ["member", "coordinator"])
def test_crews_page_is_the_providers_own(hydrants, login_as, role):
    org = hydrants.member if role == "member" else hydrants.framework.lead_organisation
    client = login_as(make_user(role, org=org))
    assert client.get("/crews").status_code == 403
    response = client.post("/crews", data={"action": "crew", "csrf_token": csrf_token(client)})
    assert response.status_code == 403


def test_other_providers_crew_cannot_be_changed_from_the_page(app, hydrants):
    other = crew(make_org("provider", social_economy_status="lde"))
    client = sign_in(app, make_user("provider", org=hydrants.provider))
    response = client.post(
        f"/crews/{other.id}",
        data={
            f"crew{other.id}-name": "X",
            f"crew{other.id}-days_per_week": "2",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 404


def test_workload_page_charts_rounds_over_all_lots_against_the_crews(app, hydrants):
    crew(hydrants.provider, days=2)
    other_member = make_org("authority")
    other = make_active_framework(members=[other_member], providers=[hydrants.provider])
    for lot, member in ((hydrants.lot, hydrants.member), (other.lots[0], other_member)):
        make_round(
            lot,
            member,
            hydrants.add_assets(2, member=member),
            provider=hydrants.provider,
            scheduled_date=TODAY,
        )
    client = sign_in(app, make_user("provider", org=hydrants.provider))
    with frozen_today(TODAY):
        page = client.get("/workload").get_data(as_text=True)
    assert "<svg" in page and "stroke-dasharray" in page  # the crews' capacity line
    assert "<td>2</td><td>2</td>" in page.replace(" ", "").replace("\n", "")  # 2 rounds, 2 days


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"from": "9999-12-30", "until": "9999-12-31", "reason": "Typo"}, "from"),
        ({"from": "2026-03-10", "until": "9999-12-31", "reason": "Typo"}, "until"),
        ({"from": "2026-03-10", "until": "2026-03-10", "reason": "X", "crew_id": 2**40}, "crew_id"),
        ({"from": "2026-03-10", "until": "2026-03-10", "reason": ""}, "reason"),
    ],
)
def test_bad_closure_answers_400_with_the_field_not_a_crash(app, hydrants, payload, field):
    client, headers = provider_client(app, hydrants)
    response = client.post(
        f"/api/v1/providers/{hydrants.provider.id}/closures", json=payload, headers=headers
    )
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_crew_id_beyond_32_bits_names_nothing(app, hydrants):
    client, headers = provider_client(app, hydrants)
    url = f"/api/v1/providers/{hydrants.provider.id}/crews/{2**40}"
    assert client.patch(url, json={"days_per_week": 2}, headers=headers).status_code == 404
