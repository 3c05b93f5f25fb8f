"""Outgoing e-mail over SMTP (MAIL_* settings), through an outbox in the database.

`queue_mail` writes the message into `outgoing_mails` in the caller's transaction: a change that
rolls back sends nothing, and a change that commits cannot lose its mail. Right after the commit
the message is sent; one that fails (the SMTP server down, a timeout) stays pending and the
`send-mail` job tries it again with a growing delay, until it is sent or, after
`MAX_ATTEMPTS`, marked failed (logged and audited). Without MAIL_SERVER a message is written to
the log and marked `logged`. A failed mail never rolls back the change that queued it.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Index, String, Text, delete, event, insert, select, text, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Mapped, Session, mapped_column

from central.core.errors import N_
from central.core.jobs import job
from central.core.types import UTCDateTime, enum_check, enum_column_type, utcnow
from central.extensions import db

log = logging.getLogger(__name__)

# The errors of a database that cannot be reached (restarting, gone, every connection busy).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)

OUTBOX = "mail_outbox"  # session.info key: ids of the mails queued in the open transaction
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
# A queued mail is left to its committing request for this long before the job may retry it.
IMMEDIATE_GRACE = timedelta(minutes=2)
# A sender takes a mail for this long before its SMTP exchange; another sender skips it meanwhile
# (and takes it over after, should the first have died).
CLAIM = timedelta(minutes=15)
KEEP_SENT = timedelta(days=30)  # sent and logged mails (their bodies) are deleted after this
BATCH = 200  # mails per run of the job
COUNTS = ("sent", "logged", "retry_later", "failed")  # what became of the mails tried


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    LOGGED = "logged"  # no MAIL_SERVER: written to the log
    FAILED = "failed"  # given up after MAX_ATTEMPTS


class OutgoingMail(db.Model):
    """One message to one recipient, kept until it is sent (and for KEEP_SENT after)."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (
        enum_check("status", MailStatus, "status_allowed"),
        # The job reads the pending mails whose next attempt is due.
        Index(
            "ix_outgoing_mails_pending_next_attempt",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outgoing_mails_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(enum_column_type(MailStatus), default=MailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class MailResult(NamedTuple):
    """What became of one message; true when it was handed to the SMTP server."""

    sent: bool
    error: str | None = None

    def __bool__(self) -> bool:
        return self.sent


def send_mail(to: str | list[str], subject: str, body: str) -> MailResult:
    """Send a plain-text mail now; on failure log it and return the error (never raises)."""
    cfg = current_app.config
    recipients = [to] if isinstance(to, str) else list(to)
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg.set_content(body)
    if not cfg.get("MAIL_SERVER"):
        log.info("Mail not sent (no MAIL_SERVER) to %s: %s\n%s", recipients, subject, body)
        return MailResult(False, "no MAIL_SERVER")
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as error:
        log.exception("Mail to %s failed: %s", recipients, subject)
        return MailResult(False, f"{type(error).__name__}: {error}"[:1000])
    return MailResult(True)


# --- the outbox ------------------------------------------------------------------------------


def queue_mail(to: str, subject: str, body: str, session: Session | None = None) -> int:
    """Write a mail into the outbox in the current transaction; it is sent after the commit.
    Returns its id."""
    session = session if session is not None else db.session
    now = utcnow()
    mail_id = session.execute(
        insert(OutgoingMail.__table__).returning(OutgoingMail.__table__.c.id),
        {
            "recipient": to,
            "subject": subject[:255],
            "body": body,
            "status": MailStatus.PENDING.value,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now + IMMEDIATE_GRACE,
        },
    ).scalar_one()
    session.info.setdefault(OUTBOX, []).append(mail_id)
    return mail_id


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    # Also called when a savepoint is released: only the outermost commit makes it real.
    if session.in_nested_transaction():
        return
    ids = session.info.pop(OUTBOX, None)
    if not ids or not has_app_context():
        return
    # The change is committed either way; the send-mail job retries what was not sent.
    try:
        deliver(session.get_bind(), ids)
    except DATABASE_UNAVAILABLE as exc:
        # An outage is expected and already answered elsewhere: one line, no traceback.
        log.warning(
            "Mails %s not delivered after the commit: the database is unavailable (%s); "
            "send-mail retries them",
            ids,
            str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200],
        )
    except Exception:
        log.exception("Could not deliver mails %s right after the commit", ids)


@event.listens_for(Session, "after_soft_rollback")
def _drop_outbox(session: Session, previous_transaction) -> None:
    # A rollback of the whole transaction takes the queued rows with it.
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(OUTBOX, None)


def _retry_delay(attempts: int) -> timedelta:
    """5 minutes after the first failure, doubling, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _pending(conn: Connection, where: Sequence[Any], limit: int | None = None) -> list[Any]:
    table = OutgoingMail.__table__
    stmt = (
        select(
            table.c.id,
            table.c.recipient,
            table.c.subject,
            table.c.body,
            table.c.attempts,
            table.c.next_attempt_at,
        )
        .where(table.c.status == MailStatus.PENDING.value, *where)
        .order_by(table.c.id)
        .limit(limit)
    )
    return list(conn.execute(stmt).all())


def _claim(conn: Connection, row: Any, now: datetime) -> bool:
    """Take a pending mail before sending it: a conditional UPDATE that succeeds for one sender
    only (the after-commit delivery and the job never both send it)."""
    table = OutgoingMail.__table__
    taken = conn.execute(
        update(table)
        .where(
            table.c.id == row.id,
            table.c.status == MailStatus.PENDING.value,
            table.c.next_attempt_at == row.next_attempt_at,
        )
        .values(next_attempt_at=now + CLAIM)
    )
    return taken.rowcount == 1


def _attempt(row: Any, now: datetime) -> tuple[dict[str, Any], str | None]:
    """Send one outbox row; the values to store and, when it is given up, the reason."""
    if not current_app.config.get("MAIL_SERVER"):
        send_mail(row.recipient, row.subject, row.body)  # written to the log
        return {"status": MailStatus.LOGGED.value, "sent_at": now, "last_error": None}, None
    result = send_mail(row.recipient, row.subject, row.body)
    attempts = row.attempts + 1
    if result:
        return {"status": MailStatus.SENT.value, "attempts": attempts, "sent_at": now}, None
    error = getattr(result, "error", None) or "not sent"
    values = {"attempts": attempts, "last_error": error}
    if attempts >= MAX_ATTEMPTS:
        return values | {"status": MailStatus.FAILED.value}, error
    return values | {"next_attempt_at": now + _retry_delay(attempts)}, None


def _store(conn: Connection, mail_id: int, values: dict[str, Any]) -> None:
    table = OutgoingMail.__table__
    conn.execute(
        update(table)
        .where(table.c.id == mail_id, table.c.status == MailStatus.PENDING.value)
        .values(**values)
    )


def deliver(bind: Any, ids: Iterable[int]) -> dict[str, int]:
    """Send the pending mails `ids` now, each in a short transaction of its own after the SMTP
    exchange. `bind` is the engine (or, for a session bound to a connection of the caller's,
    that connection). Mails that are no longer pending (sent by the job, or rolled back to a
    savepoint) are skipped."""
    ids = list(ids)
    table = OutgoingMail.__table__
    counts = dict.fromkeys(COUNTS, 0)
    with _transaction(bind) as conn:
        rows = _pending(conn, [table.c.id.in_(ids)])
    for row in rows:
        with _transaction(bind) as conn:
            taken = _claim(conn, row, utcnow())
        if not taken:
            continue  # another sender has it
        values, gave_up = _attempt(row, utcnow())
        with _transaction(bind) as conn:
            _store(conn, row.id, values)
        _count(counts, values, gave_up, row)
    return counts


@contextmanager
def _transaction(bind: Any) -> Iterator[Connection]:
    """A short transaction of its own on the engine; on a connection the caller already holds
    (a session bound to it, as in the tests), that connection as it is."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn


def _count(counts: dict[str, int], values: dict[str, Any], gave_up: str | None, row: Any) -> None:
    status = values.get("status")
    if status == MailStatus.SENT:
        counts["sent"] += 1
    elif status == MailStatus.LOGGED:
        counts["logged"] += 1
    elif gave_up is not None:
        counts["failed"] += 1
        log.error(
            "Gave up on mail %s to %s after %d attempts: %s",
            row.id,
            row.recipient,
            MAX_ATTEMPTS,
            gave_up,
        )
    else:
        counts["retry_later"] += 1


@job(
    "send-mail",
    order=8,
    description=_l(
        "Sends again the e-mails that could not be sent at once; gives up after 8 tries."
    ),
    cron={"minute": "*/10"},
    label=N_("Every 10 minutes"),
    grace=10 * 60,
)
def send_pending_mail(session: Session, today: date) -> dict[str, Any]:
    """The `send-mail` job: try again the pending mails whose next attempt is due, commit each
    outcome at once (a mail is never sent twice for one crash), give up after MAX_ATTEMPTS
    (audited), and delete sent and logged mails older than KEEP_SENT. Works on the real time;
    `today` only names the run."""
    from central.core import audit

    table = OutgoingMail.__table__
    counts = dict.fromkeys(COUNTS, 0)
    now = utcnow()
    rows = _pending(session.connection(), [table.c.next_attempt_at <= now], limit=BATCH)
    session.commit()  # no transaction held open during the SMTP exchanges
    for row in rows:
        taken = _claim(session.connection(), row, utcnow())
        session.commit()  # the claim is seen by every other sender before the SMTP exchange
        if not taken:
            continue
        values, gave_up = _attempt(row, utcnow())
        _store(session.connection(), row.id, values)
        if gave_up is not None:
            audit.record(
                "mail.failed", None, mail_id=row.id, recipient=row.recipient, error=gave_up
            )
        session.commit()
        _count(counts, values, gave_up, row)
    purged = session.execute(
        delete(table).where(
            table.c.status.in_([MailStatus.SENT.value, MailStatus.LOGGED.value]),
            table.c.created_at < now - KEEP_SENT,
        )
    ).rowcount
    session.commit()
    return counts | {"purged": purged or 0}
