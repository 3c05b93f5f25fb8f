"""Ghent's pages (SPEC 7.3, 7.6): the coordinator records subcontractors and approves the plan on
the award's social page; the provider files its plan (rows, every error at once) and reports
realisation with evidence (a file over the limit comes back saying the limit); the
subcontractor's crew works from its phone view, seeing only its tasks and no prices. Dutch by
default, English on request; others' awards answer 404."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from central.core.clock import today
from central.extensions import db
from central.fieldwork.models import LabourDay
from central.frameworks.models import ActionEvidence, ActionPlan, AwardSubcontractor
from tests.conftest import csrf_token, use_english
from tests.factories import make_org, make_user
from tests.social.conftest import subcontract

PDF = b"%PDF-1.4\n%%EOF\n"


def _post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client)}, **kwargs)


def _page(ghent) -> str:
    return f"/awards/{ghent.award.id}/social"


def test_coordinator_records_a_subcontractor_with_every_error_at_once(client, login_as, ghent):
    login_as(ghent.users["coordinator"])
    page = client.get(_page(ghent)).get_data(as_text=True)
    assert "Sociale clausule en actieplan" in page
    assert "Maatwerk Groen vzw" in page and "Gewone Tuinier BV" not in page  # recognised only
    response = _post(client, _page(ghent), {"form_name": "subcontractor"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="organisation_id-error"' in page and 'id="task_types-error"' in page
    response = _post(
        client,
        _page(ghent),
        {
            "form_name": "subcontractor",
            "organisation_id": str(ghent.social.id),
            "task_types": ["hedge_cutting"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    sub = db.session.scalar(select(AwardSubcontractor))
    assert sub.organisation_id == ghent.social.id
    page = client.get(_page(ghent)).get_data(as_text=True)
    assert "Haag snoeien" in page and "Beëindigen" in page
    response = _post(client, _page(ghent), {"form_name": "end", "subcontractor_id": str(sub.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert sub.ended_on == today()


def _plan_rows(**first):
    due = (today() + timedelta(days=60)).isoformat()
    data = {
        "form_name": "plan",
        "actions-0-kind": "work_experience",
        "actions-0-target": "3",
        "actions-0-unit": "persons",
        "actions-0-due_date": due,
        "actions-0-description": "Werkervaring voor drie mensen",
        "actions-1-kind": "",
        "actions-1-target": "",
        "actions-1-unit": "persons",
        "actions-1-due_date": "",
        "actions-2-kind": "training",
        "actions-2-target": "40",
        "actions-2-unit": "hours",
        "actions-2-due_date": due,
    }
    data.update({f"actions-0-{k}": v for k, v in first.items()})
    return data


def test_provider_files_the_plan_with_every_error_at_once(client, login_as, ghent):
    login_as(ghent.users["main"])
    page = client.get(_page(ghent)).get_data(as_text=True)
    assert "Het actieplan indienen" in page
    response = _post(client, _page(ghent), _plan_rows(due_date="2020-01-01", target="2,5"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="actions-0-due_date-error"' in page and 'id="actions-0-target-error"' in page
    assert "De vervaldatum kan niet in het verleden liggen." in page
    assert db.session.scalar(select(ActionPlan)) is None
    response = _post(client, _page(ghent), _plan_rows())
    assert response.status_code == 302, response.get_data(as_text=True)
    plan = db.session.scalar(select(ActionPlan))
    assert [a.kind for a in plan.actions] == ["work_experience", "training"]  # empty row skipped


def test_the_plan_walk_approve_report_and_evidence(client, login_as, ghent, file_store):
    login_as(ghent.users["main"])
    assert _post(client, _page(ghent), _plan_rows()).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as(ghent.users["coordinator"])
    assert _post(client, _page(ghent), {"form_name": "approve"}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as(ghent.users["main"])
    plan = db.session.scalar(select(ActionPlan))
    action = plan.actions[0]
    year, quarter = today().year, (today().month - 1) // 3 + 1
    bad = _post(
        client,
        _page(ghent),
        {
            "form_name": "realisation",
            "action_id": str(action.id),
            "year": str(year + 1),
            "quarter": "1",
            "realised": "1,5",
        },
    )
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert 'id="quarter-error"' in page and 'id="realised-error"' in page
    ok = _post(
        client,
        _page(ghent),
        {
            "form_name": "realisation",
            "action_id": str(action.id),
            "year": str(year),
            "quarter": str(quarter),
            "realised": "2",
        },
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)
    evidence = _post(
        client,
        _page(ghent),
        {
            "form_name": "evidence",
            "action_id": str(action.id),
            "year": str(year),
            "quarter": str(quarter),
            "file": (io.BytesIO(PDF), "contract.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert evidence.status_code == 302, evidence.get_data(as_text=True)
    assert db.session.scalar(select(ActionEvidence)).uploaded_by_id == ghent.users["main"].id
    too_big = _post(
        client,
        _page(ghent),
        {
            "form_name": "evidence",
            "action_id": str(action.id),
            "year": str(year),
            "quarter": str(quarter),
            "file": (io.BytesIO(PDF + b"0" * (30 * 1024 * 1024)), "groot.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = too_big.get_data(as_text=True)
    assert "10 MB" in page and "Sociale clausule en actieplan" in page
    assert len(list(db.session.scalars(select(ActionEvidence)))) == 1
    page = client.get(_page(ghent)).get_data(as_text=True)
    assert "contract.pdf" in page and "Werkervaring" in page


def test_others_get_404_and_english_is_english(client, login_as, ghent):
    for who in ("social", "member", "other_coordinator"):
        login_as(ghent.users[who])
        assert client.get(_page(ghent)).status_code == 404, who
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as(ghent.users["coordinator"])
    use_english(client)
    page = client.get(_page(ghent)).get_data(as_text=True)
    assert "Social clause and action plan" in page and "Record a subcontractor" in page


def test_the_framework_page_links_the_award_social_page(client, login_as, ghent):
    login_as(ghent.users["coordinator"])
    page = client.get(f"/frameworks/{ghent.framework.id}").get_data(as_text=True)
    assert _page(ghent) in page


def test_the_subcontractor_crew_works_from_its_phone_view(client, login_as, ghent):
    assert subcontract(client, ghent).status_code == 201
    login_as(ghent.users["social"])
    mine = client.get("/field/rounds").get_data(as_text=True)
    assert "/field/subcontracted" in mine
    listing = client.get("/field/subcontracted").get_data(as_text=True)
    assert f"/field/subcontracted/{ghent.round.id}" in listing and "Groen Aannemer NV" in listing
    page = client.get(f"/field/subcontracted/{ghent.round.id}").get_data(as_text=True)
    hedge, lawn = ghent.hedge_task, ghent.lawn_task
    assert f"/field/tasks/{hedge.id}" in page and f"/field/tasks/{lawn.id}" not in page
    assert "18,50" not in page and "€" not in page
    # Its labour form (offline too) comes back to this page, not to the round's.
    assert f'data-return="/field/subcontracted/{ghent.round.id}#labour"' in page
    assert client.get(f"/field/rounds/{ghent.round.id}").status_code == 404
    assert client.get(f"/field/tasks/{lawn.id}").status_code == 404
    task_page = client.get(f"/field/tasks/{hedge.id}")
    assert task_page.status_code == 200
    assert "18,50" not in task_page.get_data(as_text=True)
    saved = _post(client, f"/field/tasks/{hedge.id}", {"result": "ok"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert saved.headers["Location"].startswith(f"/field/subcontracted/{ghent.round.id}")
    db.session.expire_all()
    assert hedge.status == "done"
    labour = _post(
        client,
        f"/field/rounds/{ghent.round.id}/labour",
        {
            "work_date": today().isoformat(),
            "hours": "5",
            "target_group_hours": "5",
            "target_group_workers": "1",
        },
    )
    assert labour.status_code == 302
    day = db.session.scalar(select(LabourDay).where(LabourDay.provider_id == ghent.social.id))
    assert day.target_group_hours == 5


def test_a_provider_without_subcontracted_work_sees_none(client, login_as, ghent):
    user = make_user("provider", make_org("provider", social_economy_status="lde"))
    login_as(user)
    assert "Geen werk in onderaanneming" in client.get("/field/subcontracted").get_data(
        as_text=True
    )
    assert client.get(f"/field/subcontracted/{ghent.round.id}").status_code == 404


def test_the_social_impact_page_shows_each_award_clause(client, login_as, ghent):
    from decimal import Decimal

    ghent.lot.social_clause_kind, ghent.lot.social_clause_target = (
        "subcontracting_share",
        Decimal("15"),
    )
    db.session.flush()
    login_as(ghent.users["coordinator"])
    page = client.get(
        f"/reports/social-impact?framework={ghent.framework.id}&year={today().year}"
    ).get_data(as_text=True)
    assert "Sociale clausules per gunning" in page and _page(ghent) in page
    assert "15\xa0% via onderaannemers" in page
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as(ghent.users["member"])
    page = client.get(
        f"/reports/social-impact?framework={ghent.framework.id}&year={today().year}"
    ).get_data(as_text=True)
    assert "Sociale clausules per gunning" not in page
