"""`GET /healthz` for load balancers: 200 when the database answers and its migrations are at the
code's head, 503 otherwise; no sign-in, and nothing but which check failed."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import text

from central import create_app
from central.extensions import db as _db


def test_healthz_answers_200_without_sign_in_when_database_is_migrated_to_head(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_migrations_are_behind_the_code(client, db):
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "migrations": "behind"}


def test_healthz_answers_503_on_an_empty_database(client, db):
    db.session.execute(text("DELETE FROM alembic_version"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["migrations"] == "behind"


@pytest.fixture
def unreachable_app(tmp_path):
    """An app whose database does not answer (a closed port); its session is its own."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{port}/central",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
        STORAGE_DIR=str(tmp_path),
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_healthz_answers_503_when_the_database_does_not_answer(unreachable_app, monkeypatch):
    # The test transaction binds the shared session to the working database: give this app a
    # session of its own.
    monkeypatch.setattr(_db, "session", _db._make_scoped_session({}))
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": "unavailable",
        "migrations": "unknown",
    }
    assert "psycopg" not in response.get_data(as_text=True)
