"""Domain errors (a service raises one; views and the API map its kind to one HTTP status) and the
app's error handlers, for pages and the API alike."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge


def N_(text: str) -> str:  # noqa: N802 - the gettext marker
    """Mark a message for the catalogue; it is translated where it is shown (forms, pages)."""
    return text


class Message(str):
    """A text made from a catalogue template and its parameters. It is the English text (for the
    command line and the logs); `translate` gives it in the reader's language (pages and, §7.6,
    the API). A
    parameter that is itself a Message is translated too, and a list parameter is its texts
    joined with a space."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = template % {k: _joined(v, str) for k, v in params.items()} if params else template
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self


def _joined(value: Any, render) -> Any:
    if isinstance(value, list | tuple):
        return " ".join(render(v) for v in value)
    return render(value) if isinstance(value, Message) else value


def translate(text: str) -> str:
    """A domain message (or field message) in the reader's language, with its parameters; a
    message of the schemas' validation (marshmallow's own English) too."""
    from flask_babel import gettext

    if isinstance(text, Message):
        if not text.params:
            return gettext(text.template)
        return gettext(text.template, **{k: _joined(v, translate) for k, v in text.params.items()})
    translated = gettext(text)
    if translated == text:
        return _schema_message(text)
    return translated


# Marshmallow's messages without values, for the catalogue (translated through `translate`).
SCHEMA_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Unknown field."),
    N_("Not a valid number."),
    N_("Not a valid integer."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid string."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("String does not match expected pattern."),
)

# Marshmallow's messages with values: (pattern, template). Numbers are shown in the reader's form.
_SCHEMA_PATTERNS = (
    (re.compile(r"Shorter than minimum length (?P<min>\d+)\."), N_("At least %(min)s characters.")),
    (re.compile(r"Longer than maximum length (?P<max>\d+)\."), N_("At most %(max)s characters.")),
    (
        re.compile(r"Length must be between (?P<min>\d+) and (?P<max>\d+)\."),
        N_("Between %(min)s and %(max)s characters."),
    ),
    (re.compile(r"Length must be (?P<equal>\d+)\."), N_("Exactly %(equal)s characters.")),
    (re.compile(r"Must be one of: (?P<choices>.*)\."), N_("Choose one of: %(choices)s.")),
    (
        re.compile(
            r"Must be greater than or equal to (?P<min>\S+)"
            r" and less than or equal to (?P<max>\S+)\."
        ),
        N_("Between %(min)s and %(max)s."),
    ),
    (
        re.compile(r"Must be greater than (?P<min>\S+) and less than or equal to (?P<max>\S+)\."),
        N_("More than %(min)s and at most %(max)s."),
    ),
    (
        re.compile(r"Must be greater than or equal to (?P<min>\S+) and less than (?P<max>\S+)\."),
        N_("At least %(min)s and less than %(max)s."),
    ),
    (
        re.compile(r"Must be greater than (?P<min>\S+) and less than (?P<max>\S+)\."),
        N_("More than %(min)s and less than %(max)s."),
    ),
    (re.compile(r"Must be greater than or equal to (?P<min>\S+)\."), N_("At least %(min)s.")),
    (re.compile(r"Must be greater than (?P<min>\S+)\."), N_("More than %(min)s.")),
    (re.compile(r"Must be less than or equal to (?P<max>\S+)\."), N_("At most %(max)s.")),
    (re.compile(r"Must be less than (?P<max>\S+)\."), N_("Less than %(max)s.")),
)


def _schema_message(text: str) -> str:
    """A marshmallow message with values in the reader's language; other text as it is (and in
    English, marshmallow's own words stay)."""
    from flask_babel import get_locale, gettext

    from central.core.formatting import format_number

    locale = get_locale()
    if locale is None or locale.language == "en":
        return text
    for pattern, template in _SCHEMA_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            values = {}
            for name, value in match.groupdict().items():
                try:
                    values[name] = format_number(Decimal(value))
                except (InvalidOperation, ValueError):
                    values[name] = value
            return gettext(template, **values)
    return text


class DomainError(Exception):
    """A broken rule, with a message fit for the user and optional per-field messages.

    With `params`, the message and the field messages are `%(name)s` templates (marked with N_)
    filled with them: `message` and `fields` hold the English text, `translated()` the reader's."""

    status = 400
    code = "validation_error"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str] | str] | None = None,
        params: dict[str, Any] | None = None,
    ):
        if params:
            message = Message(message, **params)
        super().__init__(message)
        self.message = message
        self.fields = {k: v if isinstance(v, list) else [v] for k, v in (fields or {}).items()}
        if params:
            self.fields = {
                k: [Message(m, **params) if type(m) is str else m for m in v]
                for k, v in self.fields.items()
            }

    def translated(self, text: str | None = None) -> str:
        """The message, or one of its field messages, in the reader's language."""
        return translate(self.message if text is None else text)


class ValidationError(DomainError):
    """The input breaks a rule (400)."""


class NotFound(DomainError):
    """Absent, or outside the user's reach (404): ids leak nothing."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The target is visible but the action is not the user's (403)."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The current state does not allow the action (409)."""

    status = 409
    code = "conflict"


class FileTooLarge(RequestEntityTooLarge):
    """An upload over its own limit (413), which the answer names: a page goes back to its form
    saying the limit, the API answers in its error format."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit


# --- error pages and answers: one handler per kind of failure, for pages and the API ----------


def _wants_json() -> bool:
    from central.core.api import API_PREFIX

    return request.path.startswith(API_PREFIX)


def _back_to_the_form(exc: Exception):
    """A page's upload over the limit (§7.6): back to the form it came from, with a message that
    says the limit, rather than an error page that loses the user. None when the form's address
    cannot be shown again (then the error page says it)."""
    from flask import flash, redirect
    from flask_babel import gettext
    from werkzeug.exceptions import HTTPException

    from central.core.formatting import format_number

    if request.method != "POST":
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(request.path, method="GET")
    except HTTPException:
        return None
    limit = getattr(exc, "limit", None) or current_app.config.get("MAX_CONTENT_LENGTH")
    if isinstance(exc, DomainError):  # a rule about the file's content, in its own words
        flash(exc.translated(), "error")
    elif limit:
        size = format_number(round(limit / (1024 * 1024), 1))
        flash(
            gettext(
                "The file is larger than the limit of %(size)s MB. Choose a smaller file.",
                size=size,
            ),
            "error",
        )
    else:
        flash(gettext("The file is too large. Choose a smaller file."), "error")
    return redirect(request.full_path.rstrip("?"), code=303)


def register_errorhandlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from central.core.api import handle_api_error
    from central.core.errors import DomainError
    from central.core.limits import retry_after
    from central.extensions import db

    def handle(exc: Exception):
        # A rate limit says when to come back (RFC 9110), on the page and in the API alike.
        wait = retry_after() if getattr(exc, "code", None) == 429 else None
        if _wants_json():
            response = handle_api_error(exc)
        else:
            db.session.rollback()
            if isinstance(exc, DomainError):
                status = exc.status
            elif isinstance(exc, CSRFError):
                status = 400
            else:
                status = getattr(exc, "code", 500) or 500
            back = _back_to_the_form(exc) if status == 413 else None
            if back is not None:
                return back
            page = render_template("error.html", status=status, error=exc, retry_after=wait)
            response = app.make_response((page, status))
        if wait is not None:
            response.headers["Retry-After"] = str(wait)
        return response

    app.register_error_handler(DomainError, handle)
    app.register_error_handler(HTTPException, handle)

    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    def database_unavailable(exc: Exception):
        """The database cannot be reached (restarting, gone, every connection busy): a clean 503
        that asks to try again, in the API's error format or as a page that needs no database."""
        import contextlib

        from flask_babel import gettext

        from central.core.api import error_response

        app.logger.warning("database unavailable on %s: %s", request.path, exc)
        with contextlib.suppress(Exception):
            db.session.rollback()
        # Render as a visitor: loading the signed-in user (for the language) would ask the
        # database again and turn this answer into a 500.
        from central.extensions import login_manager

        g._login_user = login_manager.anonymous_user()
        if _wants_json():
            response = error_response(
                503,
                "unavailable",
                gettext("The database is briefly unavailable. Try again in a moment."),
            )
        else:
            response = app.make_response((render_template("unavailable.html"), 503))
        response.headers["Retry-After"] = "5"
        return response

    for unavailable in (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError):
        app.register_error_handler(unavailable, database_unavailable)

    from sqlalchemy.exc import DataError

    def value_refused(exc: Exception):
        """A value the database cannot hold (a number out of range, a NUL character in text)
        that validation let through: the request is bad (400), not the server."""
        from central.core.errors import N_, ValidationError

        app.logger.warning("value refused on %s: %s", request.path, str(exc).splitlines()[0])
        return handle(
            ValidationError(N_("A value in the request is out of range or cannot be stored."))
        )

    # SQLite raises OverflowError for an integer beyond 64 bits; PostgreSQL a DataError.
    app.register_error_handler(DataError, value_refused)
    app.register_error_handler(OverflowError, value_refused)

    from pandas.errors import DatabaseError as PandasDatabaseError

    def report_query_failed(exc: Exception):
        """Reports read with pandas, which wraps the database's error: answer for the cause."""
        cause = exc.__cause__
        if isinstance(cause, OperationalError | InterfaceError | DisconnectionError):
            return database_unavailable(cause)
        if isinstance(cause, DataError):
            return value_refused(cause)
        raise exc

    app.register_error_handler(PandasDatabaseError, report_query_failed)

    @app.errorhandler(500)
    def internal_error(exc: Exception):
        import contextlib

        with contextlib.suppress(Exception):  # a broken connection must not hide the 500 page
            db.session.rollback()
        if _wants_json():
            return jsonify(
                {"error": {"code": "internal_error", "message": "Something went wrong."}}
            ), 500
        return render_template("error.html", status=500, error=exc), 500
