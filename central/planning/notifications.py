"""E-mail about rounds, through the outbox (`central.core.mail`): written in the job's
transaction, sent after its commit. Providers hear of rounds assigned to them, members of their
rounds' weeks, both of overdue and auto-accepted rounds. A mail that cannot be sent is retried by
`send-mail`; it never rolls back the job."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from central.accounts.models import Role
from central.core.formatting import format_day
from central.core.mail import queue_mail
from central.frameworks.notifications import recipients


def _send(organisation_id: int, roles: list[str], compose) -> None:
    for email, locale in recipients(organisation_id, roles):
        with force_locale(locale):
            subject, body = compose()
        queue_mail(email, subject, body)


def _weeks(days: Iterable[date]) -> str:
    return ", ".join(format_day(day) for day in sorted(set(days)))


def rounds_assigned(changes: list[dict[str, Any]]) -> None:
    """Tell each provider which new rounds it has, and each member when its rounds are planned."""
    by_provider: dict[int, list[dict]] = defaultdict(list)
    by_member: dict[int, list[dict]] = defaultdict(list)
    for change in changes:
        by_provider[change["pid"]].append(change)
        by_member[change["mid"]].append(change)
    for provider_id, rounds in by_provider.items():

        def compose(rounds=rounds):
            return (
                _("New rounds: %(count)d", count=len(rounds)),
                _(
                    "%(count)d new rounds are assigned to you, in the weeks of %(weeks)s. "
                    "You find them in Central, in route order.",
                    count=len(rounds),
                    weeks=_weeks(r["week"] for r in rounds),
                ),
            )

        _send(provider_id, [Role.PROVIDER], compose)
    for member_id, rounds in by_member.items():

        def compose(rounds=rounds):
            return (
                _("Rounds planned: %(count)d", count=len(rounds)),
                _(
                    "%(count)d of your rounds are planned, in the weeks of %(weeks)s.",
                    count=len(rounds),
                    weeks=_weeks(r["week"] for r in rounds),
                ),
            )

        _send(member_id, [Role.MEMBER, Role.COORDINATOR], compose)


def _by(rows, attribute: str) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        key = getattr(row, attribute)
        if key is not None:
            grouped[key].append(row)
    return grouped


def rounds_overdue(rows) -> None:
    """Tell providers and members which rounds are now past their due date with open tasks."""
    for organisation_id, roles, group in (
        *((k, [Role.PROVIDER], v) for k, v in _by(rows, "provider_id").items()),
        *((k, [Role.MEMBER, Role.COORDINATOR], v) for k, v in _by(rows, "member_id").items()),
    ):

        def compose(group=group):
            return (
                _("Overdue rounds: %(count)d", count=len(group)),
                _(
                    "These rounds are past their due date and still have open tasks: %(rounds)s.",
                    rounds=", ".join(f"#{row.id} ({format_day(row.due_date)})" for row in group),
                ),
            )

        _send(organisation_id, roles, compose)


def rounds_auto_accepted(rows) -> None:
    """Tell providers and members which completed rounds were accepted after 14 days."""
    for organisation_id, roles, group in (
        *((k, [Role.PROVIDER], v) for k, v in _by(rows, "provider_id").items()),
        *((k, [Role.MEMBER, Role.COORDINATOR], v) for k, v in _by(rows, "member_id").items()),
    ):

        def compose(group=group):
            return (
                _("Rounds accepted: %(count)d", count=len(group)),
                _(
                    "These completed rounds were not contested within 14 days and are now "
                    "accepted: %(rounds)s.",
                    rounds=", ".join(f"#{row.id}" for row in group),
                ),
            )

        _send(organisation_id, roles, compose)


def work_cancelled(round_, tasks) -> None:
    """Tell the provider of a round that some of its work is cancelled."""
    if round_.provider_id is None:
        return

    def compose():
        return (
            _("Work cancelled in round %(round)s", round=round_.id),
            _(
                "%(count)d tasks of round %(round)s are cancelled; you need not do them.",
                count=len(tasks),
                round=round_.id,
            ),
        )

    _send(round_.provider_id, [Role.PROVIDER], compose)


def rounds_late(late: list[tuple[int, int, date]], assigned: dict[int, dict[str, Any]]) -> None:
    """Tell the lead coordinators, once per round, which rounds reached their due date
    unassigned, and which of them were now given late to a provider (§7.5)."""
    from central.extensions import db
    from central.frameworks.models import Framework

    by_framework: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for round_id, framework_id, due_date in late:
        by_framework[framework_id].append((round_id, due_date))
    for framework_id, rounds in sorted(by_framework.items()):
        framework = db.session.get(Framework, framework_id)
        if framework is None:
            continue

        def compose(rounds=rounds, framework=framework):
            lines = []
            for round_id, due_date in rounds:
                change = assigned.get(round_id)
                if change is None:
                    lines.append(
                        _(
                            "#%(round)s (due %(due)s): no provider has room yet.",
                            round=round_id,
                            due=format_day(due_date),
                        )
                    )
                else:
                    lines.append(
                        _(
                            "#%(round)s (due %(due)s): given late, for %(day)s.",
                            round=round_id,
                            due=format_day(due_date),
                            day=format_day(change["week"]),
                        )
                    )
            return (
                _("Rounds past their due date unassigned: %(count)d", count=len(rounds)),
                _(
                    "These rounds of %(framework)s reached their due date without a provider; "
                    "each night they are offered to any awarded provider with room.",
                    framework=framework.reference,
                )
                + "\n\n"
                + "\n".join(lines),
            )

        _send(framework.lead_organisation_id, [Role.COORDINATOR], compose)


def rounds_moved_for_closure(provider_id: int, rounds, moved: dict[int, tuple]) -> None:
    """Tell the provider and each member which scheduled rounds a closure moved, and to when."""

    def lines(group) -> str:
        return "\n".join(
            _(
                "#%(round)s: %(old)s → %(new)s",
                round=r.id,
                old=format_day(moved[r.id][0]),
                new=format_day(moved[r.id][1]),
            )
            for r in group
        )

    for organisation_id, roles, group in (
        (provider_id, [Role.PROVIDER], list(rounds)),
        *((k, [Role.MEMBER, Role.COORDINATOR], v) for k, v in _by(rounds, "member_id").items()),
    ):

        def compose(group=group):
            return (
                _("Rounds moved: %(count)d", count=len(group)),
                _(
                    "The provider closed some days; these rounds move to its next open day:",
                )
                + "\n\n"
                + lines(group),
            )

        _send(organisation_id, roles, compose)


def reserved_work_passed_over(rows) -> None:
    """SPEC 7.2: tell the lead coordinators which reserved rounds went down the cascade because
    a higher-ranked provider held no recognition valid on the day (once: the round is then
    assigned)."""
    from central.extensions import db
    from central.frameworks.models import Framework
    from central.organisations.models import Organisation

    by_framework: dict[int, list] = defaultdict(list)
    for round_id, framework_id, passed_over, choice in rows:
        by_framework[framework_id].append((round_id, passed_over, choice))
    for framework_id, items in sorted(by_framework.items()):
        framework = db.session.get(Framework, framework_id)
        if framework is None:
            continue

        def compose(items=items, framework=framework):
            lines = []
            for round_id, passed_over, (provider_id, day) in items:
                skipped = ", ".join(
                    sorted({db.session.get(Organisation, p).name for p, _day in passed_over})
                )
                lines.append(
                    _(
                        "#%(round)s on %(day)s: to %(provider)s; not recognised that day: "
                        "%(skipped)s.",
                        round=round_id,
                        day=format_day(day),
                        provider=db.session.get(Organisation, provider_id).name,
                        skipped=skipped,
                    )
                )
            return (
                _("Reserved work down the cascade: %(framework)s", framework=framework.reference),
                _(
                    "These reserved rounds went to the next provider: a provider ranked higher "
                    "held no social-economy recognition valid on the day."
                )
                + "\n\n"
                + "\n".join(lines),
            )

        _send(framework.lead_organisation_id, [Role.COORDINATOR], compose)
