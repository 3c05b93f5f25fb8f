"""Job runs (what ran, when, with which counts) and the per-job lock lease for SQLite."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.extensions import db


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class JobRun(db.Model):
    """One run of a job, or a coordinator's queued request for one."""

    __tablename__ = "job_runs"
    __table_args__ = (
        enum_check("status", JobStatus, "status_allowed"),
        # The scheduler polls for queued requests; the jobs page lists the newest runs per job.
        Index("ix_job_runs_status", "status"),
        Index("ix_job_runs_job_requested", "job", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(enum_column_type(JobStatus), default=JobStatus.QUEUED)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The business date the run worked for (`--today`), so a moved clock is visible.
    today: Mapped[date | None]
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    requested_by = relationship("User", lazy="joined")

    @property
    def duration_seconds(self) -> float | None:
        """How long the run took (None until it has finished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)


class JobLock(db.Model):
    """A lease on a job's lock (SQLite; PostgreSQL uses an advisory lock instead). A lease that
    has expired can be taken over, so that a killed process does not block the job forever."""

    __tablename__ = "job_locks"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
