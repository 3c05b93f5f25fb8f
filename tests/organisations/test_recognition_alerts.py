"""SPEC 7.2: the lead coordinator is alerted 60 days before a recognition an award relies on
expires, once; not for one that a next recognition continues, nor one no award relies on."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from central.core.clock import frozen_today
from central.core.mail import OutgoingMail
from central.extensions import db
from central.organisations.models import Recognition
from central.planning.jobs import framework_status
from tests.factories import make_active_framework, make_org, make_user, recognise

TODAY = date(2026, 3, 4)


def _setup(until: date, *, reserved: bool = True):
    lead = make_org("authority")
    coordinator = make_user("coordinator", lead)
    provider = make_org("provider", name="Groep Intro")
    recognition = recognise(provider, "lde", date(2020, 1, 1), until, number="LDE-2020-7")
    with frozen_today(TODAY):  # the award keeps the status of its day
        framework = make_active_framework(lead, providers=[provider])
    framework.lots[0].reserved = reserved
    db.session.commit()
    return coordinator, provider, recognition


def mails():
    return db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()


def test_a_recognition_an_award_relies_on_is_reported_60_days_ahead_once(db):
    coordinator, _provider, recognition = _setup(TODAY + timedelta(days=60))
    counts = framework_status(db.session, TODAY)
    assert counts["recognitions_expiring"] == 1
    (mail,) = mails()
    assert mail.recipient == coordinator.email
    assert "LDE-2020-7" in mail.body and "Groep Intro" in mail.body
    assert db.session.get(Recognition, recognition.id).expiry_alerted_at is not None
    assert "recognitions_expiring" not in framework_status(db.session, TODAY)
    assert len(mails()) == 1


def test_no_alert_further_ahead_nor_when_a_next_recognition_continues_nor_without_reliance(db):
    _setup(TODAY + timedelta(days=61))
    _c, provider, recognition = _setup(TODAY + timedelta(days=10))
    recognise(provider, "lde", recognition.valid_until + timedelta(days=1), number="LDE-2026-1")
    _setup(TODAY + timedelta(days=10), reserved=False)
    db.session.commit()
    assert "recognitions_expiring" not in framework_status(db.session, TODAY)
    assert mails() == []
