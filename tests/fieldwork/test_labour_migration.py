"""Migration 0013 keeps the labour data: each labour entry (one per round and work date) stays,
one to one, as its round's part of its provider's labour day; the day adds up hours and counts
the crew once (rule 16, §7.1). Run on a database of its own, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from central import PROJECT_ROOT

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _value(column: sa.Column, n: int):
    """A value that fits a NOT NULL column without a default (ids and keys are given)."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return date(2025, 6, 1)
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.Numeric):
        return Decimal("1")
    if isinstance(kind, sa.JSON):
        return {}
    return f"x{n}"


def _insert(conn, table: sa.Table, n: int, **given) -> None:
    row = {
        c.name: _value(c, n)
        for c in table.columns
        if not c.nullable and c.name not in given and c.server_default is None
    }
    conn.execute(table.insert().values(**{**row, **given}))


@pytest.fixture
def migration_url(database_url, tmp_path):
    if database_url.startswith("postgresql"):
        base, _, name = database_url.rpartition("/")
        target = f"{name}_labour_migration"
        admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target}")
            conn.exec_driver_sql(f"CREATE DATABASE {target}")
        yield f"{base}/{target}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'labour-migration.sqlite'}"


def _migrate(url: str, tmp_path, step, revision: str) -> None:
    """Run a migration step on the database at `url` (an app of its own)."""
    from central import create_app

    other = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(tmp_path), SERVER_NAME="m.test"
    )
    with other.app_context():
        step(directory=str(PROJECT_ROOT / "migrations"), revision=revision)
        from central.extensions import db

        db.engine.dispose()


def test_rule_16_old_labour_rows_migrate_one_to_one_into_labour_days(migration_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    _migrate(migration_url, tmp_path, upgrade, "0013")
    engine = sa.create_engine(migration_url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            # Rows of the old schema without their frameworks and lots: foreign keys off.
            if engine.dialect.name == "sqlite":
                conn.commit()
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
            else:
                conn.exec_driver_sql("SET session_replication_role = replica")
            for org, kind in ((1, "authority"), (2, "provider")):
                _insert(
                    conn,
                    metadata.tables["organisations"],
                    org,
                    id=org,
                    kind=kind,
                    social_economy_status="none",
                )
            _insert(conn, metadata.tables["users"], 1, id=1, organisation_id=2, role="provider")
            for round_id in (1, 2, 3):
                _insert(
                    conn,
                    metadata.tables["rounds"],
                    round_id,
                    id=round_id,
                    provider_id=2,
                    member_id=1,
                    status="accepted",
                    route_km=Decimal("0"),
                )
            entries = metadata.tables["labour_entries"]
            for entry_id, round_id, day, hours, group, workers in (
                (1, 1, date(2025, 6, 2), "7.50", "5.00", 2),
                (2, 2, date(2025, 6, 2), "6.00", "6.00", 2),
                (3, 3, date(2025, 6, 3), "30.00", "0.00", 0),
            ):
                conn.execute(
                    entries.insert().values(
                        id=entry_id,
                        round_id=round_id,
                        work_date=day,
                        hours=Decimal(hours),
                        target_group_hours=Decimal(group),
                        target_group_workers=workers,
                        recorded_by_id=1,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
            conn.commit()
        _migrate(migration_url, tmp_path, upgrade, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT e.id, e.round_id, e.hours, e.workers, e.target_group_workers, "
                    "d.provider_id, d.work_date, d.hours, d.workers, d.target_group_hours, "
                    "d.target_group_workers FROM labour_entries e "
                    "JOIN labour_days d ON d.id = e.labour_day_id ORDER BY e.id"
                )
            ).all()
        assert [r[0] for r in rows] == [1, 2, 3]  # every entry kept, with its id
        first, second, third = rows
        assert first[5:] == second[5:]  # rounds 1 and 2 share the provider's day
        assert str(first[6]) == "2025-06-02"
        assert (Decimal(first[7]), first[8]) == (Decimal("13.50"), 2)  # the crew counts once
        assert (Decimal(first[9]), first[10]) == (Decimal("11.00"), 2)
        assert (first[3], second[3]) == (2, 2)  # workers: the target-group workers
        assert third[3] == 2 and third[8] == 2  # 30 hours need two workers at least
        _migrate(migration_url, tmp_path, downgrade, "0013")
        with engine.connect() as conn:
            kept = conn.execute(
                sa.text("SELECT id, round_id, hours FROM labour_entries ORDER BY id")
            ).all()
        assert [(r[0], r[1], Decimal(r[2])) for r in kept] == [
            (1, 1, Decimal("7.50")),
            (2, 2, Decimal("6.00")),
            (3, 3, Decimal("30.00")),
        ]
    finally:
        engine.dispose()
