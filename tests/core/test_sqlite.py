"""SQLite's writer transactions (central/core/sqlite.py): a write request and a job's block begin
their transactions as writers (BEGIN IMMEDIATE), so that another writer waits instead of failing
on a stale read snapshot; reads keep the deferred BEGIN."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from central.core.sqlite import begins_as_writer, writer_transactions


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    yield engine
    engine.dispose()


def _other_writer_is_refused(engine) -> bool:
    """Whether a second connection in another thread, not willing to wait, cannot write now."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_try_to_write, engine).result()


def _try_to_write(engine) -> bool:
    with engine.connect() as other:
        other.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            other.exec_driver_sql("INSERT INTO t VALUES (2)")
        except OperationalError as exc:
            assert "locked" in str(exc)
            return True
        other.rollback()
        return False


def test_a_transaction_begun_inside_writer_transactions_holds_the_write_lock(engine):
    with writer_transactions(), engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()  # a read first
        assert _other_writer_is_refused(engine)
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")  # never a stale snapshot
        conn.commit()


def test_a_read_outside_it_leaves_writing_to_others(engine):
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        assert not _other_writer_is_refused(engine)
        conn.rollback()


def test_writer_transactions_ends_with_its_block():
    assert not begins_as_writer()
    with writer_transactions():
        assert begins_as_writer()
    assert not begins_as_writer()


@pytest.mark.parametrize(
    ("method", "writer"),
    [("GET", False), ("HEAD", False), ("OPTIONS", False), ("POST", True), ("PATCH", True)],
)
def test_write_requests_begin_as_writers(app, method, writer):
    with app.test_request_context("/", method=method):
        assert begins_as_writer() is writer
