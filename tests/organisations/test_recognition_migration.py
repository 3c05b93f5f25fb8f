"""The recognitions migration keeps the data (SPEC 7.2): each provider with a status gets a
recognition of it, without number, to complete, valid from its creation; awards and issued
statement lines keep the status their provider had; issued lines stay immutable. Run on a
database of its own, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from central import PROJECT_ROOT
from tests.fieldwork.test_labour_migration import _insert, _migrate

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)
(_FILE,) = (PROJECT_ROOT / "migrations" / "versions").glob("*_social_economy_recognitions.py")
REVISION, BEFORE = (
    re.search(rf"^{name} = '(\w+)'", _FILE.read_text(), re.M).group(1)
    for name in ("revision", "down_revision")
)


@pytest.fixture
def migration_url(database_url, tmp_path):
    if database_url.startswith("postgresql"):
        base, _, name = database_url.rpartition("/")
        target = f"{name}_recognition_migration"
        admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target}")
            conn.exec_driver_sql(f"CREATE DATABASE {target}")
        yield f"{base}/{target}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'recognition-migration.sqlite'}"


def test_each_status_becomes_a_recognition_and_awards_and_lines_keep_it(migration_url, tmp_path):
    from flask_migrate import upgrade

    _migrate(migration_url, tmp_path, upgrade, BEFORE)
    engine = sa.create_engine(migration_url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        tables = metadata.tables
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.commit()
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
            else:
                conn.exec_driver_sql("SET session_replication_role = replica")
            for org, kind, status in (
                (1, "authority", "none"),
                (2, "provider", "lde"),
                (3, "provider", "none"),
            ):
                _insert(
                    conn,
                    tables["organisations"],
                    org,
                    id=org,
                    kind=kind,
                    social_economy_status=status,
                    created_at=NOW,
                    invoice_prefix="CEN-",
                )
            for award, provider in ((1, 2), (2, 3)):
                _insert(
                    conn,
                    tables["awards"],
                    award,
                    id=award,
                    lot_id=1,
                    provider_id=provider,
                    rank=award,
                )
            for statement, provider in ((1, 2), (2, 3)):
                _insert(
                    conn,
                    tables["statements"],
                    statement,
                    id=statement,
                    provider_id=provider,
                    member_id=1,
                    framework_id=1,
                    document_type="invoice",
                    month="2025-06",
                    number=f"CEN-2025-{statement:05d}",
                    payment_reference=f"+++000/0000/{statement:05d}+++",
                )
                _insert(
                    conn,
                    tables["statement_lines"],
                    statement,
                    id=statement,
                    statement_id=statement,
                    kind="work",
                    amount=Decimal("10.00"),
                    vat_rate=Decimal("21.00"),
                    unit_price=Decimal("10.00"),
                    credit_id=None,
                )
            conn.commit()
        engine.dispose()
        _migrate(migration_url, tmp_path, upgrade, REVISION)
        with engine.connect() as conn:
            recognitions = conn.execute(
                sa.text(
                    "SELECT organisation_id, status, number, valid_from, valid_until, to_complete "
                    "FROM recognitions"
                )
            ).all()
            assert [(r[0], r[1], r[2], r[4], bool(r[5])) for r in recognitions] == [
                (2, "lde", None, None, True)
            ]
            assert str(recognitions[0][3])[:10] == date(2025, 3, 7).isoformat()
            awards = conn.execute(
                sa.text("SELECT id, social_economy_status FROM awards ORDER BY id")
            ).all()
            assert awards == [(1, "lde"), (2, "none")]
            lines = conn.execute(
                sa.text("SELECT id, social_economy_status FROM statement_lines ORDER BY id")
            ).all()
            assert lines == [(1, "lde"), (2, "none")]
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text("UPDATE statement_lines SET social_economy_status = 'none'"))
    finally:
        engine.dispose()
