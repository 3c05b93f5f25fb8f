"""Build the benchmark databases fast and cache them.

The schema comes from the project's migrations (`central.cli.upgrade_database()`, as `central db
upgrade` does); the rows from `bench.data` by bulk insertion: SQLite `executemany` in one
transaction per table, PostgreSQL `COPY` through psycopg. Secondary indexes of the big tables are
dropped while loading and created again afterwards (their definitions read back from the database,
so they are exactly the migrations' indexes); PostgreSQL skips foreign-key triggers while loading
(`session_replication_role = replica`: the generated rows are consistent by construction).

A built database is a *seed*: a SQLite file, or a PostgreSQL template database, named by a
fingerprint of the scale, the seed, the migrations and the generator. Each run measures on a fresh
copy (a file copy; `CREATE DATABASE … TEMPLATE …`), so a second run skips the build.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from bench.config import PROJECT_ROOT, SEED, TODAY, Scale
from bench.data import Dataset, Table

BUILDER_VERSION = "3"
BIG_TABLE_ROWS = 50_000  # tables with more rows than this load without their secondary indexes

Log = Callable[[str], None]


def fingerprint(scale: Scale) -> str:
    """Changes whenever the schema or the data would: the migrations, the scale, the seed, the
    date and BUILDER_VERSION (bump it when bench/data.py changes what it generates)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([BUILDER_VERSION, scale.describe(), SEED, str(TODAY)]).encode())
    for path in sorted((PROJECT_ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def sqlite_ts(moment: datetime) -> str:
    """A UTC timestamp as SQLAlchemy stores it on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def pg_ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")


def psycopg_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as a libpq connection string."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def migrate(url: str) -> None:
    """The schema, through the project's migrations."""
    from central import create_app
    from central.cli import upgrade_database
    from central.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade_database()
        db.engine.dispose()


def check_columns(table: Table) -> None:
    """Every column that must be given is given: a schema change fails the build loudly."""
    from central import models  # noqa: F401 - registers every table
    from central.extensions import db

    model = db.metadata.tables[table.name]
    known = set(model.c.keys())
    unknown = set(table.columns) - known
    missing = {
        c.name
        for c in model.c
        if not c.nullable and c.server_default is None and c.name not in table.columns
        and not (c.primary_key and c.autoincrement is not False and len(model.primary_key) == 1)
    }  # fmt: skip
    if unknown or missing:
        raise RuntimeError(f"{table.name}: unknown columns {unknown}, missing columns {missing}")


# --- SQLite ----------------------------------------------------------------------------------


def build_sqlite(path: Path, scale: Scale, log: Log) -> dict:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    migrate(f"sqlite:///{path}")
    log(f"  schema by migrations in {time.perf_counter() - started:.1f} s")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-524288")
    con.execute("PRAGMA temp_store=MEMORY")
    dataset = Dataset(scale)
    for table in dataset.tables(sqlite_ts):
        check_columns(table)
        t0 = time.perf_counter()
        indexes = []
        if table.count > BIG_TABLE_ROWS:
            indexes = con.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table.name,),
            ).fetchall()
            for name, _ in indexes:
                con.execute(f'DROP INDEX "{name}"')
        marks = ", ".join("?" for _ in table.columns)
        con.execute("BEGIN")
        con.executemany(
            f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})",  # noqa: S608
            table.rows,
        )
        con.execute("COMMIT")
        for _, create in indexes:
            con.execute(create)
        log(f"  {table.name}: {table.count:,} rows in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    log(f"  ANALYZE in {time.perf_counter() - t0:.1f} s")
    return dataset.manifest


# --- PostgreSQL ------------------------------------------------------------------------------


def _admin(base_url: str) -> psycopg.Connection:
    return psycopg.connect(psycopg_url(f"{base_url}/postgres"), autocommit=True)


def drop_database(base_url: str, name: str) -> None:
    with _admin(base_url) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def database_comment(base_url: str, name: str) -> str | None:
    with _admin(base_url) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return row[0] if row else None


def build_postgresql(base_url: str, name: str, scale: Scale, log: Log) -> dict:
    drop_database(base_url, name)
    with _admin(base_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{base_url}/{name}"
    started = time.perf_counter()
    migrate(url)
    log(f"  schema by migrations in {time.perf_counter() - started:.1f} s")
    dataset = Dataset(scale)
    with psycopg.connect(psycopg_url(url)) as con:
        con.execute("SET session_replication_role = replica")
        for table in dataset.tables(pg_ts):
            check_columns(table)
            t0 = time.perf_counter()
            indexes = []
            if table.count > BIG_TABLE_ROWS:
                indexes = con.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                    "AND i.schemaname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                    "WHERE c.conname = i.indexname)",
                    (table.name,),
                ).fetchall()
                for index, _ in indexes:
                    con.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
            )
            with con.cursor() as cursor, cursor.copy(statement) as copy:
                for row in table.rows:
                    copy.write_row(row)
            for _, create in indexes:
                con.execute(create)
            con.commit()
            log(f"  {table.name}: {table.count:,} rows in {time.perf_counter() - t0:.1f} s")
        # Serial ids continue after the loaded rows.
        for table_name, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_default LIKE 'nextval(%%'"
        ).fetchall():
            con.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, {c}), "
                    "coalesce(max({ci}), 0) + 1, false) FROM {ti}"
                ).format(
                    t=sql.Literal(table_name),
                    c=sql.Literal(column),
                    ci=sql.Identifier(column),
                    ti=sql.Identifier(table_name),
                )
            )
        con.commit()
    t0 = time.perf_counter()
    with psycopg.connect(psycopg_url(url), autocommit=True) as con:
        con.execute("VACUUM (ANALYZE)")
    log(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
    return dataset.manifest


# --- cache -----------------------------------------------------------------------------------


class Seeds:
    """Built databases by fingerprint, and fresh copies of them to measure on."""

    def __init__(self, scale: Scale, cache_dir: Path, pg_url: str, log: Log) -> None:
        self.scale = scale
        self.cache_dir = cache_dir
        self.pg_url = pg_url.rstrip("/")
        self.log = log
        self.fingerprint = fingerprint(scale)
        suffix = "" if scale.name == "full" else f"_{scale.name}"
        # Several checkouts on one server keep apart by naming their databases (BENCH_PG_NAME).
        name = os.environ.get("BENCH_PG_NAME", "central_bench")
        self.pg_seed = f"{name}{suffix}_seed"
        self.pg_run = f"{name}{suffix}"
        self.sqlite_seed = cache_dir / f"seed-{scale.name}-{self.fingerprint}.sqlite"
        self.sqlite_run = cache_dir / f"bench-{scale.name}.sqlite"
        self.manifest_path = cache_dir / f"manifest-{scale.name}-{self.fingerprint}.json"

    def _save_manifest(self, manifest: dict) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.manifest_path.write_text(json.dumps(manifest, indent=1))

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text())

    def ensure(self, kind: str, rebuild: bool = False) -> dict:
        """Build the seed unless a matching one is cached; returns build facts."""
        if kind == "sqlite":
            cached = self.sqlite_seed.exists() and self.manifest_path.exists()
        else:
            comment = database_comment(self.pg_url, self.pg_seed)
            cached = comment == f"bench:{self.fingerprint}" and self.manifest_path.exists()
        if cached and not rebuild:
            self.log(f"{kind}: reusing the cached {self.scale.name} database ({self.fingerprint})")
            return {"cached": True, "seconds": None}
        self.log(f"{kind}: building the {self.scale.name} database ({self.fingerprint}) ...")
        started = time.perf_counter()
        # In a process of its own: the generated data set is large, and the measures started
        # from this process later should not inherit its memory.
        child = multiprocessing.get_context("spawn").Process(
            target=_build_child,
            args=(kind, self.scale.name, str(self.cache_dir), self.pg_url),
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"building the {kind} database failed ({child.exitcode})")
        seconds = time.perf_counter() - started
        self.log(f"{kind}: built in {seconds:.0f} s")
        return {"cached": False, "seconds": seconds}

    def build(self, kind: str) -> None:
        """Build the seed here and now, and record its manifest."""
        if kind == "sqlite":
            for old in self.cache_dir.glob(f"seed-{self.scale.name}-*.sqlite"):
                old.unlink()
            manifest = build_sqlite(self.sqlite_seed, self.scale, self.log)
        else:
            manifest = build_postgresql(self.pg_url, self.pg_seed, self.scale, self.log)
            with _admin(self.pg_url) as admin:
                admin.execute(
                    sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                        sql.Identifier(self.pg_seed), sql.Literal(f"bench:{self.fingerprint}")
                    )
                )
        self._save_manifest(manifest)

    def fresh_copy(self, kind: str) -> str:
        """A fresh database from the seed; returns its SQLAlchemy URL."""
        started = time.perf_counter()
        if kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_run}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.sqlite_seed, self.sqlite_run)
            url = f"sqlite:///{self.sqlite_run}"
        else:
            drop_database(self.pg_url, self.pg_run)
            with _admin(self.pg_url) as admin:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                        sql.Identifier(self.pg_run), sql.Identifier(self.pg_seed)
                    )
                )
            url = f"{self.pg_url}/{self.pg_run}"
        self.log(f"{kind}: fresh copy of the seed in {time.perf_counter() - started:.1f} s")
        return url

    def size(self, kind: str) -> int:
        """Bytes on disk of the seed."""
        if kind == "sqlite":
            return self.sqlite_seed.stat().st_size
        with _admin(self.pg_url) as admin:
            return admin.execute("SELECT pg_database_size(%s)", (self.pg_seed,)).fetchone()[0]


def _build_child(kind: str, scale_name: str, cache_dir: str, pg_url: str) -> None:
    from bench.config import SCALES

    def log(message: str) -> None:
        print(message, flush=True)

    Seeds(SCALES[scale_name], Path(cache_dir), pg_url, log).build(kind)
