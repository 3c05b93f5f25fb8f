"""Domain errors: a service raises one; views and the API map its kind to one HTTP status."""

from __future__ import annotations

from typing import Any


def N_(text: str) -> str:  # noqa: N802 - the gettext marker
    """Mark a message for the catalogue; it is translated where it is shown (forms, pages)."""
    return text


class Message(str):
    """A text made from a catalogue template and its parameters. It is the English text (for the
    API, the command line and the logs); `translate` gives it in the reader's language. A
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
    """A domain message (or field message) in the reader's language, with its parameters."""
    from flask_babel import gettext

    if isinstance(text, Message):
        if not text.params:
            return gettext(text.template)
        return gettext(text.template, **{k: _joined(v, translate) for k, v in text.params.items()})
    return gettext(text)


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
