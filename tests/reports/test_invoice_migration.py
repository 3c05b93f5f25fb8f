"""The migration to invoices in the provider's name keeps what was issued: numbers stay as
sent, document_type follows the total, provider_id stays, payment_reference is computed, the
statements stay immutable; each provider's new series then starts at 1."""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from central import PROJECT_ROOT

# This migration and the one before it, read from its file (renumbered when others land first).
(_FILE,) = (PROJECT_ROOT / "migrations" / "versions").glob("*_statements_invoices_in_the_*.py")
REVISION, BEFORE = (
    re.search(rf"^{name} = '(\w+)'", _FILE.read_text(), re.M).group(1)
    for name in ("revision", "down_revision")
)
ROWS = [
    # id, number, provider, total excl., vat, total incl.
    (1, "2025-00001", 1, "100.00", "21.00", "121.00"),
    (2, "2025-00002", 2, "40.00", "8.40", "48.40"),
    (3, "2025-00003", 1, "-10.00", "-2.10", "-12.10"),
]


def _urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'migrate.sqlite'}"]
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"{sa.engine.make_url(url).database}_migrate"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        urls.append(sa.engine.make_url(url).set(database=name).render_as_string(False))
    return urls


def _seed(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO organisations (id, name, kind, enterprise_number, social_economy_status, "
            "created_at) VALUES (1, 'Groep Intro', 'provider', '0207.446.673', 'lde', "
            "'2025-01-01 00:00:00'), (2, 'Waterwerken', 'provider', '0203.201.340', 'none', "
            "'2025-01-01 00:00:00'), (3, 'Ardooie', 'authority', '0207.298.113', 'none', "
            "'2025-01-01 00:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO frameworks (id, reference, title, lead_organisation_id, reserved, "
            "start_date, end_date, max_end_date, estimated_value, max_value, "
            "social_target_percent, status, created_at) VALUES (1, 'RO-1', 'Hydranten', 3, "
            "FALSE, '2025-01-01', '2026-12-31', '2029-01-01', 1000, 2000, 0, 'active', "
            "'2025-01-01 00:00:00')"
        )
    )
    for n, (sid, number, provider, excl, vat, incl) in enumerate(ROWS, start=1):
        conn.execute(
            text(
                "INSERT INTO statements (id, number, framework_id, member_id, provider_id, "
                "month, order_reference, framework_reference, member_name, "
                "member_enterprise_number, provider_name, provider_enterprise_number, "
                "total_excl_vat, vat, total_incl_vat, issued_at) VALUES (:id, :number, 1, 3, "
                ":provider, :month, 'ORD', 'RO-1', 'Ardooie', '0207.298.113', 'P', "
                "'0207.446.673', :excl, :vat, :incl, '2025-07-01 05:00:00')"
            ),
            {
                "id": sid,
                "number": number,
                "provider": provider,
                "month": f"2025-0{n}",
                "excl": excl,
                "vat": vat,
                "incl": incl,
            },
        )


def test_the_migration_keeps_issued_numbers_and_fills_the_new_statement_fields(tmp_path):
    """And its downgrade gives the statements back as they were, still immutable."""
    from flask_migrate import downgrade, upgrade

    from central import create_app

    for url in _urls(tmp_path):
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(tmp_path))
        with app.app_context():
            from central.core.validators import is_structured_communication
            from central.extensions import db

            directory = app.extensions["migrate"].directory
            upgrade(directory=directory, revision=BEFORE)
            with db.engine.begin() as conn:
                _seed(conn)
            upgrade(directory=directory, revision=REVISION)
            with db.engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT id, number, provider_id, document_type, payment_reference, "
                        "series_year, sequence, provider_vat_number FROM statements ORDER BY id"
                    )
                ).all()
                assert [(r[0], r[1], r[2]) for r in rows] == [(s[0], s[1], s[2]) for s in ROWS]
                assert [r[3] for r in rows] == ["invoice", "invoice", "credit_note"]
                assert all(is_structured_communication(r[4]) for r in rows)
                assert len({r[4] for r in rows}) == 3
                assert all(r[5] is None and r[6] is None for r in rows)
                assert rows[0][7] == "BE0207446673"
                prefixes = conn.execute(
                    text("SELECT invoice_prefix, vat_registered FROM organisations")
                ).all()
                assert {(p, bool(v)) for p, v in prefixes} == {("CEN-", True)}
            with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
                conn.execute(text("UPDATE statements SET number = 'X' WHERE id = 1"))
            with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
                conn.execute(text("DELETE FROM statements WHERE id = 1"))
            downgrade(directory=directory, revision=BEFORE)
            with db.engine.connect() as conn:
                numbers = conn.execute(text("SELECT id, number FROM statements ORDER BY id"))
                assert numbers.all() == [(s[0], s[1]) for s in ROWS]
            with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
                conn.execute(text("DELETE FROM statements WHERE id = 1"))
            db.engine.dispose()
