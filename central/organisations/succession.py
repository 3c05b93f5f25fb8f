"""Municipal mergers (SPEC 7.2): the admin records that an authority is succeeded by another
(the 2025 Flemish mergers). What is running moves to the successor: users, active assets, service
plans, open needs, open work (and work accepted after the effective date that no statement bills
yet), approved accessions (the successor becomes a named beneficiary by succession; accessions
merge by lot). History stays with the predecessor — past tasks, issued statements, budgets, audit —
which is marked `succeeded_by` and is read-only from then on (409 on writes).

All of it is one transaction: a refusal (400/409) writes nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update

from central.core import audit
from central.core.clock import BRUSSELS, today
from central.core.errors import N_, Conflict, ValidationError
from central.core.types import utcnow
from central.extensions import db
from central.organisations.models import Organisation, OrganisationKind

# Rounds whose work is not accepted (nor cancelled): they move with the member.
OPEN_ROUND_STATUSES = ("planned", "assigned", "in_progress", "completed", "overdue")
OPEN_NEED_STATUSES = ("open", "planned")
MAX_CODE = 64


def require_active(org: Organisation | None) -> None:
    """SPEC 7.2: a succeeded organisation is read-only (409 on a write that needs it active)."""
    if org is None or org.succeeded_by_id is None:
        return
    successor = db.session.get(Organisation, org.succeeded_by_id)
    raise Conflict(
        N_(
            "%(name)s was succeeded by %(successor)s on %(date)s and is read-only; act for "
            "%(successor)s instead."
        ),
        params={
            "name": org.name,
            "successor": successor.name if successor else "?",
            "date": org.succeeded_on.isoformat() if org.succeeded_on else "?",
        },
    )


@dataclass
class Plan:
    """What a succession moves (counted before anything is written; the page shows it)."""

    predecessor: Organisation
    successor: Organisation
    effective_date: date
    code_prefix: str
    counts: Counter = field(default_factory=Counter)
    clashes: list[str] = field(default_factory=list)


def _parse(values: dict[str, Any], org: Organisation) -> tuple[Organisation, date, str]:
    errors: dict[str, str] = {}
    successor = None
    raw = values.get("successor_id")
    try:
        successor_id = int(raw) if raw not in (None, "") and not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        successor_id = None
    if successor_id is not None:
        successor = db.session.get(Organisation, successor_id)
    if successor is None or successor.kind != OrganisationKind.AUTHORITY:
        errors["successor_id"] = N_("Choose the authority that succeeds it.")
    elif successor.id == org.id:
        errors["successor_id"] = N_("An authority does not succeed itself.")
    raw_date = values.get("effective_date")
    effective = None
    if isinstance(raw_date, date):
        effective = raw_date
    elif raw_date:
        try:
            effective = date.fromisoformat(str(raw_date))
        except ValueError:
            errors["effective_date"] = N_("Enter a date as YYYY-MM-DD.")
    else:
        errors["effective_date"] = N_("Enter a date.")
    if effective is not None and effective > today():
        errors["effective_date"] = N_("Record a merger once it has taken effect.")
    prefix = str(values.get("code_prefix") or "").strip()
    if len(prefix) > 20:
        errors["code_prefix"] = N_("At most 20 characters.")
    if org.kind != OrganisationKind.AUTHORITY:
        errors["organisation_id"] = N_("Only an authority is succeeded by another.")
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    assert successor is not None and effective is not None
    return successor, effective, prefix


def plan_succession(org: Organisation, values: dict[str, Any]) -> Plan:
    """Check a succession and count what it would move, writing nothing (400/409 if refused)."""
    from central.assets.models import Asset, Need, ServicePlan
    from central.frameworks.models import Accession, Framework

    successor, effective, prefix = _parse(values, org)
    if org.succeeded_by_id is not None:
        require_active(org)
    if successor.succeeded_by_id is not None:
        raise Conflict(
            N_("%(name)s was itself succeeded: name its own successor."),
            fields={"successor_id": N_("Succeeded itself.")},
            params={"name": successor.name},
        )
    leads = db.session.scalar(
        select(Framework.reference)
        .where(
            Framework.lead_organisation_id == org.id,
            Framework.status.in_(["draft", "active", "exhausted"]),
        )
        .limit(1)
    )
    if leads is not None:
        raise Conflict(
            N_(
                "%(name)s leads framework %(reference)s: its lead authority changes by a "
                "decision of its own, before the succession is recorded."
            ),
            params={"name": org.name, "reference": leads},
        )
    plan = Plan(org, successor, effective, prefix)
    codes = list(
        db.session.scalars(
            select(Asset.code).where(Asset.member_id == org.id, Asset.status == "active")
        )
    )
    taken = set(db.session.scalars(select(Asset.code).where(Asset.member_id == successor.id)))
    new_codes = [prefix + code for code in codes]
    plan.clashes = sorted(c for c in new_codes if c in taken)
    if plan.clashes:
        shown = ", ".join(plan.clashes[:5]) + (" …" if len(plan.clashes) > 5 else "")
        if prefix:
            message = N_(
                "With prefix %(prefix)s, %(count)s asset codes still clash with "
                "%(successor)s's: %(codes)s. Choose another prefix."
            )
        else:
            message = N_(
                "%(count)s asset codes clash with %(successor)s's: %(codes)s. Give a code "
                "prefix for the assets that move."
            )
        raise Conflict(
            message,
            fields={"code_prefix": N_("Asset codes clash.")},
            params={
                "count": len(plan.clashes),
                "successor": successor.name,
                "codes": shown,
                "prefix": prefix,
            },
        )
    if any(len(c) > MAX_CODE for c in new_codes):
        raise ValidationError(
            N_("With this prefix an asset code would be longer than 64 characters."),
            fields={"code_prefix": N_("Too long for the asset codes.")},
        )
    from central.accounts.models import User

    plan.counts["users"] = db.session.scalar(
        select(func.count(User.id)).where(User.organisation_id == org.id)
    )
    plan.counts["assets"] = len(codes)
    plan.counts["service_plans"] = db.session.scalar(
        select(func.count(ServicePlan.id)).where(
            ServicePlan.member_id == org.id, ServicePlan.active.is_(True)
        )
    )
    plan.counts["needs"] = db.session.scalar(
        select(func.count(Need.id)).where(
            Need.member_id == org.id, Need.status.in_(OPEN_NEED_STATUSES)
        )
    )
    plan.counts["rounds"] = len(_rounds_to_move(org, effective))
    plan.counts["accessions"] = db.session.scalar(
        select(func.count(Accession.id)).where(
            Accession.member_id == org.id, Accession.status == "approved"
        )
    )
    return plan


def _rounds_to_move(org: Organisation, effective: date) -> list[int]:
    """Open rounds, and rounds accepted on or after the effective date that no issued statement
    bills yet (SPEC 7.2: that work is billed to the successor)."""
    from central.planning.models import Round, Task
    from central.reports.models import Statement

    ids = list(
        db.session.scalars(
            select(Round.id).where(Round.member_id == org.id, Round.status.in_(OPEN_ROUND_STATUSES))
        )
    )
    start = datetime(effective.year, effective.month, effective.day, tzinfo=BRUSSELS)
    # A statement bills a month of acceptance (its tasks' `accepted_at`, Brussels time).
    accepted = (
        select(func.max(Task.accepted_at))
        .where(Task.round_id == Round.id)
        .correlate(Round)
        .scalar_subquery()
    )
    for round_id, framework_id, provider_id, accepted_at in db.session.execute(
        select(Round.id, Round.framework_id, Round.provider_id, accepted).where(
            Round.member_id == org.id,
            Round.status == "accepted",
            accepted >= start.astimezone(UTC),
        )
    ):
        local = accepted_at.astimezone(BRUSSELS)
        month = f"{local.year:04d}-{local.month:02d}"
        billed = db.session.scalar(
            select(Statement.id).where(
                Statement.framework_id == framework_id,
                Statement.member_id == org.id,
                Statement.provider_id == provider_id,
                Statement.month == month,
            )
        )
        if billed is None:
            ids.append(round_id)
    return ids


def record_succession(org: Organisation, values: dict[str, Any], *, actor: Any) -> Plan:
    """SPEC 7.2: record that `org` is succeeded (a municipal merger) and move what is running to
    the successor. One transaction: the caller commits; a refusal writes nothing."""
    from central.accounts.models import User
    from central.assets.models import Asset, Need, ServicePlan
    from central.frameworks.models import (
        Accession,
        AccessionLot,
        FrameworkBeneficiary,
    )
    from central.planning.models import Round

    plan = plan_succession(org, values)
    successor, prefix = plan.successor, plan.code_prefix
    now = utcnow()
    db.session.execute(
        update(User).where(User.organisation_id == org.id).values(organisation_id=successor.id)
    )
    # Assets keep their ids (tasks, history and public tokens follow); codes take the prefix.
    assets = db.session.scalars(
        select(Asset).where(Asset.member_id == org.id, Asset.status == "active")
    ).all()
    for asset in assets:
        asset.member_id = successor.id
        asset.code = prefix + asset.code
    # A plan the successor already has for the same work stays its own; the other ends.
    moved_plans = ended_plans = 0
    for plan_row in db.session.scalars(
        select(ServicePlan).where(ServicePlan.member_id == org.id, ServicePlan.active.is_(True))
    ).all():
        same = db.session.scalar(
            select(ServicePlan.id).where(
                ServicePlan.member_id == successor.id,
                ServicePlan.active.is_(True),
                ServicePlan.lot_id == plan_row.lot_id,
                ServicePlan.task_type == plan_row.task_type,
                func.coalesce(ServicePlan.asset_kind, "") == func.coalesce(plan_row.asset_kind, ""),
            )
        )
        if same is None:
            plan_row.member_id = successor.id
            moved_plans += 1
        else:
            plan_row.active = False
            ended_plans += 1
    db.session.flush()
    db.session.execute(
        update(Need)
        .where(Need.member_id == org.id, Need.status.in_(OPEN_NEED_STATUSES))
        .values(member_id=successor.id)
    )
    round_ids = _rounds_to_move(org, plan.effective_date)
    if round_ids:
        db.session.execute(
            update(Round).where(Round.id.in_(round_ids)).values(member_id=successor.id)
        )
    # Approved accessions become the successor's, merged by lot; it becomes a beneficiary.
    merged_lots = 0
    for accession in db.session.scalars(
        select(Accession).where(Accession.member_id == org.id, Accession.status == "approved")
    ).all():
        framework_id = accession.framework_id
        if (
            db.session.get(FrameworkBeneficiary, (framework_id, successor.id)) is None
            and db.session.get(FrameworkBeneficiary, (framework_id, org.id)) is not None
        ):
            db.session.add(
                FrameworkBeneficiary(framework_id=framework_id, organisation_id=successor.id)
            )
        covered = set(
            db.session.scalars(
                select(AccessionLot.lot_id).where(
                    AccessionLot.member_id == successor.id, AccessionLot.covering.is_(True)
                )
            )
        )
        lots = [link.lot_id for link in accession.lot_links if link.lot_id not in covered]
        if not lots:
            continue
        target = db.session.scalar(
            select(Accession).where(
                Accession.framework_id == framework_id,
                Accession.member_id == successor.id,
                Accession.status == "approved",
            )
        )
        if target is None:
            target = Accession(
                framework_id=framework_id,
                member_id=successor.id,
                order_reference=accession.order_reference,
                status="approved",
                requested_at=now,
                decided_at=now,
                decided_by_id=getattr(actor, "id", None),
            )
            db.session.add(target)
            db.session.flush()
        for lot_id in lots:
            db.session.add(
                AccessionLot(
                    accession_id=target.id, lot_id=lot_id, member_id=successor.id, covering=True
                )
            )
            merged_lots += 1
    org.succeeded_by_id = successor.id
    org.succeeded_on = plan.effective_date
    db.session.flush()
    plan.counts["service_plans_ended"] = ended_plans
    plan.counts["service_plans"] = moved_plans
    plan.counts["accession_lots"] = merged_lots
    counts = {k: int(v) for k, v in sorted(plan.counts.items())}
    audit.record(
        "organisation.succeeded",
        org,
        actor=actor,
        successor_id=successor.id,
        effective_date=plan.effective_date,
        code_prefix=prefix or None,
        moved=counts,
        changes={"succeeded_by_id": {"old": None, "new": successor.id}},
    )
    audit.record(
        "organisation.succession_received",
        successor,
        actor=actor,
        predecessor_id=org.id,
        effective_date=plan.effective_date,
        moved=counts,
    )
    return plan
