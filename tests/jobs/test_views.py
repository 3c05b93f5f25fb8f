"""The coordinator's jobs page, "run now", and the API /jobs/runs and /jobs/{name}/run."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from central.extensions import db
from central.jobs.models import JobRun, JobStatus
from central.jobs.runner import run_job
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.jobs import sample_jobs

OTHER_ROLES = ("member", "provider", "admin")


@pytest.fixture
def sample_job(monkeypatch):
    return sample_jobs.register(monkeypatch, "test-ensure-org")


def _runs() -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id)))


def test_coordinator_sees_jobs_with_last_run_counts_errors_and_queue(
    login_as, sample_job, monkeypatch
):
    sample_jobs.register(monkeypatch, "test-half-then-fail")
    sample_jobs.register(monkeypatch, "mark-overdue", sample_jobs.ensure_org)
    run_job("test-half-then-fail")
    run_job("mark-overdue")
    client = login_as(make_user("coordinator"))
    client.post("/jobs/test-ensure-org/run", data={"csrf_token": csrf_token(client)})
    page = client.get("/jobs").get_data(as_text=True)
    assert "test-ensure-org" in page and "mark-overdue" in page
    assert "created: 1" in page  # counts
    assert "RuntimeError: failed half way" in page  # the error
    assert "badge-queued" in page  # the waiting request
    assert 'action="/jobs/mark-overdue/run"' in page  # run now
    assert 'href="/jobs"' in page  # the menu link


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_jobs_page_is_for_coordinators_only(login_as, role, sample_job):
    client = login_as(make_user(role))
    assert client.get("/jobs").status_code == 403
    response = client.post("/jobs/test-ensure-org/run", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 403
    assert _runs() == []
    assert 'href="/jobs"' not in client.get("/").get_data(as_text=True)


def test_jobs_page_asks_anonymous_visitors_to_sign_in(client, sample_job):
    response = client.get("/jobs")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/jobs/test-ensure-org/run").status_code in (302, 400)
    assert _runs() == []


def test_run_now_only_queues_a_run(login_as, sample_job):
    coordinator = make_user("coordinator")
    client = login_as(coordinator)
    response = client.post("/jobs/test-ensure-org/run", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    [run] = _runs()
    assert run.status == JobStatus.QUEUED
    assert run.requested_by_id == coordinator.id
    assert db.session.scalar(select(func.count()).where(JobRun.started_at.is_not(None))) == 0


def test_run_now_needs_the_csrf_token(login_as, sample_job):
    client = login_as(make_user("coordinator"))
    assert client.post("/jobs/test-ensure-org/run").status_code == 400
    assert _runs() == []


def test_run_now_for_an_unknown_job_is_404(login_as):
    client = login_as(make_user("coordinator"))
    response = client.post("/jobs/no-such-job/run", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404


# API


def test_api_queues_a_run_with_202(login_as, sample_job):
    client = login_as(make_user("coordinator"))
    response = client.post(
        "/api/v1/jobs/test-ensure-org/run", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 202
    body = response.get_json()
    assert body["job"] == "test-ensure-org" and body["status"] == "queued"
    assert body["started_at"] is None
    assert [r.status for r in _runs()] == [JobStatus.QUEUED]


def test_api_unknown_job_is_404(login_as):
    client = login_as(make_user("coordinator"))
    response = client.post(
        "/api/v1/jobs/no-such-job/run", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_api_lists_runs_newest_first_paginated(login_as, sample_job):
    for _ in range(3):
        run_job("test-ensure-org")
    client = login_as(make_user("coordinator"))
    response = client.get("/api/v1/jobs/runs?per_page=2")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    runs = response.get_json()
    assert len(runs) == 2
    assert runs[0]["id"] > runs[1]["id"]
    assert runs[0]["counts"] == {"created": 0}
    assert runs[0]["duration_seconds"] is not None
    filtered = client.get("/api/v1/jobs/runs?job=other&status=succeeded")
    assert filtered.get_json() == [] and filtered.headers["X-Total-Count"] == "0"


def test_api_rejects_bad_list_parameters(login_as):
    client = login_as(make_user("coordinator"))
    assert client.get("/api/v1/jobs/runs?per_page=501").status_code == 400
    response = client.get("/api/v1/jobs/runs?status=done")
    assert response.status_code == 400
    assert "status" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_api_jobs_are_for_coordinators_only(login_as, role, sample_job):
    client = login_as(make_user(role))
    assert client.get("/api/v1/jobs/runs").status_code == 403
    response = client.post(
        "/api/v1/jobs/test-ensure-org/run", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 403
    assert _runs() == []


def test_api_jobs_need_authentication(client, sample_job):
    assert client.get("/api/v1/jobs/runs").status_code == 401
    assert client.post("/api/v1/jobs/test-ensure-org/run").status_code == 401
    assert _runs() == []


def test_api_jobs_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/jobs/runs"]
    run = paths["/jobs/{name}/run"]["post"]
    assert "202" in run["responses"]
    assert run["parameters"][0] == {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }


def test_a_coordinator_sees_only_the_unassigned_rounds_of_its_own_frameworks(login_as):
    """Jobs span every framework; the rounds a run's counts name are those in the reader's reach."""
    from tests.factories import make_active_framework, make_asset, make_org, make_round

    lead, other_lead = make_org("authority"), make_org("authority")
    member, other_member = make_org("authority"), make_org("authority")
    ours_fw = make_active_framework(lead, members=[member])
    theirs_fw = make_active_framework(other_lead, members=[other_member])
    ours = make_round(ours_fw.lots[0], member, [make_asset(member)])
    theirs = make_round(theirs_fw.lots[0], other_member, [make_asset(other_member)])
    run = JobRun(
        job="assign-rounds",
        status=JobStatus.SUCCEEDED,
        counts={"assigned": 0, "unassigned": 2, "unassigned_round_ids": [ours.id, theirs.id]},
    )
    db.session.add(run)
    db.session.flush()
    client = login_as(make_user("coordinator", org=lead))
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(client)
    [listed] = [r for r in client.get("/api/v1/jobs/runs").get_json() if r["id"] == run.id]
    assert listed["counts"] == {"assigned": 0, "unassigned": 2, "unassigned_round_ids": [ours.id]}
    page = client.get("/jobs").get_data(as_text=True)
    assert f"rondes zonder opdrachtnemer (nummers): {ours.id}" in page
    assert str(theirs.id) not in page.split("rondes zonder opdrachtnemer (nummers):")[1][:20]


def test_job_runs_list_only_the_statement_numbers_in_reach(login_as):
    """The statements job spans every central; a run's counts name only the reader's."""
    from datetime import date

    from central.reports.models import Statement
    from central.reports.services import issue_statements
    from tests.factories import make_active_framework, make_org, make_work

    lead, other_lead = make_org("authority"), make_org("authority")
    member, other_member = make_org("authority"), make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    ours_fw = make_active_framework(lead, members=[member], providers=[provider])
    theirs_fw = make_active_framework(other_lead, members=[other_member], providers=[provider])
    make_work(ours_fw.lots[0], member, provider, [{}])
    make_work(theirs_fw.lots[0], other_member, provider, [{}])
    counts = issue_statements(db.session, date(2025, 7, 1))
    number = {s.framework_id: s.number for s in db.session.scalars(select(Statement))}
    assert sorted(counts["numbers"]) == sorted(number.values())
    run = JobRun(job="issue-statements", status=JobStatus.SUCCEEDED, counts=counts)
    db.session.add(run)
    db.session.flush()
    client = login_as(make_user("coordinator", org=lead))
    [listed] = [r for r in client.get("/api/v1/jobs/runs").get_json() if r["id"] == run.id]
    assert listed["counts"]["numbers"] == [number[ours_fw.id]]
    page = client.get("/jobs").get_data(as_text=True)
    assert number[ours_fw.id] in page
    assert number[theirs_fw.id] not in page


def test_job_counts_are_shown_in_words_and_dutch_numbers(login_as, monkeypatch):
    """A run's counts read as words in the reader's language, not as field names."""

    def counted(session, today):
        return {"needs_planned": 1234, "rounds": 3, "unassigned_round_ids": []}

    sample_jobs.register(monkeypatch, "generate-rounds", counted)
    run_job("generate-rounds")
    page = login_as(make_user("coordinator")).get("/jobs").get_data(as_text=True)
    assert "behoeften ingepland: 1.234" in page
    assert "rondes gepland: 3" in page
    assert "needs_planned" not in page and "needs planned" not in page
    assert "Achtergrondtaken" in page


def test_every_count_a_job_makes_has_a_label():
    """Every key a job counts under (`counts["…"]`, or the keys of a `counts`/`COUNTS` literal,
    anywhere in the code) has its words in JOB_COUNT_LABELS."""
    import ast
    from pathlib import Path

    import central
    from central.labels import JOB_COUNT_LABELS

    keys = set()
    for path in Path(central.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id == "counts"
                and isinstance(node.slice, ast.Constant)
            ):
                keys.add(node.slice.value)
            target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and target.id in ("counts", "COUNTS"):
                if isinstance(value, ast.Dict):
                    keys |= {k.value for k in value.keys if isinstance(k, ast.Constant)}
                elif isinstance(value, ast.Tuple):
                    keys |= {k.value for k in value.elts if isinstance(k, ast.Constant)}
    assert len(keys) > 20  # the scan finds the jobs' counts
    assert keys - set(JOB_COUNT_LABELS) == set()
