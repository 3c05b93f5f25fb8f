"""Production logs: one JSON object a line with the request id, the user id, the status and the
duration of each request; the request id is echoed to the caller."""

from __future__ import annotations

import io
import json
import logging

import pytest

from central.core import logs


@pytest.fixture
def json_lines(app):
    """Log lines as production writes them (the JSON formatter on the root logger), captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_production_logs_are_json_lines_by_default():
    from config import ProductionConfig, TestingConfig

    assert ProductionConfig.LOG_FORMAT == "json"
    assert TestingConfig.LOG_FORMAT == "text"


def test_each_request_logs_one_json_line_with_request_id_user_status_and_duration(
    client, login_as, json_lines
):
    from tests.factories import make_user

    user = make_user(role="member")
    login_as(user)
    response = client.get("/", headers={"X-Request-ID": "lb-4711"})
    assert response.headers["X-Request-ID"] == "lb-4711"
    line = [entry for entry in json_lines() if entry.get("request_id") == "lb-4711"][-1]
    assert line["logger"] == "central.access"
    assert line["user_id"] == user.id
    assert line["status"] == 200
    assert line["method"] == "GET" and line["path"] == "/"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(line)


def test_a_request_without_a_sane_request_id_gets_a_new_one(client, json_lines):
    response = client.get("/login", headers={"X-Request-ID": "not one; " * 10})
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32 and ";" not in request_id
    line = [entry for entry in json_lines() if entry.get("request_id") == request_id][-1]
    assert line["user_id"] is None and line["status"] == 200


def test_a_json_log_line_carries_the_traceback_as_one_field():
    formatter = logs.JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "central", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_json_format_installs_one_root_handler_however_many_apps(tmp_path):
    from central import create_app

    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        for _ in range(2):
            create_app(
                "testing",
                LOG_FORMAT="json",
                SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'unused.sqlite'}",
                STORAGE_DIR=str(tmp_path),
            )
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1 and isinstance(added[0].formatter, logs.JsonFormatter)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)
