"""The migration to prices per provider keeps every price line: existing lines become the lots'
common lines (no provider), and the downgrade gives them back as they were."""

from __future__ import annotations

import re

from sqlalchemy import text

from central import PROJECT_ROOT
from tests.reports.test_invoice_migration import _urls

(_FILE,) = (PROJECT_ROOT / "migrations" / "versions").glob("*_price_lines_per_provider.py")
REVISION, BEFORE = (
    re.search(rf'^{name} = "(\w+)"', _FILE.read_text(), re.M).group(1)
    for name in ("revision", "down_revision")
)


def _seed(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO organisations (id, name, kind, enterprise_number, social_economy_status, "
            "created_at) VALUES (1, 'Ardooie', 'authority', '0207.298.113', 'none', "
            "'2025-01-01 00:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO frameworks (id, reference, title, lead_organisation_id, reserved, "
            "start_date, end_date, max_end_date, estimated_value, max_value, "
            "social_target_percent, status, created_at) VALUES (1, 'RO-1', 'Hydranten', 1, "
            "FALSE, '2025-01-01', '2026-12-31', '2029-01-01', 1000, 2000, 0, 'active', "
            "'2025-01-01 00:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO lots (id, framework_id, number, title, service_type, reserved, "
            "max_tasks_per_round, planning_horizon_days, urgent_days, crew_day_minutes, "
            "travel_kmh, created_at) VALUES (1, 1, 1, 'Lot 1', 'hydrant_maintenance', FALSE, "
            "25, 28, 7, 450, 30, '2025-01-01 00:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO task_types (id, lot_id, code, name, checklist, service_minutes, "
            "created_at) VALUES (1, 1, 'inspection', 'Inspection', '[]', 15, "
            "'2025-01-01 00:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO price_lines (id, lot_id, task_type_id, unit, unit_price, vat_rate, "
            "valid_from, created_at) VALUES "
            "(1, 1, 1, 'piece', 18.50, 21, '2025-01-01', '2025-01-01 00:00:00'), "
            "(2, 1, 1, 'piece', 19.25, 21, '2026-01-01', '2025-12-01 00:00:00')"
        )
    )


def test_the_migration_keeps_existing_lines_as_common_lines(tmp_path):
    from flask_migrate import downgrade, upgrade

    from central import create_app

    for url in _urls(tmp_path):
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(tmp_path))
        with app.app_context():
            from central.extensions import db

            directory = app.extensions["migrate"].directory
            upgrade(directory=directory, revision=BEFORE)
            with db.engine.begin() as conn:
                _seed(conn)
            upgrade(directory=directory, revision=REVISION)
            query = "SELECT id, provider_id, unit_price FROM price_lines ORDER BY id"
            with db.engine.connect() as conn:
                rows = [(r[0], r[1], str(r[2])) for r in conn.execute(text(query))]
            assert [(i, p) for i, p, _ in rows] == [(1, None), (2, None)]
            assert [price.startswith(("18.5", "19.25")) for _, _, price in rows] == [True, True]
            downgrade(directory=directory, revision=BEFORE)
            with db.engine.connect() as conn:
                count = conn.execute(text("SELECT COUNT(*) FROM price_lines")).scalar()
            assert count == 2
            db.engine.dispose()
