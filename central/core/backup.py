"""`central backup DEST` and `central restore SRC`: the database and the file store, together.

A backup is a new folder: `database.dump` (PostgreSQL: `pg_dump`, custom format) or
`database.sqlite` (SQLite: its online backup API, safe while the app writes), `files/` (every file
of the store, by key) and `manifest.json` (what it holds: the database kind, the migration
revision, the number of files and bytes). A restore goes into an empty database and an empty file
store only, so that it never overwrites data; `central db upgrade` then brings an older backup to
the code's migrations.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import URL, inspect, text

from central.core import storage
from central.core.types import utcnow
from central.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite"


class BackupError(Exception):
    """The backup or restore cannot be made; the message says why, for the operator."""


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's variables for the database (the password never on a command line)."""
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def _run(command: list[str], env: Mapping[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client programs).")
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        raise BackupError(f"{command[0]} failed: {finished.stderr.strip()[:2000]}")


def _copy_sqlite(source_path: Path, target_path: Path) -> None:
    """Copy one SQLite database onto another with SQLite's online backup (consistent while the
    source is in use)."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _revision() -> str | None:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.scalar(text("SELECT version_num FROM alembic_version"))


def backup(dest: Path) -> dict[str, Any]:
    """Write a backup of the app's database and file store into the new folder `dest`."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: a backup goes into a new folder.")
    dest.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    dialect = db.engine.dialect.name
    revision = _revision()
    if dialect == "postgresql":
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(dest / PG_DUMP),
            ],
            _pg_environment(url),
        )
    elif dialect == "sqlite":
        _copy_sqlite(_sqlite_path(url), dest / SQLITE_COPY)
    else:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {dialect}.")
    # The files after the database: a file added meanwhile is one too many, never one too few
    # for a row of the dump (the purge job aside, which removes rows and files together).
    files = storage.current_storage()
    count = size = 0
    for stored in files.list():
        path = dest / FILES / stored.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files.get(stored.key))
        count += 1
        size += stored.size
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "database": dialect,
        "revision": revision,
        "files": count,
        "file_bytes": size,
        "file_store": files.describe(),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{src} is not a Central backup (no readable {MANIFEST}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} has backup format {manifest.get('format')!r}, not {FORMAT}.")
    return manifest


def restore(src: Path) -> dict[str, Any]:
    """Restore the backup in `src` into the app's database and file store, both empty."""
    manifest = read_manifest(src)
    dialect = db.engine.dialect.name
    if manifest["database"] != dialect:
        raise BackupError(
            f"The backup holds a {manifest['database']} database; this app uses {dialect}."
        )
    with db.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise BackupError(
            "The database is not empty: restore into a new, empty database "
            f"({len(tables)} tables found)."
        )
    files = storage.current_storage()
    if next(iter(files.list()), None) is not None:
        raise BackupError(
            f"The file store {files.describe()} is not empty: restore into an empty one."
        )
    db.session.remove()
    db.engine.dispose()
    if dialect == "postgresql":
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                db.engine.url.database,
                str(src / PG_DUMP),
            ],
            _pg_environment(db.engine.url),
        )
    else:
        _copy_sqlite(src / SQLITE_COPY, _sqlite_path(db.engine.url))
    restored = 0
    root = src / FILES
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_file():
            files.put(path.relative_to(root).as_posix(), path.read_bytes(), _content_type(path))
            restored += 1
    if restored != manifest["files"]:
        raise BackupError(f"The backup lists {manifest['files']} files but holds {restored}.")
    if _revision() != manifest["revision"]:
        raise BackupError("The restored database is not at the backup's migration revision.")
    current_app.logger.info("Restored %s (%d files) from %s", dialect, restored, src)
    return manifest


def _content_type(path: Path) -> str:
    return "image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else "application/octet-stream"
