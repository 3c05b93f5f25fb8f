"""The health check behind `GET /healthz`: the database answers and its schema is at the head of
the migrations shipped with this code. It says which check failed, never any data."""

from __future__ import annotations

import logging
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from central.extensions import db

log = logging.getLogger(__name__)


@cache
def code_heads(migrations_dir: str) -> frozenset[str]:
    """The head revisions of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory(migrations_dir).get_heads())


def check(migrations_dir: str) -> dict[str, str]:
    """`{"database": "ok"|"unavailable", "migrations": "ok"|"behind"|"unknown"}`."""
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        applied = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", str(exc).splitlines()[0])
        db.session.rollback()
        return {"database": "unavailable", "migrations": "unknown"}
    db.session.rollback()
    if applied != code_heads(migrations_dir):
        log.warning(
            "health check: database at %s, code at %s",
            sorted(applied),
            sorted(code_heads(migrations_dir)),
        )
        return {"database": "ok", "migrations": "behind"}
    return {"database": "ok", "migrations": "ok"}
