"""A job never runs twice at the same time, with any number of processes (SPEC section 4).

PostgreSQL: a session-level advisory lock held on a connection of its own for the whole run; the
server frees it when that connection ends, also when the process is killed.
SQLite (and other databases): a row in `job_locks` with an expiring lease, taken by an atomic
UPDATE ... WHERE expires_at < now (or an INSERT for a job never locked before) and renewed by a
background thread while the job runs, so that a killed process blocks the job only until its
lease expires.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from central.core.types import utcnow
from central.extensions import db
from central.jobs.models import JobLock

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300


class HeldLock(Protocol):
    def release(self) -> None: ...


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for the job's advisory lock."""
    digest = hashlib.sha256(f"central-job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def new_holder() -> str:
    """Who holds a lease: host, process and a random part (one process may run several jobs)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class AdvisoryLock:
    """`pg_try_advisory_lock` on a dedicated autocommit connection, kept until `release`."""

    def __init__(self, engine: Engine, name: str):
        self.name = name
        self.key = advisory_key(name)
        self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def try_acquire(self) -> bool:
        try:
            acquired = bool(
                self.connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            )
        except Exception:
            self.connection.close()
            raise
        if not acquired:
            self.connection.close()
        return acquired

    def release(self) -> None:
        try:
            self.connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception:
            # A broken connection frees the lock on the server; never hand it back to the pool.
            log.exception("Could not unlock job %s; dropping its connection", self.name)
            self.connection.invalidate()
        finally:
            self.connection.close()


class LeaseLock:
    """A lease in `job_locks`, taken through the app's session and renewed by a thread."""

    def __init__(self, engine: Engine, name: str, lease_seconds: float):
        self.engine = engine
        self.name = name
        self.holder = new_holder()
        self.lease = timedelta(seconds=lease_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def try_acquire(self) -> bool:
        session = db.session
        now = utcnow()
        # Take over an expired lease atomically: only one UPDATE can match it.
        taken = session.execute(
            update(JobLock)
            .where(JobLock.job == self.name, JobLock.expires_at < now)
            .values(holder=self.holder, expires_at=now + self.lease)
        ).rowcount
        if (
            not taken
            and session.scalar(select(JobLock.job).where(JobLock.job == self.name)) is None
        ):
            try:
                with session.begin_nested():
                    session.execute(
                        insert(JobLock).values(
                            job=self.name, holder=self.holder, expires_at=now + self.lease
                        )
                    )
                taken = 1
            except IntegrityError:
                taken = 0  # another process inserted the row first
        session.commit()
        if taken:
            self._thread = threading.Thread(
                target=self._renew_loop, name=f"lease-{self.name}", daemon=True
            )
            self._thread.start()
        return bool(taken)

    def renew(self) -> bool:
        """Extend the lease; False when it is no longer ours."""
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(JobLock)
                .where(JobLock.job == self.name, JobLock.holder == self.holder)
                .values(expires_at=utcnow() + self.lease)
            ).rowcount
        return bool(renewed)

    def _renew_loop(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    log.error("The lease on job %s was lost to another process", self.name)
                    return
            except OperationalError:
                # The database was busy for longer than its timeout; the lease has room to spare.
                log.warning("Could not renew the lease on job %s; retrying", self.name)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        session = db.session
        session.execute(
            delete(JobLock).where(JobLock.job == self.name, JobLock.holder == self.holder)
        )
        session.commit()


def try_lock(name: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> HeldLock | None:
    """Take the job's lock, or return None when another run holds it."""
    engine = db.engine
    lock: AdvisoryLock | LeaseLock
    if engine.dialect.name == "postgresql":
        lock = AdvisoryLock(engine, name)
    else:
        lock = LeaseLock(engine, name, lease_seconds)
    return lock if lock.try_acquire() else None
