"""Two crews correct two inaccessible tasks of different rounds to ok at the same moment, with
room under the maximum for one (rule 2, §7.1): the framework's lock lets one through and refuses
the other (409 maximum_reached). Real commits, on a database of its own; on SQLite, a request
whose snapshot went stale answers 503 and is sent again."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from central.accounts.models import ApiToken
from central.core.types import utcnow
from central.extensions import db
from central.frameworks.queries import committed_amounts
from tests.factories import make_token
from tests.fieldwork.conftest import OK, build_field


def test_two_corrections_at_once_never_cross_the_maximum_together(commit_db, commit_app):
    world = build_field()
    second = world.another_round(count=1)
    closed = [world.tasks[0], second.tasks[0]]
    for task in closed:
        task.status, task.result, task.done_on = "done", "inaccessible", date(2026, 3, 2)
    # 18.50 × 2 still committed (two open tasks of the first round): room for one more.
    world.framework.estimated_value = world.framework.max_value = Decimal("55.50")
    token = make_token(world.crew)
    for api_token in db.session.scalars(select(ApiToken)):
        api_token.last_used_at = utcnow()
    db.session.commit()
    assert committed_amounts(world.framework.id).total.committed == Decimal("37.00")
    client = commit_app.test_client()
    barrier = threading.Barrier(2)
    answers: list = []

    def send(task_id: int):
        with commit_app.app_context():
            response = client.post(
                f"/api/v1/tasks/{task_id}/result",
                json=OK,
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code, response.get_json()

    def post(task_id: int) -> None:
        barrier.wait()
        status, body = send(task_id)
        while status == 503:  # the phone tries again
            status, body = send(task_id)
        answers.append((status, body))

    threads = [threading.Thread(target=post, args=(task.id,)) for task in closed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _body in answers) == [200, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["error"]["code"] == "maximum_reached"
    db.session.rollback()
    assert committed_amounts(world.framework.id).total.committed == Decimal("55.50")
