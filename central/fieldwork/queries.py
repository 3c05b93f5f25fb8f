"""Read queries of field work: a provider's rounds by day and week, a round's stops in route
order, a member's rounds to accept, a framework's progress, defects and contests, and the
labour per provider, member and framework that the social-impact reports count (rule 16)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, case, cast, exists, func, select

from central.assets.models import Asset, Need, NeedSource
from central.core.types import utcnow
from central.extensions import db
from central.fieldwork.models import LabourDay, LabourEntry, TaskContest, TaskReport
from central.frameworks.models import Framework, TaskType
from central.organisations.models import Organisation
from central.planning.models import SERVED_TASK_STATUSES, Round, RoundStatus, Task, TaskStatus

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
WORKING_ROUNDS = (
    RoundStatus.ASSIGNED,
    RoundStatus.IN_PROGRESS,
    RoundStatus.OVERDUE,
    RoundStatus.COMPLETED,
)


@dataclass
class RoundCard:
    """A round with its member and task counts, as a list shows it."""

    round: Round
    member: str
    provider: str
    tasks: int = 0
    finished: int = 0  # done or accepted (closed unbilled counts: it is finished work)
    contested: int = 0

    @property
    def left(self) -> int:
        return self.tasks - self.finished


def round_cards(rounds: list[Round]) -> list[RoundCard]:
    """Cards for `rounds` with their task counts (one query) and organisation names."""
    if not rounds:
        return []
    ids = [r.id for r in rounds]
    counts = {
        row.round_id: row
        for row in db.session.execute(
            select(
                Task.round_id,
                func.count().label("tasks"),
                func.sum(
                    case((Task.status.in_([TaskStatus.DONE, TaskStatus.ACCEPTED]), 1), else_=0)
                ).label("finished"),
                func.sum(case((Task.status == TaskStatus.CONTESTED, 1), else_=0)).label(
                    "contested"
                ),
            )
            .where(Task.round_id.in_(ids), Task.status != TaskStatus.CANCELLED)
            .group_by(Task.round_id)
        )
    }
    org_ids = {r.member_id for r in rounds} | {r.provider_id for r in rounds if r.provider_id}
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        ).all()
    )
    cards = []
    for round_ in rounds:
        row = counts.get(round_.id)
        cards.append(
            RoundCard(
                round_,
                names.get(round_.member_id, ""),
                names.get(round_.provider_id, "") if round_.provider_id else "",
                int(row.tasks) if row else 0,
                int(row.finished or 0) if row else 0,
                int(row.contested or 0) if row else 0,
            )
        )
    return cards


@dataclass
class ProviderDay:
    """A provider's rounds, as the crew's phone shows them."""

    late: list[RoundCard] = field(default_factory=list)
    today: list[RoundCard] = field(default_factory=list)
    this_week: list[RoundCard] = field(default_factory=list)
    waiting: list[RoundCard] = field(default_factory=list)
    later: list[RoundCard] = field(default_factory=list)
    total: int = 0  # rounds with work; more than PROVIDER_ROUNDS_SHOWN are not all listed

    @property
    def shown(self) -> int:
        return sum(map(len, (self.late, self.today, self.this_week, self.waiting, self.later)))

    @property
    def empty(self) -> bool:
        return not (self.late or self.today or self.this_week or self.waiting or self.later)


PROVIDER_ROUNDS_SHOWN = 500  # on a phone; the earliest scheduled first


def provider_rounds(provider_id: int, today: date, weeks_ahead: int = 3) -> ProviderDay:
    """Rounds with work for the provider: late ones (overdue, from an earlier week, or with a
    contested task), today's, the rest of this week, completed ones waiting for the member, and
    the next weeks."""
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    horizon = monday + timedelta(weeks=weeks_ahead + 1)
    where = (
        Round.provider_id == provider_id,
        Round.status.in_(list(WORKING_ROUNDS)),
        Round.scheduled_date < horizon,
    )
    rounds = list(
        db.session.scalars(
            select(Round)
            .where(*where)
            .order_by(Round.scheduled_date, Round.due_date, Round.id)
            .limit(PROVIDER_ROUNDS_SHOWN)
        )
    )
    day = ProviderDay(total=len(rounds))
    if len(rounds) == PROVIDER_ROUNDS_SHOWN:
        day.total = db.session.scalar(select(func.count()).select_from(Round).where(*where))
    for card in round_cards(rounds):
        r = card.round
        if r.status == RoundStatus.COMPLETED:
            day.waiting.append(card)
        elif r.status == RoundStatus.OVERDUE or card.contested or r.scheduled_date < monday:
            day.late.append(card)
        elif r.scheduled_date == today:
            day.today.append(card)
        elif r.scheduled_date <= sunday:
            day.this_week.append(card)
        else:
            day.later.append(card)
    return day


@dataclass
class Stop:
    """A task of a round in route order, with where it is and what was recorded."""

    task: Task
    task_type_name: str
    code: str | None
    address: str
    lat: float | None
    lon: float | None
    report: TaskReport | None
    contest: TaskContest | None

    @property
    def geo_uri(self) -> str | None:
        if self.lat is None or self.lon is None:
            return None
        label = (self.code or self.address).replace("(", "").replace(")", "")
        return f"geo:{self.lat:.6f},{self.lon:.6f}?q={self.lat:.6f},{self.lon:.6f}({label})"


def round_stops(round_: Round) -> list[Stop]:
    """A round's tasks in route order with their asset or place, result and open contest."""
    rows = db.session.execute(
        select(Task, TaskType.name, Asset, Need, TaskReport)
        .outerjoin(TaskType, TaskType.id == Task.task_type_id)
        .outerjoin(Asset, Asset.id == Task.asset_id)
        .outerjoin(Need, Need.id == Task.need_id)
        .outerjoin(TaskReport, TaskReport.task_id == Task.id)
        .where(Task.round_id == round_.id)
        .order_by(Task.sequence)
    ).all()
    contests = {
        contest.task_id: contest
        for contest in db.session.scalars(
            select(TaskContest)
            .join(Task, Task.id == TaskContest.task_id)
            .where(Task.round_id == round_.id, TaskContest.resolved_at.is_(None))
        )
    }
    stops = []
    for task, type_name, asset, need, report in rows:
        if asset is not None:
            code, address, lat, lon = asset.code, asset.address, asset.lat, asset.lon
        elif need is not None:
            code, address, lat, lon = None, need.address or "", need.lat, need.lon
        else:
            code, address, lat, lon = None, "", None, None
        stops.append(
            Stop(
                task,
                type_name or task.task_type,
                code,
                address,
                lat,
                lon,
                report,
                contests.get(task.id),
            )
        )
    return stops


def follow_up_needs(task_ids: list[int]) -> dict[int, Need]:
    """The follow-up need each task raised."""
    if not task_ids:
        return {}
    return {
        need.task_id: need
        for need in db.session.scalars(
            select(Need).where(Need.task_id.in_(task_ids), Need.source == NeedSource.DEFECT)
        )
    }


def rounds_to_accept(member_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Round)
        .where(Round.member_id == member_id, Round.status == RoundStatus.COMPLETED)
    )


def member_rounds(member_id: int, today: date) -> dict[str, list[RoundCard]]:
    """A member's completed rounds to accept, rounds whose contested tasks the provider is
    redoing, and rounds accepted in the last 30 days."""
    to_accept = db.session.scalars(
        select(Round)
        .where(Round.member_id == member_id, Round.status == RoundStatus.COMPLETED)
        .order_by(Round.completed_at, Round.id)
        .limit(200)
    ).all()
    contested = db.session.scalars(
        select(Round)
        .where(
            Round.member_id == member_id,
            Round.status.in_([RoundStatus.IN_PROGRESS, RoundStatus.OVERDUE]),
            # Through the member's active rounds (indexed), not a scan of every task's status.
            exists().where(Task.round_id == Round.id, Task.status == TaskStatus.CONTESTED),
        )
        .order_by(Round.id)
        .limit(200)
    ).all()
    accepted = db.session.scalars(
        select(Round)
        .where(
            Round.member_id == member_id,
            Round.status == RoundStatus.ACCEPTED,
            Round.accepted_at >= utcnow() - timedelta(days=90),
        )
        .order_by(Round.accepted_at.desc(), Round.id.desc())
        .limit(30)
    ).all()
    return {
        "to_accept": round_cards(list(to_accept)),
        "contested": round_cards(list(contested)),
        "accepted": round_cards(list(accepted)),
    }


# --- a framework's progress (the coordinator) ----------------------------------------------------


@dataclass
class MemberProgress:
    member_id: int
    name: str
    rounds: int = 0
    tasks: int = 0
    finished: int = 0
    accepted: int = 0
    defects: int = 0
    contested: int = 0


def framework_progress(framework_id: int) -> dict[str, Any]:
    """Per member and in total: rounds by status, tasks finished and accepted, defects found
    and tasks contested; the open defects and contests."""
    by_status = dict(
        db.session.execute(
            select(Round.status, func.count())
            .where(Round.framework_id == framework_id)
            .group_by(Round.status)
        ).all()
    )
    members: dict[int, MemberProgress] = {}
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(
                    select(Round.member_id).where(Round.framework_id == framework_id)
                )
            )
        ).all()
    )

    def member(member_id: int) -> MemberProgress:
        if member_id not in members:
            members[member_id] = MemberProgress(member_id, names.get(member_id, ""))
        return members[member_id]

    for member_id, rounds in db.session.execute(
        select(Round.member_id, func.count())
        .where(Round.framework_id == framework_id, Round.status != RoundStatus.CANCELLED)
        .group_by(Round.member_id)
    ):
        member(member_id).rounds = rounds
    for member_id, tasks, finished, accepted, contested in db.session.execute(
        select(
            Round.member_id,
            func.count(),
            func.sum(case((Task.status.in_([TaskStatus.DONE, TaskStatus.ACCEPTED]), 1), else_=0)),
            func.sum(case((Task.status == TaskStatus.ACCEPTED, 1), else_=0)),
            func.sum(case((Task.status == TaskStatus.CONTESTED, 1), else_=0)),
        )
        .join(Round, Round.id == Task.round_id)
        .where(Round.framework_id == framework_id, Task.status != TaskStatus.CANCELLED)
        .group_by(Round.member_id)
    ):
        progress = member(member_id)
        progress.tasks, progress.finished = tasks, int(finished or 0)
        progress.accepted, progress.contested = int(accepted or 0), int(contested or 0)
    for member_id, defects in db.session.execute(
        select(Round.member_id, func.count())
        .select_from(Need)
        .join(Task, Task.id == Need.task_id)
        .join(Round, Round.id == Task.round_id)
        .where(Round.framework_id == framework_id, Need.source == NeedSource.DEFECT)
        .group_by(Round.member_id)
    ):
        member(member_id).defects = defects
    rows = sorted(members.values(), key=lambda m: m.name)
    total = MemberProgress(0, "")
    for row in rows:
        for name in ("rounds", "tasks", "finished", "accepted", "defects", "contested"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    defects = db.session.execute(
        select(Need, Task.round_id, Organisation.name)
        .join(Task, Task.id == Need.task_id)
        .join(Round, Round.id == Task.round_id)
        .join(Organisation, Organisation.id == Need.member_id)
        .where(Round.framework_id == framework_id, Need.source == NeedSource.DEFECT)
        .order_by(Need.created_at.desc(), Need.id.desc())
        .limit(25)
    ).all()
    contests = db.session.execute(
        select(TaskContest, Task, Organisation.name)
        .join(Task, Task.id == TaskContest.task_id)
        .join(Round, Round.id == Task.round_id)
        .join(Organisation, Organisation.id == Round.member_id)
        .where(Round.framework_id == framework_id, TaskContest.resolved_at.is_(None))
        .order_by(TaskContest.contested_at.desc())
        .limit(25)
    ).all()
    return {
        "by_status": by_status,
        "members": rows,
        "total": total,
        "defects": defects,
        "contests": contests,
    }


def led_frameworks(organisation_id: int) -> list[Framework]:
    return list(
        db.session.scalars(
            select(Framework)
            .where(Framework.lead_organisation_id == organisation_id)
            .order_by(Framework.start_date.desc(), Framework.id)
        )
    )


# --- labour (rule 16), for the reports ----------------------------------------------------------


@dataclass(frozen=True)
class LabourShare:
    """The labour of one provider for one member under one framework in a year (§7.1): the hours
    of the member's rounds, and its part of each day's workers (worker-days), spread over the
    day's rounds by the tasks done on each that day."""

    provider_id: int
    member_id: int
    framework_id: int
    hours: Decimal
    target_group_hours: Decimal
    worker_days: Decimal  # all workers
    target_group_worker_days: Decimal
    work_days: int  # round-days with labour logged


def spread(total: int, weights: list[int]) -> list[Decimal]:
    """`total` spread over `weights` in hundredths, by largest remainder, so that the parts add
    up to `total` exactly. Zero weights everywhere spread evenly."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    whole = sum(weights)
    raw = [total * 100 * w for w in weights]
    parts = [r // whole for r in raw]
    left = total * 100 - sum(parts)
    for i in sorted(range(len(raw)), key=lambda i: (-(raw[i] % whole), i))[:left]:
        parts[i] += 1
    return [Decimal(p).scaleb(-2) for p in parts]


def _tasks_done(pairs: set[tuple[int, date]]) -> dict[tuple[int, date], int]:
    """Tasks served (ok or defect) per round on a work date, for the given (round, date)s."""
    counts: dict[tuple[int, date], int] = {}
    rounds = sorted({r for r, _ in pairs})
    for i in range(0, len(rounds), 5000):
        chunk = rounds[i : i + 5000]
        for round_id, done_on, n in db.session.execute(
            select(Task.round_id, Task.done_on, func.count())
            .where(
                Task.round_id.in_(chunk),
                Task.status.in_(SERVED_TASK_STATUSES),
                Task.result.in_(["ok", "defect"]),
            )
            .group_by(Task.round_id, Task.done_on)
        ):
            if (round_id, done_on) in pairs:
                counts[(round_id, done_on)] = int(n)
    return counts


def labour_shares(
    *,
    year: int,
    framework_ids: list[int] | None = None,
    member_id: int | None = None,
    provider_id: int | None = None,
) -> list[LabourShare]:
    """Labour per provider, member and framework in a year (of the work date), exact on both
    databases (hours as integer hundredths). A day's workers count once on that day: each of its
    rounds gets the part of them that its tasks done that day are of the day's tasks (evenly
    when none were done), so that a worker serving three rounds is one worker-day, not three."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    scope = [LabourEntry.work_date >= first, LabourEntry.work_date <= last]
    if framework_ids is not None:
        scope.append(Round.framework_id.in_(framework_ids))
    if member_id is not None:
        scope.append(Round.member_id == member_id)
    if provider_id is not None:
        scope.append(LabourDay.provider_id == provider_id)
    days_in_scope = (
        select(LabourEntry.labour_day_id)
        .join(Round, Round.id == LabourEntry.round_id)
        .join(LabourDay, LabourDay.id == LabourEntry.labour_day_id)
        .where(*scope)
    )
    rows = db.session.execute(
        select(
            LabourEntry.labour_day_id,
            LabourDay.provider_id,
            LabourDay.workers,
            LabourDay.target_group_workers,
            LabourEntry.round_id,
            LabourEntry.work_date,
            Round.member_id,
            Round.framework_id,
            cast(func.round(LabourEntry.hours * 100), Integer),
            cast(func.round(LabourEntry.target_group_hours * 100), Integer),
        )
        .join(LabourDay, LabourDay.id == LabourEntry.labour_day_id)
        .join(Round, Round.id == LabourEntry.round_id)
        .where(LabourEntry.labour_day_id.in_(days_in_scope))
        .order_by(LabourEntry.labour_day_id, LabourEntry.round_id)
    ).all()
    by_day: dict[int, list[Any]] = {}
    for row in rows:
        by_day.setdefault(row[0], []).append(row)
    shared = {(r[4], r[5]) for day in by_day.values() if len(day) > 1 for r in day}
    done = _tasks_done(shared) if shared else {}
    sums: dict[tuple[int, int, int], list[Any]] = {}
    for day in by_day.values():
        weights = [done.get((r[4], r[5]), 0) for r in day]
        workers = spread(int(day[0][2]), weights)
        group_workers = spread(int(day[0][3]), weights)
        for r, all_part, group_part in zip(day, workers, group_workers, strict=True):
            if framework_ids is not None and r[7] not in framework_ids:
                continue
            if member_id is not None and r[6] != member_id:
                continue
            if not first <= r[5] <= last:
                continue
            acc = sums.setdefault((r[1], r[6], r[7]), [0, 0, Decimal(0), Decimal(0), 0])
            acc[0] += int(r[8] or 0)
            acc[1] += int(r[9] or 0)
            acc[2] += all_part
            acc[3] += group_part
            acc[4] += 1
    return [
        LabourShare(
            provider,
            member,
            framework,
            (Decimal(acc[0]) / HUNDRED).quantize(CENT),
            (Decimal(acc[1]) / HUNDRED).quantize(CENT),
            acc[2].quantize(CENT),
            acc[3].quantize(CENT),
            acc[4],
        )
        for (provider, member, framework), acc in sorted(sums.items())
    ]


def labour_of(round_id: int) -> list[LabourEntry]:
    return list(
        db.session.scalars(
            select(LabourEntry)
            .where(LabourEntry.round_id == round_id)
            .order_by(LabourEntry.work_date.desc())
        )
    )


def summed(shares: list[LabourShare]) -> dict[str, Decimal | int]:
    """Add up labour shares (for a page's summary line)."""
    result: dict[str, Any] = {
        "hours": Decimal("0.00"),
        "target_group_hours": Decimal("0.00"),
        "worker_days": Decimal("0.00"),
        "target_group_worker_days": Decimal("0.00"),
        "work_days": 0,
    }
    for share in shares:
        for name in result:
            result[name] += getattr(share, name)
    return result


# --- a task's record --------------------------------------------------------------------------


def report_of(task: Task) -> TaskReport | None:
    return db.session.get(TaskReport, task.id)


def follow_up_need_of(task: Task) -> Need | None:
    """The follow-up need a task's result raised (one per task)."""
    return db.session.scalar(
        select(Need)
        .where(Need.task_id == task.id, Need.source == NeedSource.DEFECT)
        .order_by(Need.id)
        .limit(1)
    )


def open_contest_of(task: Task) -> TaskContest | None:
    return db.session.scalar(
        select(TaskContest)
        .where(TaskContest.task_id == task.id, TaskContest.resolved_at.is_(None))
        .order_by(TaskContest.id.desc())
        .limit(1)
    )


def latest_contest_of(task: Task) -> TaskContest | None:
    """The task's most recent contest, open or resolved."""
    return db.session.scalar(
        select(TaskContest)
        .where(TaskContest.task_id == task.id)
        .order_by(TaskContest.id.desc())
        .limit(1)
    )
