"""The main contractor's social action plan per award (SPEC 7.3, Ghent): filed by the provider
(due dates not in the past), approved by the lead coordinator, realised per quarter with
evidence files checked like photos (30 MB → 413), evidence kept with uploader and date and
superseded, never edited; per award the clause target against realised and each action's plan
against realised, late actions flagged. Someone else's award answers 404; nothing is written
on bad input."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from central.core.audit import AuditEvent
from central.core.clock import frozen_today, today
from central.extensions import db
from central.fieldwork.services import store_labour
from central.frameworks.models import (
    ActionEvidence,
    ActionPlan,
    ActionRealisation,
    AwardSubcontractor,
    PlanAction,
    SubcontractedTaskType,
)
from tests.factories import make_award, make_org, make_user, make_work

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 120, 0)).save(out, "PNG")
    return out.getvalue()


def _actions(**changes):
    due = (today() + timedelta(days=90)).isoformat()
    actions = [
        {
            "kind": "work_experience",
            "target": "4",
            "unit": "persons",
            "due_date": due,
            "description": "Werkervaring",
        },
        {"kind": "training", "target": "120", "unit": "hours", "due_date": due},
    ]
    actions[0].update(changes)
    return actions


def _plan_path(ghent) -> str:
    return f"/api/v1/awards/{ghent.award.id}/action-plan"


def _file(client, ghent, actions=None, who="main"):
    return client.post(
        _plan_path(ghent), json={"actions": actions or _actions()}, headers=ghent.headers(who)
    )


def _approved(client, ghent):
    assert _file(client, ghent).status_code == 201
    response = client.post(_plan_path(ghent) + "/approve", headers=ghent.headers("coordinator"))
    assert response.status_code == 200, response.json
    return db.session.scalar(select(ActionPlan))


def _written():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ActionPlan, PlanAction, ActionRealisation, ActionEvidence)
    )


def test_the_provider_files_and_the_coordinator_approves(client, ghent):
    response = _file(client, ghent)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "submitted" and len(body["actions"]) == 2
    assert body["actions"][0]["kind"] == "work_experience"
    # Filed again before approval: replaced.
    again = _file(client, ghent, _actions(target="5"))
    assert again.status_code == 200 and again.json["actions"][0]["target"] == "5.00"
    assert (
        client.post(_plan_path(ghent) + "/approve", headers=ghent.headers("main")).status_code
        == 403
    )
    approved = client.post(_plan_path(ghent) + "/approve", headers=ghent.headers("coordinator"))
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    assert _file(client, ghent).status_code == 409  # fixed once approved
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "action_plans")
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == ["action_plan.filed", "action_plan.refiled", "action_plan.approved"]


@pytest.mark.parametrize(
    ("actions", "fields"),
    [
        (_actions(due_date="2020-01-01"), {"actions.0.due_date"}),
        (_actions(kind="charity"), {"actions.0.kind"}),
        (_actions(unit="days"), {"actions.0.unit"}),
        (_actions(target="0"), {"actions.0.target"}),
        (_actions(target="2.5"), {"actions.0.target"}),  # persons are whole
        (
            _actions(kind="x", unit="y", target="-1", due_date="2020-01-01"),
            {"actions.0.kind", "actions.0.unit", "actions.0.target", "actions.0.due_date"},
        ),
        ([], {"actions"}),
    ],
)
def test_bad_plans_answer_400_with_every_error_and_write_nothing(client, ghent, actions, fields):
    before = _written()
    response = client.post(
        _plan_path(ghent), json={"actions": actions}, headers=ghent.headers("main")
    )
    assert response.status_code == 400, response.json
    assert set(response.json["error"]["fields"]) == fields
    assert _written() == before


def test_a_past_due_date_is_named_in_dutch(client, ghent):
    response = _file(client, ghent, _actions(due_date=(today() - timedelta(days=1)).isoformat()))
    assert response.json["error"]["fields"]["actions.0.due_date"] == [
        "De vervaldatum kan niet in het verleden liggen."
    ]


@pytest.mark.parametrize("who", ["other_provider", "social", "other_coordinator", "member"])
def test_a_plan_on_someone_elses_award_is_404(client, ghent, who):
    if who == "other_provider":
        # Another provider awarded the same lot (it reaches the lot, not this award's plan).
        other = make_org("provider")
        make_award(ghent.lot, other, rank=2)
        ghent.users[who] = make_user("provider", other)
    before = _written()
    assert _file(client, ghent, who=who).status_code == 404
    assert client.get(_plan_path(ghent), headers=ghent.headers(who)).status_code == 404
    progress = f"/api/v1/awards/{ghent.award.id}/social-progress"
    assert client.get(progress, headers=ghent.headers(who)).status_code == 404
    assert _written() == before


def test_realisation_per_quarter_supersedes_and_sums(client, ghent):
    plan = _approved(client, ghent)
    action = plan.actions[0]
    path = f"{_plan_path(ghent)}/actions/{action.id}/realisations"
    year, quarter = today().year, (today().month - 1) // 3 + 1
    first = client.post(
        path,
        json={"year": year, "quarter": quarter, "realised": "1"},
        headers=ghent.headers("main"),
    )
    assert first.status_code == 201, first.json
    second = client.post(
        path,
        json={"year": year, "quarter": quarter, "realised": "2", "note": "Correctie"},
        headers=ghent.headers("main"),
    )
    assert second.status_code == 201
    rows = list(db.session.scalars(select(ActionRealisation).order_by(ActionRealisation.id)))
    assert rows[0].superseded_by_id == rows[1].id and rows[0].realised == 1  # kept, not edited
    progress = client.get(
        f"/api/v1/awards/{ghent.award.id}/social-progress", headers=ghent.headers("coordinator")
    ).json
    assert progress["plan_status"] == "approved"
    assert progress["actions"][0]["realised"] == "2.00"
    assert progress["actions"][0]["late"] is False
    # Bad quarters: all errors at once, nothing written.
    before = _written()
    bad = client.post(
        path, json={"year": year + 1, "quarter": 5, "realised": "-1"}, headers=ghent.headers("main")
    )
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"quarter", "realised"}
    assert _written() == before


def test_realisation_waits_for_approval(client, ghent):
    assert _file(client, ghent).status_code == 201
    action = db.session.scalar(select(PlanAction))
    path = f"{_plan_path(ghent)}/actions/{action.id}/realisations"
    response = client.post(
        path,
        json={"year": today().year, "quarter": 1, "realised": "1"},
        headers=ghent.headers("main"),
    )
    assert response.status_code == 409


def _upload(client, ghent, action, data, name="bewijs.pdf", who="main", **form):
    form.setdefault("year", str(today().year))
    form.setdefault("quarter", str((today().month - 1) // 3 + 1))
    return client.post(
        f"{_plan_path(ghent)}/actions/{action.id}/evidence",
        data={**form, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=ghent.headers(who),
    )


def test_evidence_is_kept_with_uploader_and_date_and_superseded(client, ghent, file_store):
    plan = _approved(client, ghent)
    action = plan.actions[0]
    first = _upload(client, ghent, action, PDF, "../../contract.pdf")
    assert first.status_code == 201, first.json
    assert first.json["content_type"] == "application/pdf"
    assert first.json["filename"] == "contract.pdf"
    assert first.json["uploaded_by_id"] == ghent.users["main"].id
    photo = _upload(client, ghent, action, png(), "foto.png", supersedes=str(first.json["id"]))
    assert photo.status_code == 201, photo.json
    assert (
        photo.json["content_type"] == "image/jpeg"
        and photo.json["supersedes_id"] == first.json["id"]
    )
    # A file is superseded once.
    again = _upload(client, ghent, action, PDF, supersedes=str(first.json["id"]))
    assert again.status_code == 400
    got = client.get(
        f"{_plan_path(ghent)}/evidence/{first.json['id']}", headers=ghent.headers("coordinator")
    )
    assert got.status_code == 200 and got.data == PDF
    assert (
        client.get(
            f"{_plan_path(ghent)}/evidence/{first.json['id']}", headers=ghent.headers("social")
        ).status_code
        == 404
    )
    assert db.session.scalar(select(func.count()).select_from(ActionEvidence)) == 2


@pytest.mark.parametrize(
    ("data", "name"), [(b"MZ\x90\x00 not a document", "tool.exe"), (b"", "leeg.pdf")]
)
def test_evidence_of_another_type_is_refused(client, ghent, file_store, data, name):
    plan = _approved(client, ghent)
    before = _written()
    response = _upload(client, ghent, plan.actions[0], data, name)
    assert response.status_code == 400
    assert "file" in response.json["error"]["fields"]
    assert _written() == before


def test_a_30_mb_evidence_file_answers_413_and_writes_nothing(client, ghent, file_store):
    plan = _approved(client, ghent)
    before = _written()
    response = _upload(client, ghent, plan.actions[0], PDF + b"0" * (30 * 1024 * 1024))
    assert response.status_code == 413
    assert _written() == before


def test_a_late_action_is_flagged(client, ghent):
    plan = _approved(client, ghent)
    due = plan.actions[0].due_date
    with frozen_today(due + timedelta(days=1)):
        progress = client.get(
            f"/api/v1/awards/{ghent.award.id}/social-progress", headers=ghent.headers("main")
        ).json
    assert [a["late"] for a in progress["actions"]] == [True, True]


def test_clause_target_against_realised_from_work_and_labour(client, ghent):
    ghent.lot.social_clause_kind, ghent.lot.social_clause_target = (
        "subcontracting_share",
        Decimal("25"),
    )
    sub = AwardSubcontractor(
        award_id=ghent.award.id,
        organisation_id=ghent.social.id,
        social_economy_status="maatwerkbedrijf",
        started_on=date(2025, 1, 1),
    )
    sub.task_types = [
        SubcontractedTaskType(award_id=ghent.award.id, task_type_id=ghent.hedges.id, active=True)
    ]
    db.session.add(sub)
    round_ = make_work(
        ghent.lot,
        ghent.member,
        ghent.main,
        [
            {"task_type": ghent.hedges, "unit_price": "18.50"},
            {"task_type": ghent.lawns, "unit_price": "30.00"},
            {"task_type": ghent.lawns, "unit_price": "30.00", "status": "done"},  # not accepted
        ],
    )
    progress_path = f"/api/v1/awards/{ghent.award.id}/social-progress"
    clause = client.get(progress_path, headers=ghent.headers("coordinator")).json["clause"]
    assert clause["kind"] == "subcontracting_share" and clause["target"] == "25.00"
    assert clause["accepted_value"] == "48.50" and clause["subcontracted_value"] == "18.50"
    assert clause["realised"] == "38.14" and clause["met"] is True
    assert (
        client.get(progress_path, headers=ghent.headers("main")).json["subcontractors"][0][
            "organisation_id"
        ]
        == ghent.social.id
    )
    ghent.lot.social_clause_kind, ghent.lot.social_clause_target = (
        "target_group_hours",
        Decimal("500"),
    )
    store_labour(
        [
            {
                "round_id": round_.id,
                "provider_id": ghent.social.id,
                "work_date": date(2025, 6, 10),
                "hours": "2.00",
                "target_group_hours": "2.00",
                "target_group_workers": 1,
            }
        ]
    )
    clause = client.get(progress_path, headers=ghent.headers("coordinator")).json["clause"]
    # 2 hours on 48.50 EUR of accepted work: 412.37 hours per EUR 10,000, below 500.
    assert clause["target_group_hours"] == "2.00"
    assert clause["realised"] == "412.37" and clause["met"] is False


def test_framework_status_mails_late_actions_once(client, ghent):
    from central.core.mail import OutgoingMail
    from central.planning.jobs import framework_status

    plan = _approved(client, ghent)
    action = plan.actions[0]
    path = f"{_plan_path(ghent)}/actions/{action.id}/realisations"
    year, quarter = today().year, (today().month - 1) // 3 + 1
    client.post(
        path,
        json={"year": year, "quarter": quarter, "realised": "4"},
        headers=ghent.headers("main"),
    )  # the first action is realised in full: not late
    day = action.due_date + timedelta(days=1)
    counts = framework_status(db.session, day)
    assert counts["late_actions_alerted"] == 1
    mails = list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
    recipients = {m.recipient for m in mails}
    assert {ghent.users["coordinator"].email, ghent.users["main"].email} <= recipients
    body = next(m for m in mails if m.recipient == ghent.users["main"].email).body
    assert "opleiding: 0 van 120 uren gerealiseerd" in body
    assert "werkervaring" not in body
    assert "late_actions_alerted" not in framework_status(db.session, day)  # once
