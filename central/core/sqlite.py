"""SQLite as Central uses it: connection settings, and transactions that start as writers.

SQLite allows one writer at a time. A transaction that reads first and writes later holds a read
snapshot; when another connection has written in between, its first write fails at once ("database
is locked") instead of waiting. So a transaction that will write begins as a writer
(`BEGIN IMMEDIATE`) and waits its turn (the busy timeout): every write request (POST, PUT, PATCH,
DELETE) and every transaction a job opens inside `writer_transactions()`. Reads keep the cheap
deferred `BEGIN`. Other databases need none of this.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 15000
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writer: ContextVar[bool] = ContextVar("sqlite_writer", default=False)


@contextmanager
def writer_transactions() -> Iterator[None]:
    """Inside the block, every transaction this thread begins on SQLite begins as a writer."""
    token = _writer.set(True)
    try:
        yield
    finally:
        _writer.reset(token)


def begins_as_writer() -> bool:
    """Whether a transaction begun now starts as a writer."""
    if _writer.get():
        return True
    return has_request_context() and request.method not in _READ_METHODS


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL, a busy timeout and foreign keys on SQLite; SAVEPOINT-friendly transactions."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy emit BEGIN itself (the documented recipe for working SAVEPOINTs).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if begins_as_writer() else "BEGIN")
