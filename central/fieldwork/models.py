"""Field work (SPEC rules 14–16): a task's recorded result with its checklist answers, contests,
photos, labour per provider (or crew) and work date with each round's part, the coordinator's
photo settings per framework, stored answers for retried writes (Idempotency-Key) and each
user's last digest."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from central.core.types import UTCDateTime, utcnow
from central.extensions import db

DEFAULT_PHOTO_RETENTION_MONTHS = 24
# Input limits of field work, declared once (services, schemas, forms): a result's note and
# kind of defect, a contest's reason, and the hours and workers of a round's labour.
MAX_NOTES = 2000
MAX_DEFECT_CATEGORY = 100
MAX_REASON = 2000
MAX_TARGET_GROUP_WORKERS = 500
MAX_LABOUR_HOURS = Decimal("1000")  # one round's crew on one day, far above any real crew
MAX_RETENTION_MONTHS = 120  # how long a framework may keep its photos


class TaskReport(db.Model):
    """What the crew recorded for a task: note, defect category, checklist answers and the items
    that failed. One per task; a correction or a redo overwrites it (the audit keeps history)."""

    __tablename__ = "task_results"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    defect_category: Mapped[str] = mapped_column(String(100), default="")
    # {key: true|false|number}, checked against the task type's checklist by the service.
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Keys of the failed pass/fail items and of readings outside their bounds.
    failed_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    task = relationship("Task")


class TaskContest(db.Model):
    """A member's contest of a done task, with its reason; resolved when the provider redoes it."""

    __tablename__ = "task_contests"
    __table_args__ = (
        # A contest always says why (rule 14).
        CheckConstraint("reason <> ''", name="reason_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    contested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task = relationship("Task")


class TaskPhoto(db.Model):
    """A photo of a task, resized and stored as a file under STORAGE_DIR (not in the database);
    removed by purge-photos after the framework's retention."""

    __tablename__ = "task_photos"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("width > 0 AND height > 0", name="dimensions_positive"),
        # purge-photos scans by age.
        Index("ix_task_photos_uploaded_at", "uploaded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    # The file's path relative to STORAGE_DIR; never derived from user input.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Whether the EXIF location was kept (the framework's setting when it was uploaded).
    location_kept: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task = relationship("Task")


class LabourDay(db.Model):
    """A provider's (or one of its crews') labour on one work date (rule 16, §7.1): aggregates
    only, no personal data. Its figures are those of its rounds' entries: hours added up, workers
    the most any round had (a worker serving three rounds that day is one worker-day)."""

    __tablename__ = "labour_days"
    __table_args__ = (
        # One day per provider and date when no crew is named, one per crew otherwise.
        Index(
            "uq_labour_days_provider_date",
            "provider_id",
            "work_date",
            unique=True,
            sqlite_where=text("crew_id IS NULL"),
            postgresql_where=text("crew_id IS NULL"),
        ),
        Index(
            "uq_labour_days_provider_crew_date",
            "provider_id",
            "crew_id",
            "work_date",
            unique=True,
            sqlite_where=text("crew_id IS NOT NULL"),
            postgresql_where=text("crew_id IS NOT NULL"),
        ),
        # Yearly social-impact reports read by work date.
        Index("ix_labour_days_work_date", "work_date"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        # Target-group hours are part of the crew's hours, target-group workers of its workers.
        CheckConstraint(
            "target_group_hours >= 0 AND target_group_hours <= hours",
            name="target_group_hours_within_hours",
        ),
        CheckConstraint(
            "target_group_workers >= 0 AND target_group_workers <= workers",
            name="target_group_workers_within_workers",
        ),
        # Nobody works more than 24 hours a day.
        CheckConstraint("hours <= 24 * workers", name="hours_within_a_day_per_worker"),
        CheckConstraint(
            "target_group_hours <= 24 * target_group_workers",
            name="target_group_hours_within_a_day_per_worker",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    # The crew (§7.5) when the provider names one; NULL: the provider's day as a whole.
    crew_id: Mapped[int | None] = mapped_column(Integer)
    work_date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    workers: Mapped[int] = mapped_column(Integer)
    target_group_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    target_group_workers: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    entries: Mapped[list[LabourEntry]] = relationship(
        back_populates="day", order_by="LabourEntry.round_id"
    )

    @property
    def round_ids(self) -> list[int]:
        return [entry.round_id for entry in self.entries]


class LabourEntry(db.Model):
    """A round's part of a labour day (rule 16): the hours the crew spent on it and how many
    workers served it. Posting the same round and work date again replaces it."""

    __tablename__ = "labour_entries"
    __table_args__ = (
        # Rule 16: one entry per round in a day; posting it again replaces the figures.
        UniqueConstraint("labour_day_id", "round_id", name="uq_labour_entries_day_round"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        # Target-group hours are part of the crew's hours.
        CheckConstraint(
            "target_group_hours >= 0 AND target_group_hours <= hours",
            name="target_group_hours_within_hours",
        ),
        CheckConstraint("target_group_workers >= 0", name="workers_not_negative"),
        # Target-group hours are worked by at least one target-group worker.
        CheckConstraint(
            "target_group_hours = 0 OR target_group_workers > 0",
            name="target_group_hours_have_workers",
        ),
        CheckConstraint(
            "target_group_workers <= workers AND hours <= 24 * workers",
            name="workers_cover_the_hours",
        ),
        # Yearly social-impact reports read by work date; the round page by round.
        Index("ix_labour_entries_work_date", "work_date"),
        Index("ix_labour_entries_round_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    labour_day_id: Mapped[int] = mapped_column(ForeignKey("labour_days.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    work_date: Mapped[date]  # the day's date, kept for the round's own list
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    workers: Mapped[int] = mapped_column(Integer)
    target_group_hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    target_group_workers: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    round = relationship("Round")
    day: Mapped[LabourDay] = relationship(back_populates="entries")


class FieldworkSetting(db.Model):
    """The coordinator's photo settings for a framework: whether photos keep their EXIF location
    and how many months they are kept (default 24). No row means the defaults."""

    __tablename__ = "fieldwork_settings"
    __table_args__ = (
        CheckConstraint(
            f"photo_retention_months >= 1 AND photo_retention_months <= {MAX_RETENTION_MONTHS}",
            name="retention_range",
        ),
    )

    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), primary_key=True
    )
    keep_photo_location: Mapped[bool] = mapped_column(default=False)
    photo_retention_months: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_PHOTO_RETENTION_MONTHS
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    framework = relationship("Framework")


class IdempotencyRecord(db.Model):
    """The first answer to a retried write (task results, labour, photos), per user and key;
    kept for a retention and then removed by purge-photos."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # Keys are scoped per user: one stored answer per user and key, whatever runs at once.
        UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 of the method, path and body: another body under the same key answers 422.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestMark(db.Model):
    """When a user last got the daily digest: the next one tells what changed since."""

    __tablename__ = "digest_marks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_digest_at: Mapped[datetime] = mapped_column(UTCDateTime)
