"""Helpers that put a service's DomainError back onto a WTForms form."""

from __future__ import annotations

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
