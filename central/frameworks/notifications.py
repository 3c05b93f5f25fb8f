"""E-mail about frameworks and accessions, through the outbox (`central.core.mail`): a message
is written in the transaction of the change and sent once it commits, so that nobody is told of
a change that did not happen and no message of a committed change is lost.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from central.accounts.models import Role
from central.core.mail import queue_mail
from central.extensions import db


def recipients(organisation_id: int, roles: Iterable[str]) -> list[tuple[str, str]]:
    """(e-mail, locale) of the active users of an organisation with one of `roles`; the
    organisation's own address when it has no such user."""
    from central.accounts.models import User
    from central.organisations.models import Organisation

    rows = db.session.execute(
        select(User.email, User.locale)
        .where(
            User.organisation_id == organisation_id,
            User.role.in_(list(roles)),
            User.active.is_(True),
        )
        .order_by(User.email)
    ).all()
    found = [(email, locale or "nl") for email, locale in rows]
    if not found:
        org = db.session.get(Organisation, organisation_id)
        if org is not None and org.email:
            found = [(org.email, "nl")]
    return found


def _send_each(people: list[tuple[str, str]], compose) -> None:
    for email, locale in people:
        with force_locale(locale):
            subject, body = compose()
        queue_mail(email, subject, body)


def accession_requested(accession) -> None:
    """Tell the lead authority's coordinators that a member asks to accede."""
    framework = accession.framework

    def compose():
        return (
            _("Accession requested: %(reference)s", reference=framework.reference),
            _(
                "%(member)s asks to accede to %(reference)s %(title)s for lots %(lots)s "
                "(order reference %(order)s).\n\nApprove or reject it in Central.",
                member=accession.member.name,
                reference=framework.reference,
                title=framework.title,
                lots=", ".join(str(lot.number) for lot in accession.lots),
                order=accession.order_reference,
            ),
        )

    _send_each(recipients(framework.lead_organisation_id, [Role.COORDINATOR]), compose)


def accession_decided(accession) -> None:
    """Tell the member that its accession was approved or rejected."""
    framework = accession.framework

    def compose():
        if accession.status == "approved":
            return (
                _("Accession approved: %(reference)s", reference=framework.reference),
                _(
                    "Your accession to %(reference)s %(title)s is approved. "
                    "Work can now be planned for lots %(lots)s.",
                    reference=framework.reference,
                    title=framework.title,
                    lots=", ".join(str(lot.number) for lot in accession.lots),
                ),
            )
        return (
            _("Accession rejected: %(reference)s", reference=framework.reference),
            _(
                "Your accession to %(reference)s %(title)s is rejected.\n\nReason: %(reason)s",
                reference=framework.reference,
                title=framework.title,
                reason=accession.reason,
            ),
        )

    _send_each(recipients(accession.member_id, [Role.MEMBER, Role.COORDINATOR]), compose)


def accession_withdrawn(accession) -> None:
    """Tell the lead authority's coordinators that a member withdrew its accession."""
    framework = accession.framework

    def compose():
        return (
            _("Accession withdrawn: %(reference)s", reference=framework.reference),
            _(
                "%(member)s withdrew its accession to %(reference)s %(title)s.",
                member=accession.member.name,
                reference=framework.reference,
                title=framework.title,
            ),
        )

    _send_each(recipients(framework.lead_organisation_id, [Role.COORDINATOR]), compose)


def threshold_reached(alert) -> None:
    """Warn the lead authority's coordinators that spend reached 80, 90 or 100 % of a maximum."""
    framework = alert.framework

    def compose():
        scope = (
            _(
                "lot %(number)s of %(reference)s",
                number=alert.lot.number,
                reference=framework.reference,
            )
            if alert.lot is not None
            else framework.reference
        )
        if alert.threshold == 100 and alert.committed_value < alert.max_value:
            # Raised by planning: the next round would cross the maximum.
            return (
                _("%(scope)s: the next round does not fit under the maximum", scope=scope),
                _(
                    "Committed value of %(scope)s is %(committed)s EUR of a maximum of "
                    "%(maximum)s EUR (excl. VAT). The next planned round would cross the maximum, "
                    "so no new rounds are created until room is freed.",
                    scope=scope,
                    committed=alert.committed_value,
                    maximum=alert.max_value,
                ),
            )
        return (
            _(
                "%(scope)s: %(threshold)s%% of the maximum committed",
                scope=scope,
                threshold=alert.threshold,
            ),
            _(
                "Committed value of %(scope)s is %(committed)s EUR of a maximum of %(maximum)s EUR "
                "(excl. VAT). At 100%% no new rounds are created.",
                scope=scope,
                committed=alert.committed_value,
                maximum=alert.max_value,
            ),
        )

    _send_each(recipients(framework.lead_organisation_id, [Role.COORDINATOR]), compose)
