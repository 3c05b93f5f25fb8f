"""SPEC 7.2 municipal mergers: POST /organisations/{id}/succession moves users, active assets,
service plans, open needs and open work and approved accessions to the successor; the history
stays with the predecessor, marked, which is read-only afterwards (409). A refusal writes
nothing. The admin's page shows what moves before it is confirmed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from central.accounts.models import User
from central.assets.models import Asset, Need, ServicePlan
from central.core.audit import AuditEvent
from central.core.clock import frozen_today
from central.extensions import db
from central.frameworks.models import Accession, AccessionLot, FrameworkBeneficiary
from central.organisations.models import Organisation
from central.planning.models import Round
from central.reports import services as report_services
from tests.conftest import csrf_token
from tests.factories import (
    make_accession,
    make_active_framework,
    make_asset,
    make_framework,
    make_need,
    make_org,
    make_round,
    make_service_plan,
    make_token,
    make_user,
    make_work,
    name_beneficiaries,
)

TODAY = date(2026, 3, 4)
EFFECTIVE = date(2025, 1, 1)
EN = {"Accept-Language": "en"}


@pytest.fixture
def merger(db):
    """Ledegem merges into Menen (1 January 2025): Ledegem has a user, assets, a plan, a need,
    an open round, an accepted (billed) round and an approved accession; Menen has its own."""
    lead = make_org("authority", name="Stad Roeselare")
    ledegem = make_org("authority", name="Gemeente Ledegem")
    menen = make_org("authority", name="Stad Menen")
    provider = make_org("provider", social_economy_status="lde")
    framework = make_active_framework(lead, providers=[provider])
    lot = framework.lots[0]
    name_beneficiaries(framework, ledegem)
    make_accession(framework, ledegem, order_reference="LED-2024-1")
    user = make_user("member", ledegem)
    assets = [make_asset(ledegem, code=f"H-{n}") for n in (1, 2)]
    retired = make_asset(ledegem, code="H-OLD", status="retired", retired_at=datetime.now(UTC))
    plan = make_service_plan(ledegem, lot)
    need = make_need(ledegem, lot, assets[0])
    open_round = make_round(lot, ledegem, [assets[1]], provider=provider)
    history = make_work(lot, ledegem, provider, [{"unit_price": "30.00"}])  # June 2025
    report_services.issue_statements(db.session, date(2025, 7, 1))  # billed to Ledegem
    admin = make_user("admin")
    token = make_token(admin)
    db.session.commit()
    return {
        "framework": framework,
        "lot": lot,
        "ledegem": ledegem,
        "menen": menen,
        "provider": provider,
        "user": user,
        "assets": assets,
        "retired": retired,
        "plan": plan,
        "need": need,
        "open_round": open_round,
        "history": history,
        "headers": {"Authorization": f"Bearer {token}", **EN},
    }


def succeed(client, merger, **body):
    values = {"successor_id": merger["menen"].id, "effective_date": EFFECTIVE.isoformat(), **body}
    with frozen_today(TODAY):
        return client.post(
            f"/api/v1/organisations/{merger['ledegem'].id}/succession",
            json=values,
            headers=merger["headers"],
        )


def state():
    """Everything a refused succession must leave as it was."""
    return (
        tuple(db.session.execute(select(User.id, User.organisation_id).order_by(User.id))),
        tuple(db.session.execute(select(Asset.id, Asset.member_id, Asset.code).order_by(Asset.id))),
        tuple(
            db.session.execute(select(ServicePlan.id, ServicePlan.member_id, ServicePlan.active))
        ),
        tuple(db.session.execute(select(Need.id, Need.member_id).order_by(Need.id))),
        tuple(db.session.execute(select(Round.id, Round.member_id).order_by(Round.id))),
        db.session.scalar(select(func.count(Accession.id))),
        db.session.scalar(select(func.count(AccessionLot.lot_id))),
        db.session.scalar(select(func.count()).select_from(FrameworkBeneficiary)),
        db.session.scalar(select(func.count(AuditEvent.id))),
        tuple(db.session.scalars(select(Organisation.succeeded_by_id).order_by(Organisation.id))),
    )


def test_a_succession_moves_what_runs_and_keeps_the_history_marked(client, merger):
    ledegem, menen = merger["ledegem"], merger["menen"]
    response = succeed(client, merger)
    assert response.status_code == 201, response.json
    moved = response.json["moved"]
    # Two assets, and the one of the accepted work (active: it moves; its past task stays).
    assert moved["users"] == 1 and moved["assets"] == 3 and moved["needs"] == 1
    assert moved["rounds"] == 1 and moved["accessions"] == 1 and moved["service_plans"] == 1
    db.session.expire_all()
    assert db.session.get(User, merger["user"].id).organisation_id == menen.id
    assert {a.member_id for a in (db.session.get(Asset, x.id) for x in merger["assets"])} == {
        menen.id
    }
    assert db.session.get(Asset, merger["retired"].id).member_id == ledegem.id  # history
    assert db.session.get(ServicePlan, merger["plan"].id).member_id == menen.id
    assert db.session.get(Need, merger["need"].id).member_id == menen.id
    assert db.session.get(Round, merger["open_round"].id).member_id == menen.id
    assert db.session.get(Round, merger["history"].id).member_id == ledegem.id  # accepted
    (accession,) = db.session.scalars(
        select(Accession).where(Accession.member_id == menen.id)
    ).all()
    assert accession.status == "approved" and accession.order_reference == "LED-2024-1"
    assert [link.lot_id for link in accession.lot_links] == [merger["lot"].id]
    assert db.session.get(FrameworkBeneficiary, (merger["framework"].id, menen.id)) is not None
    ledegem = db.session.get(Organisation, ledegem.id)
    assert ledegem.succeeded_by_id == menen.id and ledegem.succeeded_on == EFFECTIVE
    read = client.get(f"/api/v1/organisations/{ledegem.id}", headers=merger["headers"]).json
    assert read["succeeded_by_id"] == menen.id and read["succeeded_on"] == "2025-01-01"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation.succeeded")
    ).one()
    assert event.data["changes"]["succeeded_by_id"] == {"old": None, "new": menen.id}


def test_the_successors_users_read_the_predecessor_and_its_history(client, merger):
    from central.planning.reach import visible_rounds
    from central.reports.models import Statement
    from central.reports.reach import visible_statements

    assert succeed(client, merger).status_code == 201
    user = db.session.get(User, merger["user"].id)
    token = make_token(user)
    db.session.commit()
    response = client.get(
        f"/api/v1/organisations/{merger['ledegem'].id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json["succeeded_by_id"] == merger["menen"].id
    statements = db.session.scalars(visible_statements(user)).all()
    assert [s.member_id for s in statements] == [merger["ledegem"].id]  # Ledegem's, kept
    assert db.session.scalars(select(Statement)).all() == statements
    rounds = {r.id for r in db.session.scalars(visible_rounds(user))}
    assert merger["history"].id in rounds and merger["open_round"].id in rounds
    # Another member does not.
    other = make_user("member", make_org("authority"))
    assert db.session.scalars(visible_rounds(other)).all() == []


def test_work_accepted_after_the_effective_date_and_not_billed_goes_to_the_successor(
    client, merger
):
    unbilled = make_work(
        merger["lot"],
        merger["ledegem"],
        merger["provider"],
        [{"accepted_at": datetime(2025, 8, 5, 10, 0, tzinfo=UTC)}],
    )
    before_effective = make_work(
        merger["lot"],
        merger["ledegem"],
        merger["provider"],
        [{"accepted_at": datetime(2024, 12, 30, 10, 0, tzinfo=UTC)}],
    )
    db.session.commit()
    response = succeed(client, merger)
    assert response.status_code == 201
    assert response.json["moved"]["rounds"] == 2  # the open round and the August work
    db.session.expire_all()
    assert db.session.get(Round, unbilled.id).member_id == merger["menen"].id
    assert db.session.get(Round, before_effective.id).member_id == merger["ledegem"].id
    assert db.session.get(Round, merger["history"].id).member_id == merger["ledegem"].id


def test_the_predecessor_is_read_only_afterwards(client, merger):
    assert succeed(client, merger).status_code == 201
    ledegem = merger["ledegem"]
    before = state()
    response = client.patch(
        f"/api/v1/organisations/{ledegem.id}",
        json={"email": "info@ledegem.example"},
        headers=merger["headers"],
    )
    assert response.status_code == 409
    assert "Stad Menen" in response.json["error"]["message"]
    response = client.post(
        "/api/v1/users",
        json={"email": "new@ledegem.example", "role": "member", "organisation_id": ledegem.id},
        headers=merger["headers"],
    )
    assert response.status_code == 409
    again = succeed(client, merger)
    assert again.status_code == 409
    assert state() == before


def test_clashing_asset_codes_answer_409_unless_a_prefix_is_given(client, merger):
    make_asset(merger["menen"], code="H-1")
    db.session.commit()
    before = state()
    response = succeed(client, merger)
    assert response.status_code == 409
    assert "H-1" in response.json["error"]["message"]
    assert "code_prefix" in response.json["error"]["fields"]
    assert state() == before  # nothing half-written
    response = succeed(client, merger, code_prefix="LED-")
    assert response.status_code == 201, response.json
    codes = set(db.session.scalars(select(Asset.code).where(Asset.member_id == merger["menen"].id)))
    assert {"H-1", "LED-H-1", "LED-H-2"} <= codes and "H-2" not in codes


def test_accessions_merge_by_lot_and_a_same_plan_of_the_successor_stays_its_own(client, merger):
    menen = merger["menen"]
    name_beneficiaries(merger["framework"], menen)
    make_accession(merger["framework"], menen, order_reference="MEN-1")
    own_plan = make_service_plan(menen, merger["lot"])
    db.session.commit()
    response = succeed(client, merger)
    assert response.status_code == 201, response.json
    db.session.expire_all()
    accessions = db.session.scalars(select(Accession).where(Accession.member_id == menen.id)).all()
    assert [a.order_reference for a in accessions] == ["MEN-1"]
    assert db.session.get(ServicePlan, own_plan.id).active
    old_plan = db.session.get(ServicePlan, merger["plan"].id)
    assert old_plan.member_id == merger["ledegem"].id and not old_plan.active


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"successor_id": 999999}, 400, "successor_id"),
        ({"effective_date": "2027-01-01"}, 400, "effective_date"),
        ({"code_prefix": "X" * 21}, 400, "code_prefix"),
    ],
)
def test_bad_successions_answer_with_the_field_and_write_nothing(
    client, merger, body, status, field
):
    before = state()
    response = succeed(client, merger, **body)
    assert response.status_code == status
    assert field in response.json["error"]["fields"]
    assert state() == before


def test_an_authority_is_not_its_own_successor_nor_a_provider_a_successor(client, merger):
    before = state()
    assert succeed(client, merger, successor_id=merger["ledegem"].id).status_code == 400
    assert succeed(client, merger, successor_id=merger["provider"].id).status_code == 400
    assert state() == before


def test_only_the_admin_records_a_succession(client, merger):
    token = make_token(make_user("coordinator", merger["ledegem"]))
    db.session.commit()
    before = state()
    response = client.post(
        f"/api/v1/organisations/{merger['ledegem'].id}/succession",
        json={"successor_id": merger["menen"].id, "effective_date": "2025-01-01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert state() == before


def test_a_dry_run_counts_and_writes_nothing(client, merger):
    before = state()
    response = succeed(client, merger, dry_run=True)
    assert response.status_code == 200
    assert response.json["recorded"] is False and response.json["moved"]["assets"] == 3
    assert state() == before


def test_the_page_shows_what_moves_then_records_on_confirmation(login_as, merger):
    admin = db.session.scalars(select(User).where(User.role == "admin")).first()
    client = login_as(admin)
    url = f"/admin/organisations/{merger['ledegem'].id}/succession"
    assert client.get(url).status_code == 200
    form = {
        "successor_id": str(merger["menen"].id),
        "effective_date": "2025-01-01",
        "code_prefix": "",
        "csrf_token": csrf_token(client),
    }
    before = state()
    with frozen_today(TODAY):
        page = client.post(url, data=form)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Bevestig" in text and 'name="confirm"' in text
        assert state() == before  # the first step writes nothing
        done = client.post(url, data={**form, "confirm": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, merger["ledegem"].id).succeeded_by_id == merger["menen"].id


def test_an_authority_that_leads_a_running_framework_is_not_succeeded(client, merger):
    """The limits of a succession (SPEC 7.2): the lead authority of a framework changes by its
    own decision first (409, nothing written)."""
    make_framework(merger["ledegem"], reference="LED-2025-01")  # a draft it leads
    db.session.commit()
    before = state()
    response = succeed(client, merger)
    assert response.status_code == 409
    assert "LED-2025-01" in response.json["error"]["message"]
    assert state() == before


def test_a_successor_that_was_itself_succeeded_is_refused(client, merger):
    wevelgem = make_org("authority", name="Gemeente Wevelgem")
    db.session.commit()
    merger_into_wevelgem = succeed(client, merger, successor_id=wevelgem.id)
    assert merger_into_wevelgem.status_code == 201, merger_into_wevelgem.json
    # Ledegem is succeeded: it cannot be succeeded again (read-only) ...
    before = state()
    again = succeed(client, merger)
    assert again.status_code == 409
    assert state() == before
    # ... and Menen cannot name Ledegem, itself succeeded, as its successor.
    with frozen_today(TODAY):
        response = client.post(
            f"/api/v1/organisations/{merger['menen'].id}/succession",
            json={"successor_id": merger["ledegem"].id, "effective_date": EFFECTIVE.isoformat()},
            headers=merger["headers"],
        )
    assert response.status_code == 409
    assert "successor_id" in response.json["error"]["fields"]
    assert state() == before
