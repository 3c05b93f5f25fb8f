"""`central backup DEST` and `central restore SRC`: a populated database and its file store are
backed up, restored into an empty database and an empty store, and every table and every file
compares equal — on SQLite and on PostgreSQL, with the files in a folder and in S3."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from PIL import Image

from central import create_app
from central.cli import upgrade_database
from central.extensions import db
from central.fieldwork import photos, services
from tests.conftest import _reset_schema, new_file_store
from tests.fieldwork.conftest import OK, build_field
from tests.jobs.conftest import _ensure_pg_database


def _photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "PNG")
    return out.getvalue()


def _empty_database(database_url: str, folder, suffix: str) -> str:
    """An empty database of the test's kind: SQLite, a new file; PostgreSQL `<test db>_<suffix>`."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{folder / f'{suffix}.sqlite'}"
    url = sa.make_url(database_url)
    url = url.set(database=f"{url.database}_{suffix}")
    _ensure_pg_database(url)
    rendered = url.render_as_string(hide_password=False)
    _reset_schema(rendered)
    return rendered


@pytest.fixture
def source_url(database_url, tmp_path) -> str:
    return _empty_database(database_url, tmp_path, "backup")


@pytest.fixture
def restore_url(database_url, tmp_path) -> str:
    return _empty_database(database_url, tmp_path, "restore")


@pytest.fixture
def source_app(db, source_url, tmp_path):
    """A migrated database that the test really commits to (pg_dump sees only what is committed),
    with the real session instead of the test transaction's."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=source_url, STORAGE_DIR=str(tmp_path))
    bound = db.session
    db.session = db._make_scoped_session({})
    try:
        with app.app_context():
            upgrade_database()
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = bound


def _invoke(app, *args: str):
    """Run a `central` command for `app` (in its own app context, as the command line does)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _tables(url: str) -> dict[str, list[tuple]]:
    """Every table of the database with all its rows, in a stable order."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(bind=engine)
        with engine.connect() as connection:
            return {
                name: sorted((tuple(row) for row in connection.execute(sa.select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _files(store) -> dict[str, bytes]:
    return {stored.key: store.get(stored.key) for stored in store.list()}


@pytest.mark.parametrize("store_kind", ["local", "s3"])
def test_a_backup_restores_into_an_empty_database_with_every_table_and_file(
    source_app,
    source_url,
    restore_url,
    store_kind,
    request,
    monkeypatch,
    tmp_path,
):
    source_store = new_file_store(request, monkeypatch, tmp_path / "files", store_kind)
    monkeypatch.setitem(source_app.extensions, "storage", source_store)
    world = build_field()
    for task in world.tasks:
        services.record_result(task, OK, actor=world.crew)
    for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200)):
        photos.add_photo(world.tasks[0], _photo(colour), actor=world.crew)
    db.session.commit()

    dest = tmp_path / "backup"
    made = _invoke(source_app, "backup", str(dest))
    assert made.exit_code == 0, made.output
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["files"] == 3 and manifest["database"] == db.engine.dialect.name

    target = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=restore_url, STORAGE_DIR=str(tmp_path / "unused")
    )
    target_store = new_file_store(request, monkeypatch, tmp_path / "restored-files", store_kind)
    target.extensions["storage"] = target_store
    restored = _invoke(target, "restore", str(dest))
    assert restored.exit_code == 0, restored.output

    before, after = _tables(source_url), _tables(restore_url)
    assert sorted(after) == sorted(before)
    populated = [name for name, rows in before.items() if rows]
    assert {"organisations", "users", "rounds", "tasks", "task_photos", "alembic_version"} <= set(
        populated
    )
    for name in before:
        assert after[name] == before[name], name
    assert _files(target_store) == _files(source_store)
    assert len(_files(target_store)) == 3

    again = _invoke(target, "restore", str(dest))
    assert again.exit_code != 0 and "not empty" in again.output  # never over existing data
    with target.app_context():
        db.engine.dispose()


def test_a_backup_goes_into_a_new_folder_only(source_app, tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    result = _invoke(source_app, "backup", str(occupied))
    assert result.exit_code != 0 and "not empty" in result.output
    assert (occupied / "keep.txt").read_text() == "mine"


def test_restore_refuses_a_folder_that_is_not_a_backup(source_app, tmp_path):
    result = _invoke(source_app, "restore", str(tmp_path))
    assert result.exit_code != 0 and "not a Central backup" in result.output
