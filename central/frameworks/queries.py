"""Read queries of the frameworks domain, shared with planning and reporting: the price in force,
approved accessions, and the amounts of work committed under a framework (rule 2).

Committed amounts are read through `committed_amounts(framework_id)`. The tasks that make them up
belong to the planning domain, which registers where they come from with `register_amount_source`
(see `AmountSource`); the frameworks domain does not import planning. With no source registered
there is no planned work in the system, so every amount is zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from central.core.money import CENT
from central.extensions import db
from central.frameworks.models import (
    Accession,
    AccessionLot,
    AccessionStatus,
    PriceLine,
)

ZERO = Decimal("0.00")


class AmountRow(NamedTuple):
    """Tasks of one lot that share a stage and a stored amount (§7.1).

    `stage` is "open" (committed, not yet done: open or contested), "done" (completed, not yet
    accepted) or "accepted". Cancelled tasks and tasks closed as `inaccessible` or `not_found` are
    no row at all: they commit nothing (rule 2). Grouping by the task's stored amount keeps the
    rows few and lets Python add exactly, on SQLite too (rule 5).
    """

    lot_id: int
    stage: str
    amount: Decimal
    tasks: int


# A function that yields the AmountRows of one framework, e.g. (planning) a
# `SELECT rounds.lot_id, <stage>, tasks.amount, COUNT(*) ... GROUP BY ...`.
AmountSource = Callable[[int], Iterable[AmountRow]]
_SOURCES: list[AmountSource] = []
STAGES = ("open", "done", "accepted")


def register_amount_source(source: AmountSource) -> AmountSource:
    """Add a source of task amounts (create_app registers planning's tasks). Idempotent."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


@dataclass(frozen=True)
class Amounts:
    """Committed (every counting task), awaiting acceptance (done, not yet accepted) and
    completed amounts. Only accepted work counts as completed (issue 6, rule 15): `completed`
    and `accepted` are the same figure, under the two names the API carries (SPEC section 5)."""

    committed: Decimal = ZERO
    awaiting: Decimal = ZERO
    completed: Decimal = ZERO

    @property
    def accepted(self) -> Decimal:
        return self.completed

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(
            self.committed + other.committed,
            self.awaiting + other.awaiting,
            self.completed + other.completed,
        )


@dataclass(frozen=True)
class FrameworkAmounts:
    """A framework's amounts in total and per lot."""

    total: Amounts = Amounts()
    by_lot: dict[int, Amounts] = field(default_factory=dict)

    def lot(self, lot_id: int) -> Amounts:
        return self.by_lot.get(lot_id, Amounts())


def amounts_from_rows(rows: Iterable[AmountRow]) -> FrameworkAmounts:
    """Add up amount rows exactly, per lot and in total."""
    by_lot: dict[int, Amounts] = {}
    for row in rows:
        if row.stage not in STAGES:
            raise ValueError(f"unknown task stage {row.stage!r}")
        amount = Decimal(row.amount).quantize(CENT) * int(row.tasks)
        part = Amounts(
            committed=amount,
            awaiting=amount if row.stage == "done" else ZERO,
            completed=amount if row.stage == "accepted" else ZERO,
        )
        by_lot[row.lot_id] = by_lot.get(row.lot_id, Amounts()) + part
    total = sum(by_lot.values(), Amounts())
    return FrameworkAmounts(total=total, by_lot=by_lot)


def committed_amounts(framework_id: int) -> FrameworkAmounts:
    """The amounts of work under a framework, from every registered source (rule 2)."""
    return amounts_from_rows(row for source in _SOURCES for row in source(framework_id))


def current_prices(lot_id: int, day: date, provider_id: int | None = None) -> dict[int, PriceLine]:
    """Per task type of a lot, the common line in force on `day`; for a provider, its own line
    where it has one in force (SPEC 7.2)."""
    return PriceSchedule.load([lot_id]).lines(lot_id, day, provider_id)


@dataclass
class PriceSchedule:
    """Every price line of some lots, held in memory to price many tasks at once (rule 5, SPEC
    7.2): per lot, task type and provider (None: the common line), lines by date."""

    lines_by_key: dict[tuple[int, int, int | None], list[PriceLine]]

    @classmethod
    def load(cls, lot_ids: Iterable[int]) -> PriceSchedule:
        by_key: dict[tuple[int, int, int | None], list[PriceLine]] = {}
        ids = list(lot_ids)
        if ids:
            for line in db.session.scalars(
                select(PriceLine)
                .where(PriceLine.lot_id.in_(ids))
                .order_by(PriceLine.valid_from, PriceLine.id)
            ):
                key = (line.lot_id, line.task_type_id, line.provider_id)
                by_key.setdefault(key, []).append(line)
        return cls(by_key)

    def has_provider_lines(self, lot_id: int) -> bool:
        """Whether any provider of the lot has a price of its own."""
        return any(key[0] == lot_id and key[2] is not None for key in self.lines_by_key)

    def line(
        self, lot_id: int, task_type_id: int, day: date, provider_id: int | None = None
    ) -> PriceLine | None:
        """The line in force on `day`: the provider's own, else the common one."""
        keys = [(lot_id, task_type_id, provider_id)] if provider_id is not None else []
        for key in (*keys, (lot_id, task_type_id, None)):
            found = None
            for line in self.lines_by_key.get(key, ()):
                if line.valid_from > day:
                    break
                found = line
            if found is not None:
                return found
        return None

    def lines(self, lot_id: int, day: date, provider_id: int | None = None) -> dict[int, PriceLine]:
        """Per task type of the lot, the line in force on `day` for the provider (or common)."""
        task_type_ids = {key[1] for key in self.lines_by_key if key[0] == lot_id}
        found = {t: self.line(lot_id, t, day, provider_id) for t in task_type_ids}
        return {t: line for t, line in found.items() if line is not None}

    def highest(self, lot_id: int, day: date, provider_ids: Iterable[int]) -> dict[int, PriceLine]:
        """Per task type, the highest line in force on `day` among the given providers (the
        lot's awarded ones; none: the common lines): what planning commits (SPEC 7.2)."""
        providers = list(provider_ids)
        if not providers:
            return self.lines(lot_id, day)
        highest: dict[int, PriceLine] = {}
        for provider_id in providers:
            for task_type_id, line in self.lines(lot_id, day, provider_id).items():
                held = highest.get(task_type_id)
                if held is None or line.unit_price > held.unit_price:
                    highest[task_type_id] = line
        return highest


def approved_lot_ids(member_id: int, framework_id: int | None = None) -> set[int]:
    """Lots a member may receive work in: those of its approved accessions (rule 3)."""
    stmt = (
        select(AccessionLot.lot_id)
        .join(Accession, Accession.id == AccessionLot.accession_id)
        .where(
            Accession.member_id == member_id,
            Accession.status == AccessionStatus.APPROVED,
        )
    )
    if framework_id is not None:
        stmt = stmt.where(Accession.framework_id == framework_id)
    return set(db.session.scalars(stmt))


def covered_lot_ids(member_id: int, framework_id: int) -> set[int]:
    """Lots of a framework a member holds by a pending or approved accession (rule 3)."""
    return set(
        db.session.scalars(
            select(AccessionLot.lot_id)
            .join(Accession, Accession.id == AccessionLot.accession_id)
            .where(
                AccessionLot.member_id == member_id,
                AccessionLot.covering.is_(True),
                Accession.framework_id == framework_id,
            )
        )
    )


def approved_members_by_lot(lot_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each lot, the members with an approved accession to it (one query, for the planner)."""
    ids = list(lot_ids)
    result: dict[int, set[int]] = {lot_id: set() for lot_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(AccessionLot.lot_id, AccessionLot.member_id)
        .join(Accession, Accession.id == AccessionLot.accession_id)
        .where(AccessionLot.lot_id.in_(ids), Accession.status == AccessionStatus.APPROVED)
    )
    for lot_id, member_id in rows:
        result[lot_id].add(member_id)
    return result
