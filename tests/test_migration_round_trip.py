"""Every migration can be undone and redone: a fresh database goes to the newest revision, down to
nothing, and up again, and ends exactly where the models say, with a stored secret readable
throughout. The migrations are frozen history, so they import nothing from the app."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from central import PROJECT_ROOT, create_app
from central.extensions import db as _db

from .test_migrations import _type_differs

VERSIONS = PROJECT_ROOT / "migrations" / "versions"


def _fresh_database_url(tmp_path: Path) -> str:
    """A database of its own, beside the suite's (SQLite file, or a second PostgreSQL database)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'round-trip.sqlite'}"
    server = make_url(url)
    name = f"{server.database}_round_trip"
    engine = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _tables(connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names()) - {"alembic_version"}


def test_every_migration_goes_down_and_up_again(tmp_path):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=_fresh_database_url(tmp_path),
        STORAGE_DIR=str(tmp_path / "storage"),
    )
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0010")
        with _db.engine.begin() as conn:  # a user with a second factor, stored before 0011
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, password_hash, role, active, failed_logins, "
                "session_version, created_at) VALUES (1, 'a@example.test', 'x', 'admin', true, "
                "0, 1, CURRENT_TIMESTAMP)"
            )
            conn.exec_driver_sql(
                "INSERT INTO totp_credentials (user_id, secret, created_at) "
                "VALUES (1, 'JBSWY3DPEHPK3PXP', CURRENT_TIMESTAMP)"
            )
        upgrade(directory=directory, revision="0011")  # encrypts the secret stored before it
        with _db.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT secret FROM totp_credentials").scalar()
        assert stored.startswith("fernet:")
        downgrade(directory=directory, revision="0010")
        with _db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT secret FROM totp_credentials").scalar() == (
                "JBSWY3DPEHPK3PXP"
            )
        upgrade(directory=directory)
        downgrade(directory=directory, revision="base")
        with _db.engine.connect() as conn:
            assert _tables(conn) == set(), "a downgrade left tables behind"
        upgrade(directory=directory)
        with _db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": _type_differs, "compare_server_default": False}
            )
            assert compare_metadata(context, _db.metadata) == []
        _db.engine.dispose()


@pytest.mark.parametrize("path", sorted(VERSIONS.glob("*.py")), ids=lambda p: p.name[:13])
def test_a_migration_imports_nothing_from_the_app(path):
    tree = ast.parse(path.read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [None])
    ]
    assert not [m for m in imported if m and m.split(".")[0] == "central"]
