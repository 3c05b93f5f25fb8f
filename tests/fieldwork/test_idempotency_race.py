"""Two phones (or one retrying) send the same result with the same Idempotency-Key at the same
time: it is stored once and every answer is the first one. Real commits, on a database of its
own. On SQLite, writers queue behind one another and a request whose snapshot went stale answers
503 (try again); its retry replays the stored answer."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from central.accounts.models import ApiToken
from central.core.audit import AuditEvent
from central.core.types import utcnow
from central.extensions import db
from central.fieldwork.models import IdempotencyRecord
from tests.factories import make_token
from tests.fieldwork.conftest import OK, build_field


def test_same_key_at_the_same_time_is_stored_once(commit_db, commit_app):
    world = build_field()
    task_id = world.tasks[0].id
    token = make_token(world.crew)
    # Used just now: signing in with it writes nothing, so the requests race on the result only.
    for api_token in db.session.scalars(select(ApiToken)):
        api_token.last_used_at = utcnow()
    db.session.commit()
    client = commit_app.test_client()
    barrier = threading.Barrier(4)
    answers: list = []

    def send():
        with commit_app.app_context():
            response = client.post(
                f"/api/v1/tasks/{task_id}/result",
                json=OK,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"},
            )
            return response.status_code, response.get_json()

    def post() -> None:
        barrier.wait()
        status, body = send()
        while status == 503:  # the phone tries again
            status, body = send()
        answers.append((status, body))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _body in answers] == [200] * 4, answers
    assert all(body == answers[0][1] for _status, body in answers)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    recorded = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.object_type == "tasks", AuditEvent.object_id == task_id)
    )
    assert recorded == 1
