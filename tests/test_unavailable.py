"""When the database cannot be reached, requests fail cleanly: 503 with Retry-After, in the API's
error format or as a plain page (never a 500 traceback). The recovery after a restart is run by
`python bench/faults.py`."""

from __future__ import annotations

import re
import socket

import pytest

from central import create_app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def db() -> None:
    """No test transaction here: it would bind every app's session to the working database."""
    return None


@pytest.fixture
def unreachable_app(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/central"
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}},
        STORAGE_DIR=str(tmp_path),
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: no test-only re-raise
    return app


def test_the_api_answers_503_in_its_error_format_when_the_database_is_down(unreachable_app):
    client = unreachable_app.test_client()
    response = client.get("/api/v1/organisations", headers={"Authorization": "Bearer ctl_x"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "unavailable"
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_page_answers_503_without_a_traceback_when_the_database_is_down(unreachable_app):
    client = unreachable_app.test_client()
    page = client.get("/login").get_data(as_text=True)  # needs no database
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"email": "someone@example.org", "password": "whatever-it-is", "csrf_token": token},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    html = response.get_data(as_text=True)
    assert "<h1>" in html and "Traceback" not in html and "psycopg" not in html


def test_a_signed_in_users_page_answers_503_too(unreachable_app):
    """Loading the signed-in user asks the database: the 503 page must not try it again."""
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"
        session["_fresh"] = True
    response = client.get("/")
    assert response.status_code == 503
    assert "<h1>" in response.get_data(as_text=True)


def test_a_report_whose_query_loses_the_database_answers_503(unreachable_app):
    """Reports read with pandas, which wraps the database's error in its own."""
    import pandas as pd
    import sqlalchemy as sa

    def wrapped():
        try:
            sa.create_engine(unreachable_app.config["SQLALCHEMY_DATABASE_URI"]).connect()
        except sa.exc.OperationalError as exc:
            raise pd.errors.DatabaseError("Execution failed on sql") from exc

    unreachable_app.add_url_rule("/api/v1/probe-report", "probe_report", wrapped)
    unreachable_app.add_url_rule("/probe-report", "probe_report_page", wrapped)
    client = unreachable_app.test_client()
    api = client.get("/api/v1/probe-report")
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"
    assert client.get("/probe-report").status_code == 503


def test_a_connection_lost_at_the_end_of_a_request_does_not_fail_the_answer(app, monkeypatch):
    """PostgreSQL restarting just as a request ends: closing the session fails; the answer the
    request made still goes out and the broken connection is discarded."""
    from sqlalchemy.exc import OperationalError

    from central.extensions import db as extension

    remove = extension.session.remove
    calls = []

    def remove_once_broken():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection"))
        remove()

    monkeypatch.setattr(extension.session, "remove", remove_once_broken)
    with app.app_context():  # the test client flushes the test's session before the request
        response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert len(calls) >= 2  # ours failed, Flask-SQLAlchemy's found nothing left to close
