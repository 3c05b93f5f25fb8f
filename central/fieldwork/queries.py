"""Read queries of field work: a provider's rounds by day and week, a round's stops in route
order, a member's rounds to accept, a framework's progress, defects and contests, and the
labour totals that the social-impact reports count (rule 16)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, cast, exists, func, select

from central.assets.models import Asset, Need, NeedSource
from central.core.types import utcnow
from central.extensions import db
from central.fieldwork.models import LabourEntry, TaskContest, TaskReport
from central.frameworks.models import Framework, TaskType
from central.organisations.models import Organisation
from central.planning.models import Round, RoundStatus, Task, TaskStatus

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
class LabourTotal:
    """Labour of one provider for one member under one framework in one year."""

    provider_id: int
    member_id: int
    framework_id: int
    year: int
    hours: Decimal
    target_group_hours: Decimal
    target_group_worker_days: int  # the sum of target-group workers over the work dates
    work_days: int  # round-days with labour logged


def labour_totals(
    *,
    framework_id: int | None = None,
    year: int | None = None,
    provider_id: int | None = None,
    member_id: int | None = None,
) -> list[LabourTotal]:
    """Labour summed by provider, member, framework and year (of the work date), exact on both
    databases: hours are summed as integer hundredths. Filters are optional."""
    work_year = cast(func.extract("year", LabourEntry.work_date), Integer)
    hundredths = func.sum(cast(func.round(LabourEntry.hours * 100), Integer))
    group_hundredths = func.sum(cast(func.round(LabourEntry.target_group_hours * 100), Integer))
    conditions = []
    if framework_id is not None:
        conditions.append(Round.framework_id == framework_id)
    if provider_id is not None:
        conditions.append(Round.provider_id == provider_id)
    if member_id is not None:
        conditions.append(Round.member_id == member_id)
    if year is not None:
        conditions.append(
            and_(
                LabourEntry.work_date >= date(year, 1, 1),
                LabourEntry.work_date <= date(year, 12, 31),
            )
        )
    stmt = (
        select(
            Round.provider_id,
            Round.member_id,
            Round.framework_id,
            work_year,
            hundredths,
            group_hundredths,
            func.sum(LabourEntry.target_group_workers),
            func.count(),
        )
        .join(Round, Round.id == LabourEntry.round_id)
        .where(*conditions)
        .group_by(Round.provider_id, Round.member_id, Round.framework_id, work_year)
        .order_by(Round.framework_id, work_year, Round.provider_id, Round.member_id)
    )
    return [
        LabourTotal(
            provider,
            member,
            framework,
            int(work_year_value),
            (Decimal(int(hours or 0)) / HUNDRED).quantize(CENT),
            (Decimal(int(group or 0)) / HUNDRED).quantize(CENT),
            int(workers or 0),
            int(days),
        )
        for provider, member, framework, work_year_value, hours, group, workers, days in (
            db.session.execute(stmt)
        )
    ]


def labour_of(round_id: int) -> list[LabourEntry]:
    return list(
        db.session.scalars(
            select(LabourEntry)
            .where(LabourEntry.round_id == round_id)
            .order_by(LabourEntry.work_date.desc())
        )
    )


def summed(totals: list[LabourTotal]) -> dict[str, Decimal | int]:
    """Add up labour totals (for a page's summary line)."""
    result: dict[str, Any] = {
        "hours": Decimal("0.00"),
        "target_group_hours": Decimal("0.00"),
        "target_group_worker_days": 0,
        "work_days": 0,
    }
    for total in totals:
        result["hours"] += total.hours
        result["target_group_hours"] += total.target_group_hours
        result["target_group_worker_days"] += total.target_group_worker_days
        result["work_days"] += total.work_days
    return result
