"""The migrations: one linear history whose result matches the models exactly."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from central import PROJECT_ROOT
from central.core.types import UTCDateTime

MIGRATIONS = PROJECT_ROOT / "migrations"


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_the_migration_history_has_one_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"two or more Alembic heads: {heads}; chain them linearly"


def test_the_migration_history_is_one_line_from_the_first_revision():
    script = _script()
    revisions = list(script.walk_revisions())
    bases = [r for r in revisions if r.down_revision is None]
    assert len(bases) == 1
    for revision in revisions:
        assert not isinstance(revision.down_revision, tuple | list), revision.revision
        assert len(script.get_revision(revision.revision).nextrev) <= 1, revision.revision


def test_migration_files_are_named_after_their_revision():
    for path in (MIGRATIONS / "versions").glob("*.py"):
        revision = re.search(r"^revision = ['\"](\w+)['\"]", path.read_text(), re.M).group(1)
        assert re.match(rf"^\d{{8}}_{revision}_\w+\.py$", path.name), path.name


def _type_differs(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Compare types as the database stores them: UTCDateTime is a DateTime(timezone=True)."""
    if isinstance(metadata_type, UTCDateTime):
        metadata_type = metadata_type.impl
    if context.dialect.name == "sqlite":
        # SQLite keeps no timezone flag and no enum/length on reflection; compare the family only.
        return inspected_type._type_affinity is not metadata_type._type_affinity and not (
            isinstance(metadata_type, sa.JSON | sa.Boolean | sa.DateTime | sa.Numeric)
        )
    return None  # Alembic's own comparison


def test_the_migrated_database_matches_the_models(app, db):
    """Fails when a model changed without a migration (or a migration without the model)."""
    connection = db.session.connection()
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": _type_differs, "compare_server_default": False},
    )
    diff = compare_metadata(context, db.metadata)
    assert diff == [], "model/migration drift:\n" + "\n".join(map(str, diff))


def test_the_database_is_at_the_newest_revision(app, db):
    context = MigrationContext.configure(db.session.connection())
    assert set(context.get_current_heads()) == set(_script().get_heads())


def test_every_model_table_exists_in_a_migration():
    texts = "\n".join(p.read_text() for p in (MIGRATIONS / "versions").glob("*.py"))
    from central.extensions import db

    for table in db.metadata.tables:
        assert f"'{table}'" in texts or f'"{table}"' in texts, table


def test_alembic_is_configured_for_sqlite_batch_mode(app):
    migrate = app.extensions["migrate"]
    assert migrate.configure_args.get("render_as_batch") is True
    assert Path(migrate.directory) == MIGRATIONS


def _check_name(table: sa.Table, constraint: sa.CheckConstraint) -> str:
    name = constraint.name
    if isinstance(name, sa.sql.elements.conv):
        return str(name)
    return f"ck_{table.name}_{name}"


def test_every_check_constraint_of_the_models_exists_in_the_database(app, db):
    """Alembic does not compare CHECK constraints; the rules they guard must not go missing."""
    inspector = sa.inspect(db.session.connection())
    missing = {}
    for table in db.metadata.sorted_tables:
        expected = {
            _check_name(table, c) for c in table.constraints if isinstance(c, sa.CheckConstraint)
        }
        # Booleans and enums may bring unnamed CHECKs of their own; only named ones count.
        expected = {n for n in expected if not n.endswith("_None")}
        actual = {c["name"] for c in inspector.get_check_constraints(table.name) if c["name"]}
        if expected - actual:
            missing[table.name] = sorted(expected - actual)
    assert missing == {}
