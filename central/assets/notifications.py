"""E-mail about assets' service status (SPEC 7.4), through the outbox: going out of service or
back in service is told at once to the fire zone and the water company that the member names
(their viewers, or the organisation's own address)."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from central.accounts.models import Role
from central.core.mail import queue_mail
from central.extensions import db
from central.frameworks.notifications import recipients
from central.organisations.models import Organisation

VIEWER_ROLES = [Role.VIEWER]


def service_status_changed(asset, change) -> None:
    """Tell the member's fire zone and water company that a hydrant went out of service or came
    back; the mail is sent once the change commits."""
    member = db.session.get(Organisation, asset.member_id)
    if member is None:
        return
    out = change.to_status == "out_of_service"

    def compose():
        place = f"{asset.code} · {asset.address}"
        if out:
            subject = _("Out of service: %(place)s", place=place)
            body = _(
                "Hydrant %(place)s of %(member)s is out of service since %(when)s.",
                place=place,
                member=member.name,
                when=change.changed_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        else:
            subject = _("Back in service: %(place)s", place=place)
            body = _(
                "Hydrant %(place)s of %(member)s is in service again since %(when)s.",
                place=place,
                member=member.name,
                when=change.changed_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        location = _("Location: %(lat).6f, %(lon).6f", lat=asset.lat, lon=asset.lon)
        return subject, f"{body}\n{location}"

    sent: set[str] = set()
    for organisation_id in (member.fire_zone_id, member.water_company_id):
        if organisation_id is None:
            continue
        for email, locale in recipients(organisation_id, VIEWER_ROLES):
            if email in sent:
                continue
            sent.add(email)
            with force_locale(locale):
                subject, body = compose()
            queue_mail(email, subject, body)
