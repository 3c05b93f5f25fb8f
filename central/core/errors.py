"""The app's error handlers, for pages and the API alike: a domain error (`core.exceptions`,
whose names are re-exported here) or an HTTP error becomes one page or one API answer."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, render_template, request

from central.core.exceptions import (  # noqa: F401 (re-exported)
    N_,
    SCHEMA_MESSAGES,
    Conflict,
    DomainError,
    FileTooLarge,
    Forbidden,
    Message,
    NotFound,
    ValidationError,
    translate,
)

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
