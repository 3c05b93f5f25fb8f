"""Domain errors: a service raises one with a message fit for the user (`N_`-marked, translated
where it is shown); views and the API map its kind to one HTTP status (see `core.errors`, which
holds the app's error handlers and re-exports these names). Messages of the schemas' validation
are translated here too."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

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
