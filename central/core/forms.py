"""Helpers that put a service's DomainError back onto a WTForms form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask_wtf import FlaskForm

from central.core.errors import DomainError


def form_error(form: FlaskForm, exc: DomainError) -> int:
    """Attach the error's field messages to the form's fields; flash what has no field.
    Returns the HTTP status for the re-rendered page."""
    unplaced = []
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), *[exc.translated(m) for m in messages]]
        else:
            unplaced.extend(messages)
    if unplaced or not exc.fields:
        flash(exc.translated(), "error")
    return exc.status


class _DryRun(Exception):
    """Ends a trial of a service's rules; nothing it wrote is kept."""


def rule_errors(form: FlaskForm, attempt: Callable[[], Any]) -> None:
    """A form whose fields did not all parse also shows the rules' errors on its other fields,
    so that every error is shown at once (§7.6) rather than one layer per submit: `attempt`
    (the service call the form would make) runs in a savepoint that is always rolled back, and
    its field messages go to the fields that have no error yet. Input the rules cannot read yet
    (a date still missing) leaves those fields to the next submit."""
    from central.extensions import db

    try:
        with db.session.begin_nested():
            attempt()
            raise _DryRun
    except _DryRun:
        pass
    except DomainError as exc:
        for name, messages in exc.fields.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors") and not field.errors:
                field.errors = [exc.translated(m) for m in messages]
    except (TypeError, ValueError, ArithmeticError):
        pass  # a value the form could not parse reached the rules: its own error says so
