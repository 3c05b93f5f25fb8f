"""Each task stores its amount (§7.1): unit price × quantity, rounded half up to the cent; the
migration that adds the column fills it for existing tasks."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from sqlalchemy import text

from central.extensions import db
from central.planning.models import Task
from tests.factories import make_asset, make_round


def test_a_task_stores_its_amount_rounded_half_up_to_the_cent(hydrants):
    round_ = make_round(hydrants.lot, hydrants.member, [make_asset(hydrants.member)])
    task = round_.tasks[0]
    assert task.amount == Decimal("18.50")
    measured = Task(
        round_id=round_.id,
        sequence=2,
        asset_id=make_asset(hydrants.member).id,
        task_type_id=task.task_type_id,
        task_type="mowing",
        quantity=Decimal("0.50"),
        unit="m2",
        unit_price=Decimal("1.25"),
        vat_rate=Decimal("21.00"),
        due_date=round_.due_date,
    )
    db.session.add(measured)
    db.session.flush()
    db.session.expire(measured)
    assert measured.amount == Decimal("0.63")  # 0.625, half up


def test_the_migration_fills_the_amount_of_existing_tasks(tmp_path):
    from flask_migrate import downgrade, upgrade

    from central import create_app

    url = f"sqlite:///{tmp_path / 'migrate.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(tmp_path))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0012")
        from central.extensions import db as database

        # Tasks alone (their rounds, assets and task types do not matter to the migration).
        raw = sqlite3.connect(tmp_path / "migrate.sqlite")
        raw.executemany(
            "INSERT INTO tasks (id, round_id, sequence, asset_id, task_type_id, task_type, "
            "quantity, unit, unit_price, vat_rate, due_date, status, created_at) VALUES "
            "(?, 1, ?, ?, 1, 'mow', ?, 'm2', ?, 21, '2026-01-01', 'open', '2026-01-01 00:00:00')",
            [
                (n, n, n, quantity, price)
                for n, (price, quantity) in enumerate(
                    [(18.5, 1.0), (1.25, 0.5), (1.25, 12.3), (0.1, 3.35)], start=1
                )
            ],
        )
        raw.commit()
        raw.close()
        upgrade(directory=directory, revision="0013")
        with database.engine.connect() as conn:
            amounts = conn.execute(text("SELECT amount FROM tasks ORDER BY id")).scalars().all()
        assert [Decimal(str(a)) for a in amounts] == [
            Decimal("18.5"),
            Decimal("0.63"),
            Decimal("15.38"),
            Decimal("0.34"),  # 0.335, half up
        ]
        downgrade(directory=directory, revision="0012")
        database.engine.dispose()
