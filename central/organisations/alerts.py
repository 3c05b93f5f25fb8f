"""SPEC 7.2: the lead coordinator is alerted 60 days before a recognition that an award relies on
expires (an award of a reserved lot, made on a recognised status, in a running framework). Run
by framework-status each night; once per recognition (`expiry_alerted_at`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.accounts.models import Role
from central.core.formatting import format_day
from central.core.mail import queue_mail
from central.core.types import utcnow
from central.organisations.models import RECOGNISED_SOCIAL_ECONOMY, Organisation, Recognition

ALERT_DAYS = 60


def alert_expiring_recognitions(session: Session, today: date) -> dict[str, Any]:
    """Mail the lead coordinators of each running framework with an award that relies on a
    recognition ending within 60 days (and not followed by another the same day). Idempotent."""
    from central.frameworks.models import Award, Framework, Lot
    from central.frameworks.notifications import recipients

    horizon = today + timedelta(days=ALERT_DAYS)
    expiring = session.scalars(
        select(Recognition).where(
            Recognition.valid_until.is_not(None),
            Recognition.valid_until >= today,
            Recognition.valid_until <= horizon,
            Recognition.expiry_alerted_at.is_(None),
        )
    ).all()
    by_framework: dict[int, list[tuple[Organisation, Recognition]]] = defaultdict(list)
    alerted = []
    for recognition in expiring:
        provider = recognition.organisation
        # A recognition that continues the next day (another one) leaves nothing to alert.
        if provider.is_recognised_on(recognition.valid_until + timedelta(days=1)):
            continue
        frameworks = session.scalars(
            select(Framework.id)
            .join(Lot, Lot.framework_id == Framework.id)
            .join(Award, Award.lot_id == Lot.id)
            .where(
                Award.provider_id == provider.id,
                Award.social_economy_status.in_(sorted(RECOGNISED_SOCIAL_ECONOMY)),
                or_(Lot.reserved.is_(True), Framework.reserved.is_(True)),
                Framework.status.in_(["active", "exhausted"]),
            )
            .distinct()
        ).all()
        if not frameworks:
            continue
        alerted.append(recognition)
        for framework_id in frameworks:
            by_framework[framework_id].append((provider, recognition))
    for framework_id, items in sorted(by_framework.items()):
        framework = session.get(Framework, framework_id)
        for email, locale in recipients(framework.lead_organisation_id, [Role.COORDINATOR]):
            with force_locale(locale):
                lines = [
                    _(
                        "%(provider)s: recognition %(number)s ends on %(day)s.",
                        provider=provider.name,
                        number=recognition.number or "—",
                        day=format_day(recognition.valid_until),
                    )
                    for provider, recognition in items
                ]
                subject = _(
                    "Social-economy recognitions ending soon: %(framework)s",
                    framework=framework.reference,
                )
                body = (
                    _(
                        "Reserved lots of %(framework)s rely on these recognitions. Without a new "
                        "recognition the provider gets no reserved work after its end.",
                        framework=framework.reference,
                    )
                    + "\n\n"
                    + "\n".join(lines)
                )
            queue_mail(email, subject, body)
    now = utcnow()
    for recognition in alerted:
        recognition.expiry_alerted_at = now
    session.flush()
    return {"recognitions_expiring": len(alerted)} if alerted else {}
