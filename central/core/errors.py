"""Domain errors: a service raises one; views and the API map its kind to one HTTP status."""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - the gettext marker
    """Mark a message for the catalogue; it is translated where it is shown (forms, pages)."""
    return text


class DomainError(Exception):
    """A broken rule, with a message fit for the user and optional per-field messages."""

    status = 400
    code = "validation_error"

    def __init__(self, message: str, *, fields: dict[str, list[str] | str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = {k: v if isinstance(v, list) else [v] for k, v in (fields or {}).items()}


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
