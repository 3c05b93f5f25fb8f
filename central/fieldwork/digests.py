"""send-digests (SPEC section 4): each user gets one e-mail a day with what changed for them
since their last digest, read from the audit trail and limited to their reach: a provider the
rounds and tasks assigned to it; a member its authority's rounds, tasks, needs, assets,
accessions and statements; a coordinator also what happens under the frameworks it leads.
A user's own actions are left out. Idempotency key: each user's `last_digest_at` (the window
is the time since then), so a second run the same day sends only what is new since the first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from central.accounts.models import Role
from central.core.audit import AuditEvent
from central.core.errors import N_
from central.core.formatting import format_moment
from central.core.jobs import job
from central.core.types import utcnow
from central.fieldwork.models import DigestMark

BATCH_USERS = 500
MAX_LINES = 100
FIRST_WINDOW = timedelta(days=1)  # a user's first digest looks back one day

# Audiences: who an event concerns, per organisation.
MEMBER, PROVIDER, LEAD = "member", "provider", "lead"
ROLE_AUDIENCES = {
    Role.PROVIDER: {PROVIDER},
    Role.MEMBER: {MEMBER},
    Role.COORDINATOR: {MEMBER, LEAD},
}

ACTION_LABELS = {
    "round.started": _l("work started"),
    "round.completed": _l("all tasks done, waiting for acceptance"),
    "round.reopened": _l("back in progress"),
    "round.accepted": _l("accepted"),
    "round.cancelled": _l("cancelled"),
    "round.moved": _l("moved to another day"),
    "round.overdue": _l("overdue"),
    "round.auto_accepted": _l("accepted automatically after 14 days"),
    "task.result_recorded": _l("result recorded"),
    "task.result_corrected": _l("result corrected"),
    "task.contested": _l("contested by the member"),
    "task.cancelled": _l("cancelled"),
    "task.photo_added": _l("photo added"),
    "labour.recorded": _l("labour logged"),
    "labour.replaced": _l("labour corrected"),
    "need.created": _l("new need"),
    "need.updated": _l("need changed"),
    "need.cancelled": _l("need cancelled"),
    "asset.created": _l("asset added"),
    "asset.updated": _l("asset changed"),
    "asset.retired": _l("asset retired"),
    "asset.imported": _l("assets imported"),
    "accession.requested": _l("accession requested"),
    "accession.approved": _l("accession approved"),
    "accession.rejected": _l("accession rejected"),
    "accession.withdrawn": _l("accession withdrawn"),
    "statement.issue": _l("statement issued"),
}
OBJECT_LABELS = {
    "rounds": _l("Round"),
    "tasks": _l("Task"),
    "needs": _l("Need"),
    "assets": _l("Asset"),
    "accessions": _l("Accession"),
    "statements": _l("Statement"),
    "organisations": _l("Organisation"),
}
# System events (jobs) that list the rounds they changed: action → {data key: round action}.
ROUND_LISTS = {
    "rounds.marked": {"overdue": "round.overdue", "auto_accepted": "round.auto_accepted"}
}


def _event_audiences(session: Session, events: list[AuditEvent]) -> dict[tuple[str, int], set]:
    """(object type, id) → {(organisation id, audience)} for the objects of `events`."""
    from central.assets.models import Asset, Need
    from central.frameworks.models import Accession, Framework, Lot
    from central.planning.models import Round, Task

    ids: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.object_id is not None:
            ids[event.object_type].add(event.object_id)
    reach: dict[tuple[str, int], set] = defaultdict(set)

    def rounds(rows: Iterable, kind: str) -> None:
        for object_id, member_id, provider_id, lead_id in rows:
            reach[(kind, object_id)] |= {(member_id, MEMBER), (lead_id, LEAD)}
            if provider_id is not None:
                reach[(kind, object_id)].add((provider_id, PROVIDER))

    round_columns = (Round.member_id, Round.provider_id, Framework.lead_organisation_id)
    if ids["rounds"]:
        rounds(
            session.execute(
                select(Round.id, *round_columns)
                .join(Framework, Framework.id == Round.framework_id)
                .where(Round.id.in_(ids["rounds"]))
            ),
            "rounds",
        )
    if ids["tasks"]:
        rounds(
            session.execute(
                select(Task.id, *round_columns)
                .join(Round, Round.id == Task.round_id)
                .join(Framework, Framework.id == Round.framework_id)
                .where(Task.id.in_(ids["tasks"]))
            ),
            "tasks",
        )
    if ids["needs"]:
        for need_id, member_id, lead_id in session.execute(
            select(Need.id, Need.member_id, Framework.lead_organisation_id)
            .outerjoin(Lot, Lot.id == Need.lot_id)
            .outerjoin(Framework, Framework.id == Lot.framework_id)
            .where(Need.id.in_(ids["needs"]))
        ):
            reach[("needs", need_id)].add((member_id, MEMBER))
            if lead_id is not None:
                reach[("needs", need_id)].add((lead_id, LEAD))
    if ids["assets"]:
        for asset_id, member_id in session.execute(
            select(Asset.id, Asset.member_id).where(Asset.id.in_(ids["assets"]))
        ):
            reach[("assets", asset_id)].add((member_id, MEMBER))
    if ids["organisations"]:
        # An import is recorded on the member authority itself.
        for org_id in ids["organisations"]:
            reach[("organisations", org_id)].add((org_id, MEMBER))
    if ids["accessions"]:
        for accession_id, member_id, lead_id in session.execute(
            select(Accession.id, Accession.member_id, Framework.lead_organisation_id)
            .join(Framework, Framework.id == Accession.framework_id)
            .where(Accession.id.in_(ids["accessions"]))
        ):
            reach[("accessions", accession_id)] |= {(member_id, MEMBER), (lead_id, LEAD)}
    if ids["statements"]:
        from central.reports.models import Statement

        for statement_id, member_id, lead_id in session.execute(
            select(Statement.id, Statement.member_id, Framework.lead_organisation_id)
            .join(Framework, Framework.id == Statement.framework_id)
            .where(Statement.id.in_(ids["statements"]))
        ):
            reach[("statements", statement_id)] |= {(member_id, MEMBER), (lead_id, LEAD)}
    return reach


def _expand(events: list[AuditEvent]) -> list[tuple[Any, int | None, str, str, int, Any]]:
    """Events as (time, actor, action, object type, object id, data); a job's round lists
    become one entry per round."""
    entries = []
    for event in events:
        lists = ROUND_LISTS.get(event.action)
        if lists:
            for key, action in lists.items():
                for round_id in (event.data or {}).get(key) or []:
                    entries.append((event.created_at, None, action, "rounds", round_id, {}))
        elif event.object_type in OBJECT_LABELS and event.action in ACTION_LABELS:
            entries.append(
                (
                    event.created_at,
                    event.actor_id,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.data or {},
                )
            )
    return entries


def _line(entry) -> str:
    moment, _actor, action, object_type, object_id, data = entry
    local = format_moment(moment)
    what = f"{OBJECT_LABELS[object_type]} {object_id}"
    detail = str(ACTION_LABELS.get(action, action))
    if action.startswith("task.result") and data.get("result"):
        detail += f" ({data['result']})"
    return f"- {local} · {what}: {detail}"


def _compose(lines: list[str], since) -> tuple[str, str]:
    shown = lines[:MAX_LINES]
    body = [
        _(
            "What changed in Central since %(since)s (times in Brussels):",
            since=format_moment(since),
        ),
        "",
        *shown,
    ]
    if len(lines) > MAX_LINES:
        body += [
            "",
            _("… and %(count)d more changes. See them in Central.", count=len(lines) - MAX_LINES),
        ]
    return _("Central: %(count)d changes for you", count=len(lines)), "\n".join(body)


@job(
    "send-digests",
    order=6,
    description=_l("E-mails each user what changed for them since their last digest."),
    cron={"hour": 7, "minute": 0},
    label=N_("Daily 07:00"),
    grace=3 * 3600,
)
def send_digests(session: Session, today: date) -> dict[str, Any]:
    """E-mail each active user what changed for them since their last digest."""
    from central.accounts.models import User
    from central.core.mail import queue_mail

    now = utcnow()
    people = session.execute(
        select(User.id, User.email, User.role, User.organisation_id, User.locale, DigestMark)
        .outerjoin(DigestMark, DigestMark.user_id == User.id)
        .where(
            User.active.is_(True),
            User.organisation_id.is_not(None),
            User.role.in_(list(ROLE_AUDIENCES)),
        )
        .order_by(User.id)
    ).all()
    counts = {"users": len(people), "digests_sent": 0, "changes": 0}
    if not people:
        return counts
    starts = {
        p.id: (p.DigestMark.last_digest_at if p.DigestMark else now - FIRST_WINDOW) for p in people
    }
    earliest = min(starts.values())
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.created_at > earliest,
                AuditEvent.created_at <= now,
                or_(
                    AuditEvent.object_type.in_(list(OBJECT_LABELS)),
                    and_(
                        AuditEvent.object_type == "system", AuditEvent.action.in_(list(ROUND_LISTS))
                    ),
                ),
            )
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )
    entries = _expand(events)
    reach = _event_audiences(
        session,
        [AuditEvent(object_type=e[3], object_id=e[4], action=e[2]) for e in entries],
    )
    by_audience: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        for audience in reach.get((entry[3], entry[4]), ()):
            by_audience[audience].append(index)
    for start in range(0, len(people), BATCH_USERS):
        for person in people[start : start + BATCH_USERS]:
            since = starts[person.id]
            indices = {
                index
                for audience in ROLE_AUDIENCES[person.role]
                for index in by_audience.get((person.organisation_id, audience), [])
            }
            mine = [
                entries[index]
                for index in sorted(indices)
                if entries[index][0] > since and entries[index][1] != person.id
            ]
            if mine:
                with force_locale(person.locale or "nl"):
                    subject, body = _compose([_line(entry) for entry in mine], since)
                queue_mail(person.email, subject, body)
                counts["digests_sent"] += 1
                counts["changes"] += len(mine)
            if person.DigestMark is None:
                session.add(DigestMark(user_id=person.id, last_digest_at=now))
            else:
                person.DigestMark.last_digest_at = now
        session.commit()  # the batch's marks; its mails go out after this commit
    return counts
