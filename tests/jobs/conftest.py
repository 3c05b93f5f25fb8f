"""Fixtures for job tests: a database of their own for tests that must really commit or use two
processes (emptied before and after each test), and a way to hold a job's lock from outside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from central import create_app
from central.cli import upgrade_database
from central.core.types import utcnow
from central.extensions import db as _db
from central.jobs.locks import advisory_key
from central.jobs.models import JobLock
from tests.conftest import _reset_schema


def _ensure_pg_database(url: sa.URL) -> None:
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    engine.dispose()


@pytest.fixture(scope="session")
def commit_database_url(database_url, tmp_path_factory) -> str:
    """SQLite: a file of its own; PostgreSQL: the test database's name + `_commit`."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp('commit') / 'central-commit.sqlite'}"
    url = sa.make_url(database_url)
    url = url.set(database=f"{url.database}_commit")
    _ensure_pg_database(url)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def commit_app(commit_database_url, tmp_path_factory) -> Iterator[Flask]:
    _reset_schema(commit_database_url)
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=commit_database_url,
        STORAGE_DIR=str(tmp_path_factory.mktemp("commit-storage")),
        SERVER_NAME="central.test",
    )
    with app.app_context():
        upgrade_database()
        with _db.engine.connect() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            _TABLES.extend(t for t in _db.metadata.sorted_tables if t.name in existing)
            # Rows the migrations seed (asset kinds) stay; everything else is emptied.
            _SEEDED.update(
                table.name
                for table in _TABLES
                if conn.scalar(sa.select(sa.func.count()).select_from(table))
            )
    yield app
    with app.app_context():
        _db.engine.dispose()


_SEEDED: set[str] = set()
_TABLES: list[sa.Table] = []  # the migrated tables, in dependency order


def _empty_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_TABLES):
            if table.name not in _SEEDED:
                conn.execute(table.delete())


@pytest.fixture
def commit_db(db, commit_app) -> Iterator:
    """The real session on the commit database: commits are real, other processes see them."""
    bound = _db.session
    _db.session = _db._make_scoped_session({})
    ctx = commit_app.app_context()
    ctx.push()
    try:
        _empty_tables()
        yield _db
    finally:
        _db.session.remove()
        _empty_tables()
        ctx.pop()
        _db.session = bound


@contextmanager
def lock_held_elsewhere(name: str) -> Iterator[None]:
    """Another process's hold on the job's lock: an advisory lock on PostgreSQL, a live lease
    row on SQLite."""
    if _db.engine.dialect.name == "postgresql":
        with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key(name)})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(name)})
    else:
        lease = JobLock(job=name, holder="other-host:1:x", expires_at=utcnow() + timedelta(hours=1))
        _db.session.add(lease)
        _db.session.flush()
        yield
        _db.session.delete(lease)
        _db.session.flush()
