"""The mail outbox: queued in the transaction, sent after the commit, retried by `send-mail`."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from central.core import mail
from central.core.audit import AuditEvent
from central.core.mail import MailStatus, OutgoingMail, queue_mail, send_pending_mail
from central.core.types import utcnow
from central.extensions import db
from tests.conftest import _free_port

TODAY = date(2026, 3, 2)


def outbox() -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


@pytest.fixture
def smtp_down(app, monkeypatch):
    """MAIL_SERVER points at a port where nothing listens: every attempt fails at once."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())


def later(monkeypatch, delta: timedelta) -> None:
    """Move the outbox's clock `delta` from now."""
    moment = utcnow() + delta
    monkeypatch.setattr(mail, "utcnow", lambda: moment)


def test_a_queued_mail_is_sent_once_the_change_commits(db, smtp_server):
    queue_mail("member@example.be", "Round planned", "Your round is planned.")
    db.session.flush()
    assert smtp_server.messages == []  # nothing before the commit
    db.session.commit()
    [message] = smtp_server.messages
    assert message["To"] == "member@example.be" and message["Subject"] == "Round planned"
    [row] = outbox()
    assert row.status == MailStatus.SENT and row.attempts == 1 and row.sent_at is not None


def test_a_rolled_back_change_leaves_no_mail(db, smtp_server):
    db.session.begin_nested()
    queue_mail("member@example.be", "Round planned", "Your round is planned.")
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == [] and outbox() == []


def test_a_mail_that_fails_stays_pending_and_the_job_sends_it_later(
    db, app, smtp_down, monkeypatch
):
    queue_mail("member@example.be", "Overdue", "Round 7 is overdue.")
    db.session.commit()  # the change commits although the mail cannot be sent
    [row] = outbox()
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at - utcnow() > timedelta(minutes=4)  # the first retry in 5 minutes
    # Not yet due: the job leaves it alone.
    assert send_pending_mail(db.session, TODAY)["retry_later"] == 0
    # The server is back; six minutes later the job sends it.
    from aiosmtpd.controller import Controller

    from tests.conftest import SmtpInbox

    inbox = SmtpInbox(host="127.0.0.1", port=app.config["MAIL_PORT"])
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        later(monkeypatch, timedelta(minutes=6))
        counts = send_pending_mail(db.session, TODAY)
    finally:
        controller.stop()
    assert counts["sent"] == 1
    assert [m["Subject"] for m in inbox.messages] == ["Overdue"]
    [row] = outbox()
    assert row.status == MailStatus.SENT and row.attempts == 2
    # Sent is sent: the next run sends nothing again.
    assert send_pending_mail(db.session, TODAY)["sent"] == 0


def test_retries_wait_longer_each_time_and_give_up_after_the_last_attempt(
    db, smtp_down, monkeypatch
):
    queue_mail("member@example.be", "Overdue", "Round 7 is overdue.")
    db.session.commit()
    waits = []
    step = timedelta(0)
    for _ in range(mail.MAX_ATTEMPTS - 1):
        [row] = outbox()
        step = row.next_attempt_at - utcnow() + timedelta(seconds=1)
        waits.append(row.next_attempt_at - mail.utcnow())
        later(monkeypatch, step)
        send_pending_mail(db.session, TODAY)
    [row] = outbox()
    assert row.status == MailStatus.FAILED and row.attempts == mail.MAX_ATTEMPTS
    assert waits[1] > waits[0]  # backing off
    assert max(waits) <= mail.LONGEST_RETRY
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.failed")).all()
    assert [e.data["mail_id"] for e in failed] == [row.id]
    # A failed mail is not tried again.
    later(monkeypatch, step + timedelta(days=1))
    assert send_pending_mail(db.session, TODAY)["failed"] == 0


def test_without_a_mail_server_the_mail_is_logged(db, app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    caplog.set_level(logging.INFO, logger="central.core.mail")
    queue_mail("member@example.be", "Round planned", "Body of the mail")
    db.session.commit()
    [row] = outbox()
    assert row.status == MailStatus.LOGGED
    assert "Body of the mail" in caplog.text


def test_the_job_deletes_sent_mails_after_thirty_days_and_keeps_the_others(
    db, smtp_down, monkeypatch
):
    queue_mail("a@example.be", "Pending", "still to send")
    db.session.commit()

    def old(subject: str, status: MailStatus, days: int) -> OutgoingMail:
        created = utcnow() - timedelta(days=days)
        return OutgoingMail(
            recipient="b@example.be",
            subject=subject,
            body="-",
            status=status,
            attempts=1,
            created_at=created,
            next_attempt_at=created,
        )

    db.session.add_all([old("Sent", MailStatus.SENT, 31), old("Failed", MailStatus.FAILED, 40)])
    db.session.commit()
    assert send_pending_mail(db.session, TODAY)["purged"] == 1
    assert [m.subject for m in outbox()] == ["Pending", "Failed"]


def test_a_mail_already_sent_is_not_sent_again_by_a_late_commit_hook(db, smtp_server):
    mail_id = queue_mail("member@example.be", "Once", "only once")
    db.session.commit()
    assert mail.deliver(db.session.get_bind(), [mail_id]) == {
        "sent": 0,
        "logged": 0,
        "retry_later": 0,
        "failed": 0,
    }
    assert len(smtp_server.messages) == 1


def test_send_mail_is_a_registered_and_scheduled_job(app):
    from central.jobs.registry import get_job
    from central.jobs.scheduler import slot_for

    assert get_job("send-mail").fn is send_pending_mail
    assert slot_for("send-mail").jobs == ("send-mail",)


def test_the_outbox_holds_one_row_per_recipient(db, smtp_server):
    for to in ("a@example.be", "b@example.be"):
        queue_mail(to, "Same", "same body")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 2
    assert sorted(m["To"] for m in smtp_server.messages) == ["a@example.be", "b@example.be"]


def test_two_senders_that_see_the_same_pending_mail_send_it_once(db, smtp_down):
    """The after-commit delivery and the job may both read a pending mail: the one that takes it
    first sends it; the other skips it."""
    queue_mail("member@example.be", "Once", "only once")
    db.session.commit()
    conn = db.session.connection()
    [seen_by_one] = mail._pending(conn, [])
    [seen_by_other] = mail._pending(conn, [])
    assert mail._claim(conn, seen_by_one, utcnow()) is True
    assert mail._claim(conn, seen_by_other, utcnow()) is False


def test_a_database_outage_logs_one_warning_per_failed_delivery_not_a_traceback(
    db, smtp_server, monkeypatch, caplog
):
    from sqlalchemy.exc import OperationalError

    def database_gone(_bind, _ids):
        raise OperationalError(
            "SELECT outgoing_mails", {}, Exception("connection refused\nIs the server running?")
        )

    monkeypatch.setattr(mail, "deliver", database_gone)
    queue_mail("member@example.be", "Round planned", "Your round is planned.")
    with caplog.at_level(logging.INFO, logger="central.core.mail"):
        db.session.commit()
    [record] = [r for r in caplog.records if r.name == "central.core.mail"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "database is unavailable" in record.getMessage()
    [row] = outbox()
    assert row.status == MailStatus.PENDING  # the job sends it once the database is back
    assert smtp_server.messages == []
