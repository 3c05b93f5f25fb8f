"""Logs: a request id on every request (the caller's `X-Request-ID` when it is sane, else a new
one, echoed in the response), one access line per request, and JSON lines for a log platform
(`LOG_FORMAT=json`, the production default) carrying the request id, user id, status and duration.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

access_log = logging.getLogger("central.access")

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept if it is short and plain (it is written to logs and echoed back).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Fields a record may carry (`extra=`) that belong in the JSON line.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr")


def current_user_id() -> int | None:
    """The signed-in user's id if this request loaded one (never loads it: no extra query)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request's id and user
    when there is one, the access fields, and the traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            line["request_id"] = g.get("request_id")
            line["user_id"] = current_user_id()
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):
    """The handler `configure` installs on the root logger (one per process)."""


def configure(app: Flask) -> None:
    """Send every log line to stderr as JSON when LOG_FORMAT is `json`; with `text` the logging
    set-up is left as it is (the development server prints its own lines)."""
    log_format = app.config.get("LOG_FORMAT", "text")
    if log_format not in ("json", "text"):
        raise RuntimeError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    if log_format == "json":
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
            root.removeHandler(handler)
        handler = _JsonHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)  # the root's JSON handler writes its lines

    app.before_request(start_request)
    app.after_request(finish_request)


def start_request() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a request that failed before its first hook ran
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
    access_log.info(
        "%s %s %s %sms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
        },
    )
    return response
