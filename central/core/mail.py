"""Outgoing e-mail over SMTP (MAIL_* settings); without MAIL_SERVER, mail is written to the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def send_mail(to: str | list[str], subject: str, body: str) -> bool:
    """Send a plain-text mail; return False (and log) when it could not be sent."""
    cfg = current_app.config
    recipients = [to] if isinstance(to, str) else list(to)
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg.set_content(body)
    if not cfg.get("MAIL_SERVER"):
        log.info("Mail not sent (no MAIL_SERVER) to %s: %s\n%s", recipients, subject, body)
        return False
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        log.exception("Mail to %s failed: %s", recipients, subject)
        return False
    return True
