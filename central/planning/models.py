"""Rounds (one crew-day of one member's work in one lot) and their tasks (SPEC rules 11–15)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from central.core.money import task_amount
from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.extensions import db


class RoundStatus(enum.StrEnum):
    PLANNED = "planned"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ACCEPTED = "accepted"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    ACCEPTED = "accepted"
    CONTESTED = "contested"
    CANCELLED = "cancelled"


class TaskResult(enum.StrEnum):
    OK = "ok"
    DEFECT = "defect"
    INACCESSIBLE = "inaccessible"
    NOT_FOUND = "not_found"


# Work still in the provider's hands: rule 11 allows one such task per asset and task-type code.
OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.CONTESTED)
# Results that close a task unbilled: the asset stays due (rule 14) and nothing is committed.
UNBILLED_RESULTS = (TaskResult.INACCESSIBLE, TaskResult.NOT_FOUND)
# Rounds that still have work to do (assignable, movable, can become overdue).
ACTIVE_ROUND_STATUSES = (
    RoundStatus.PLANNED,
    RoundStatus.ASSIGNED,
    RoundStatus.IN_PROGRESS,
    RoundStatus.OVERDUE,
)

_OPEN_SQL = "status IN ('open', 'contested')"
# Work that served its asset (rule 10 reads it); queries write this list literally, in this
# order, so that both databases see they lie within the partial index below.
SERVED_TASK_STATUSES = (TaskStatus.DONE, TaskStatus.ACCEPTED)
_SERVED_SQL = "status IN ('done', 'accepted')"


def _planned_amount(context) -> Decimal:
    """A task inserted without its amount (one by one, through the ORM) gets unit price ×
    quantity; bulk planning writes the amount itself."""
    values = context.get_current_parameters()
    quantity = values.get("quantity")
    return task_amount(values["unit_price"], Decimal("1") if quantity is None else quantity)


# Rounds whose open work may still be cancelled.
CANCELLABLE_ROUNDS = (
    RoundStatus.PLANNED,
    RoundStatus.ASSIGNED,
    RoundStatus.IN_PROGRESS,
    RoundStatus.OVERDUE,
)


class Round(db.Model):
    """One crew-day: at most the lot's `max_tasks_per_round` tasks of one member in one lot,
    grouped by proximity and ordered along a short route (rule 12), given to one provider."""

    __tablename__ = "rounds"
    __table_args__ = (
        enum_check("status", RoundStatus, "status_allowed"),
        # An assigned round names its provider (rule 13).
        CheckConstraint(
            "status IN ('planned', 'cancelled') OR provider_id IS NOT NULL",
            name="assigned_has_provider",
        ),
        # A scheduled week belongs to a provider's plan.
        CheckConstraint(
            "scheduled_date IS NULL OR provider_id IS NOT NULL", name="scheduled_has_provider"
        ),
        CheckConstraint("route_km >= 0", name="route_km_not_negative"),
        CheckConstraint("planned_minutes >= 0", name="planned_minutes_not_negative"),
        # assign-rounds takes unassigned rounds by due date; mark-overdue scans by status.
        Index("ix_rounds_status_due_date", "status", "due_date"),
        # A member's rounds; a provider's workload by week.
        Index("ix_rounds_member_status", "member_id", "status"),
        Index("ix_rounds_provider_scheduled", "provider_id", "scheduled_date"),
        Index("ix_rounds_framework_lot", "framework_id", "lot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="RESTRICT"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="RESTRICT"))
    member_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(enum_column_type(RoundStatus), default=RoundStatus.PLANNED)
    due_date: Mapped[date]
    # The Monday of the week the round is planned in; the provider may move it within the week.
    scheduled_date: Mapped[date | None]
    route_km: Mapped[Decimal] = mapped_column(Numeric(9, 2), default=Decimal("0.00"))
    # Service plus travel time along the route (§7.5); unknown for rounds planned before.
    planned_minutes: Mapped[int | None]
    # When the coordinator was told the round reached its due date unassigned (once a round).
    late_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    framework = relationship("Framework")
    lot = relationship("Lot")
    member = relationship("Organisation", foreign_keys=[member_id])
    provider = relationship("Organisation", foreign_keys=[provider_id])
    tasks: Mapped[list[Task]] = relationship(
        back_populates="round", order_by="Task.sequence", cascade="all, delete-orphan"
    )

    @property
    def is_cancellable(self) -> bool:
        """Its open work may still be cancelled (the rule `planning.services` applies)."""
        return self.status in CANCELLABLE_ROUNDS

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.status} due {self.due_date}>"


class Task(db.Model):
    """One piece of work on an asset (or on the place of a need): its task type by code, the
    unit price and VAT rate in force when it was planned (rule 5), its status and result."""

    __tablename__ = "tasks"
    __table_args__ = (
        enum_check("status", TaskStatus, "status_allowed"),
        enum_check("result", TaskResult, "result_allowed"),
        # Rule 11: an asset never has two open tasks of the same task-type code, whatever runs
        # twice or at once.
        Index(
            "uq_tasks_open_asset_task_type",
            "asset_id",
            "task_type",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        # A need is planned into one open task at a time (tasks without a need stay out of it).
        Index(
            "uq_tasks_open_need",
            "need_id",
            unique=True,
            sqlite_where=text(f"need_id IS NOT NULL AND {_OPEN_SQL}"),
            postgresql_where=text(f"need_id IS NOT NULL AND {_OPEN_SQL}"),
        ),
        # Route order within the round.
        UniqueConstraint("round_id", "sequence", name="uq_tasks_round_sequence"),
        # A task is work on an asset or on a need's place.
        CheckConstraint("asset_id IS NOT NULL OR need_id IS NOT NULL", name="asset_or_need"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        # A task's amount is its unit price × quantity, never negative (credits are separate).
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        # Done and accepted work has a result and the day it was done.
        CheckConstraint(
            "status NOT IN ('done', 'accepted') OR (result IS NOT NULL AND done_on IS NOT NULL)",
            name="done_has_result",
        ),
        # Dueness (rule 10) reads the last done or accepted task per asset and code: the index
        # covers the read (day, result) and holds only served work, so that planning new (open)
        # tasks does not write to it.
        Index(
            "ix_tasks_served_asset_task_type",
            "asset_id",
            "task_type",
            "done_on",
            "result",
            "status",
            sqlite_where=text(_SERVED_SQL),
            postgresql_where=text(_SERVED_SQL),
        ),
        # Most tasks come from plans, not needs: only tasks of a need are indexed (with NULLs in
        # it, SQLite's statistics judge the index useless and scan every task per need).
        Index(
            "ix_tasks_need_id",
            "need_id",
            sqlite_where=text("need_id IS NOT NULL"),
            postgresql_where=text("need_id IS NOT NULL"),
        ),
        Index("ix_tasks_task_type_id", "task_type_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="RESTRICT"))
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id", ondelete="RESTRICT"))
    # The task type's code: dueness and rule 11 follow the code across frameworks.
    task_type: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("1"))
    # Copied from the price line in force when the task was planned (rule 5).
    unit: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # Unit price × quantity, rounded half up to the cent, fixed when planned (§7.1): committed,
    # completed and accepted values and statement lines are sums of these amounts.
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=_planned_amount)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(enum_column_type(TaskStatus), default=TaskStatus.OPEN)
    result: Mapped[str | None] = mapped_column(enum_column_type(TaskResult))
    # The business day the work was done (dueness counts from it) and when it was recorded.
    done_on: Mapped[date | None]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="tasks")
    asset = relationship("Asset")
    need = relationship("Need", foreign_keys=[need_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.task_type} {self.status}>"


# The number of tasks a round holds (cancelled ones not counted), loaded with the round.
Round.task_count = column_property(
    select(func.count(Task.id))
    .where(Task.round_id == Round.id, Task.status != TaskStatus.CANCELLED)
    .correlate_except(Task)
    .scalar_subquery()
)


class Crew(db.Model):
    """A provider's crew: it does one round a day, on `days_per_week` days (§7.5). A provider's
    crews bound the rounds it gets in a week, over all its lots and frameworks."""

    __tablename__ = "crews"
    __table_args__ = (
        # A crew leader tells crews apart by name.
        UniqueConstraint("provider_id", "name", name="uq_crews_provider_name"),
        # A crew works one to seven days a week; none or more is no crew.
        CheckConstraint("days_per_week >= 1 AND days_per_week <= 7", name="days_per_week_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    days_per_week: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Crew {self.id} {self.name!r}>"


class Closure(db.Model):
    """Days a provider (or one of its crews) does not work: holidays, training, a sick crew.
    No round is scheduled on them (§7.5)."""

    __tablename__ = "closures"
    __table_args__ = (
        # A closure ends on or after the day it starts.
        CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        # assign-rounds reads a provider's closures from a week on.
        Index("ix_closures_provider_end", "provider_id", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    # None: the whole provider is closed; otherwise only this crew.
    crew_id: Mapped[int | None] = mapped_column(
        ForeignKey("crews.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    crew: Mapped[Crew | None] = relationship()

    def __repr__(self) -> str:
        return f"<Closure {self.id} {self.start_date}..{self.end_date}>"
