"""Money integrity as a property (§7.1, rules 2, 5, 7, 15): random sequences of planning,
results, corrections, contests, cancellations, framework-status, acceptance and issuing, with
after every step: committed ≤ maximum, no asset billed twice for one due period, each
statement's totals the sum of its lines, and the reports equal to the statements to the cent.

Work is priced per metre on hydrant lines of random length (two decimals), so that amounts end
in half cents; the maximum is random and tight. Each example runs in a savepoint rolled back at
its end. Bounded (examples and steps) so that the suite stays fast on both databases.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from datetime import date
from decimal import ROUND_CEILING, Decimal

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from central.core.clock import frozen_today
from central.core.errors import DomainError
from central.extensions import db
from central.fieldwork import services as fieldwork
from central.frameworks.models import PriceLine
from central.frameworks.queries import committed_amounts
from central.planning import jobs as planning
from central.planning import services as rounds
from central.planning.models import UNBILLED_RESULTS, Round, RoundStatus, Task, TaskStatus
from central.reports import builders
from central.reports import services as statements
from central.reports.models import Statement
from tests.factories import (
    make_active_framework,
    make_asset,
    make_org,
    make_service_plan,
    make_user,
)

START = date(2026, 3, 2)
RESULTS = ("ok", "defect", "inaccessible", "not_found")
ACTIONS = ("plan", "result", "correct", "contest", "cancel", "status", "accept", "issue")
MAX_ISSUES = 6  # the clock moves a month per issue: nothing falls due again within a plan's year

world = st.fixed_dictionaries(
    {
        "unit_price": st.sampled_from(["1.25", "3.33", "0.05", "12.50"]),
        "lengths": st.lists(
            st.integers(min_value=1, max_value=5000).map(lambda n: Decimal(n).scaleb(-2)),
            min_size=2,
            max_size=7,
        ),
        # The maximum, as a share of all the work (%): over 100, only rule 2's other half (one
        # asset, one due period) stops a second bill.
        "room": st.integers(min_value=0, max_value=150),
    }
)
# Results closed unbilled are drawn as often as billed ones: they are where money goes wrong.
steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 20),
        st.sampled_from(("ok", "inaccessible", "ok", "not_found", "defect", "inaccessible")),
    ),
    min_size=1,
    max_size=24,
)
# The issue's case, always tried: a hydrant closed inaccessible, room freed, planned again,
# then the first task corrected to ok (and accepted, and issued); with ample and with tight room.
ISSUE_CASE = [
    ("plan", 0, "ok"),
    ("result", 0, "inaccessible"),
    ("result", 0, "ok"),
    ("result", 0, "ok"),
    ("status", 0, "ok"),
    ("plan", 0, "ok"),
    ("correct", 0, "ok"),
    ("result", 0, "ok"),
    ("accept", 0, "ok"),
    ("accept", 0, "ok"),
    ("issue", 0, "ok"),
]
ISSUE_WORLD = {"unit_price": "1.25", "lengths": [Decimal("80.10")] * 3, "room": 100}


@contextmanager
def rolled_back():
    """A savepoint on the test's connection around one example: the session's own savepoints
    (its commits) nest inside it, and all of it is rolled back at the end."""
    db.session.commit()
    savepoint = db.session.get_bind().begin_nested()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.expunge_all()
        savepoint.rollback()


class World:
    def __init__(self, spec: dict) -> None:
        self.today = START
        self.issues = 0
        self.member = make_org("authority")
        provider = make_org("provider", social_economy_status="lde")
        price = Decimal(spec["unit_price"])
        amounts = [
            (price * length).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
            for length in spec["lengths"]
        ]
        maximum = max(
            Decimal("1.00"),
            (sum(amounts) * spec["room"] / 100).quantize(Decimal("0.01"), rounding=ROUND_CEILING),
        )
        self.framework = make_active_framework(
            members=[self.member],
            providers=[provider],
            max_value=maximum,
            estimated_value=maximum,
        )
        self.lot = self.framework.lots[0]
        self.lot.max_tasks_per_round = 2
        self.lot.task_types[0].checklist = []
        line = db.session.scalars(select(PriceLine).where(PriceLine.lot_id == self.lot.id)).one()
        line.unit, line.unit_price = "m", price
        make_service_plan(self.member, self.lot)
        for n, length in enumerate(spec["lengths"]):
            make_asset(self.member, lat=50.93 + n * 0.001, lon=3.10, measure=length)
        self.crew = make_user("provider", provider)
        self.member_user = make_user("member", self.member)
        db.session.commit()

    def tasks(self, *statuses: str) -> list[Task]:
        return list(
            db.session.scalars(
                select(Task)
                .join(Round, Round.id == Task.round_id)
                .where(Round.framework_id == self.framework.id, Task.status.in_(statuses))
                .order_by(Task.id)
            )
        )

    def step(self, action: str, pick: int, result: str) -> None:
        session = db.session
        if action == "plan":
            planning.generate_rounds(session, self.today)
            planning.assign_rounds(session, self.today)
        elif action == "status":
            planning.framework_status(session, self.today)
        elif action == "issue":
            if self.issues < MAX_ISSUES:
                self.issues += 1
                self.today = self.today.replace(day=1) + relativedelta(months=1, day=2)
                statements.issue_statements(session, self.today)
        elif action == "accept":
            completed = list(
                session.scalars(
                    select(Round)
                    .where(
                        Round.framework_id == self.framework.id,
                        Round.status == RoundStatus.COMPLETED,
                    )
                    .order_by(Round.id)
                )
            )
            if completed:
                fieldwork.accept_round(completed[pick % len(completed)], actor=self.member_user)
        else:
            statuses = {
                "result": ("open", "contested"),
                "correct": ("done",),
                "contest": ("done",),
                "cancel": ("open",),
            }[action]
            tasks = self.tasks(*statuses)
            if not tasks:
                return
            task = tasks[pick % len(tasks)]
            if action in ("result", "correct"):
                fieldwork.record_result(task, {"result": result}, actor=self.crew)
            elif action == "contest":
                fieldwork.contest_task(task, "Not what was agreed.", actor=self.member_user)
            else:
                rounds.cancel_task(task, actor=self.member_user)
        session.commit()

    def check(self) -> None:
        """The four properties, after every step."""
        framework = self.framework
        amounts = committed_amounts(framework.id).total
        # Rule 2 on every path.
        assert amounts.committed <= framework.max_value, (amounts.committed, framework.max_value)
        # One asset, one due period: at most one plan task per asset and code commits money.
        twice = db.session.execute(
            select(Task.asset_id, func.count())
            .join(Round, Round.id == Task.round_id)
            .where(
                Round.framework_id == framework.id,
                Task.need_id.is_(None),
                Task.status != TaskStatus.CANCELLED,
                Task.result.is_(None) | Task.result.not_in(list(UNBILLED_RESULTS)),
            )
            .group_by(Task.asset_id, Task.task_type)
            .having(func.count() > 1)
        ).all()
        assert twice == []
        # Statements: totals are the sums of their lines.
        issued = list(
            db.session.scalars(select(Statement).where(Statement.framework_id == framework.id))
        )
        for statement in issued:
            lines = sum((line.amount for line in statement.lines), Decimal("0.00"))
            assert statement.total_excl_vat == lines
            assert statement.total_incl_vat == statement.total_excl_vat + statement.vat
        # Reports = statements to the cent: what was accepted is issued, or on this month's
        # statement still to come.
        consumption = builders.build_consumption(db.session, framework, self.today)
        assert consumption["committed"] == amounts.committed
        pending = builders.build_statement(db.session, self.member.id, self.today.replace(day=1))
        billed = sum((s.total_excl_vat for s in issued), Decimal("0.00"))
        billed += sum((Decimal(a) for a in pending["amount"]), Decimal("0.00"))
        assert consumption["accepted"] == amounts.accepted == billed


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(spec=ISSUE_WORLD, sequence=ISSUE_CASE)
@example(spec={**ISSUE_WORLD, "room": 70}, sequence=ISSUE_CASE)
@example(spec={**ISSUE_WORLD, "room": 150}, sequence=ISSUE_CASE)
@given(spec=world, sequence=steps)
def test_money_holds_on_every_path_of_random_sequences(app, spec, sequence):
    with rolled_back(), ExitStack() as clock:
        clock.enter_context(frozen_today(START))
        central = World(spec)
        central.check()
        for action, pick, result in sequence:
            clock.enter_context(frozen_today(central.today))
            try:
                central.step(action, pick, result)
            except DomainError as refused:
                # A refusal (409 maximum_reached, planned_again, a task no longer open...)
                # writes nothing.
                db.session.rollback()
                assert refused.status in (400, 403, 409), refused
            central.check()
