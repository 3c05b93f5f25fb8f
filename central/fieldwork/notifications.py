"""E-mail about field work, sent only after the change is committed (the frameworks outbox):
members hear of defects and of rounds ready for acceptance, providers of contests and of
accepted rounds. A mail that cannot be sent is logged; it never undoes the change."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from central.accounts.models import Role
from central.core.mail import queue_mail
from central.frameworks.notifications import recipients

MEMBER_ROLES = [Role.MEMBER, Role.COORDINATOR]
PROVIDER_ROLES = [Role.PROVIDER]


def _send(organisation_id: int | None, roles: list[str], compose) -> None:
    if organisation_id is None:
        return
    for email, locale in recipients(organisation_id, roles):
        with force_locale(locale):
            subject, body = compose()
        queue_mail(email, subject, body)


def _place(task) -> str:
    if task.asset is not None:
        return f"{task.asset.code} · {task.asset.address}"
    if task.need is not None:
        return task.need.place
    return f"#{task.id}"


def defect_need_raised(task, need) -> None:
    """Tell the member that a task's result raised a follow-up need."""

    def compose():
        return (
            _("Defect found: %(place)s", place=_place(task)),
            _(
                "The crew found a defect at %(place)s (round %(round)s, task %(task)s).\n\n"
                "%(description)s\n\nA follow-up need (%(need)s) is in your list of needs.",
                place=_place(task),
                round=task.round_id,
                task=task.id,
                description=need.description,
                need=need.id,
            ),
        )

    _send(task.round.member_id, MEMBER_ROLES, compose)


def round_completed(round_) -> None:
    """Tell the member that a round is done and waits for its acceptance."""

    def compose():
        return (
            _("Round %(round)s is done: please accept it", round=round_.id),
            _(
                "Every task of round %(round)s is done. Check the results and accept the round, "
                "or contest a task with a reason. Without a contest it is accepted automatically "
                "after 14 days.",
                round=round_.id,
            ),
        )

    _send(round_.member_id, MEMBER_ROLES, compose)


def task_contested(task, reason: str) -> None:
    """Tell the provider that the member contests a task, and why."""

    def compose():
        return (
            _("Task contested: %(place)s", place=_place(task)),
            _(
                "The member contests task %(task)s at %(place)s (round %(round)s).\n\n"
                "Reason: %(reason)s\n\nPlease redo the task and record its result again.",
                task=task.id,
                place=_place(task),
                round=task.round_id,
                reason=reason,
            ),
        )

    _send(task.round.provider_id, PROVIDER_ROLES, compose)


def round_accepted(round_) -> None:
    """Tell the provider that the member accepted a round."""

    def compose():
        return (
            _("Round %(round)s accepted", round=round_.id),
            _(
                "The member accepted round %(round)s. Its work is billed this month.",
                round=round_.id,
            ),
        )

    _send(round_.provider_id, PROVIDER_ROLES, compose)
