"""Helpers of the pages' forms: WTForms' messages in plain words, a service's DomainError put
back onto a form, and an amount as a reader types it (1.234,50) read for the input schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask import flash
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations

from central.core.errors import N_, DomainError

# WTForms' own messages in the project's words (the catalogue has them in plain Dutch, §7.6),
# rather than WTForms' Dutch ("Ongeldige float-waarde", "Veld mag niet langer zijn dan 200
# karakters"). WTForms fills in the values (min, max) itself.
WTFORMS_MESSAGES = {
    "Field must be at least %(min)d character long.": N_("At least %(min)s characters."),
    "Field must be at least %(min)d characters long.": N_("At least %(min)s characters."),
    "Field cannot be longer than %(max)d character.": N_("At most %(max)s characters."),
    "Field cannot be longer than %(max)d characters.": N_("At most %(max)s characters."),
    "Field must be exactly %(max)d character long.": N_("Exactly %(max)s characters."),
    "Field must be exactly %(max)d characters long.": N_("Exactly %(max)s characters."),
    "Field must be between %(min)d and %(max)d characters long.": N_(
        "Between %(min)s and %(max)s characters."
    ),
    "Number must be at least %(min)s.": N_("At least %(min)s."),
    "Number must be at most %(max)s.": N_("At most %(max)s."),
    "Number must be between %(min)s and %(max)s.": N_("Between %(min)s and %(max)s."),
    "This field is required.": N_("Fill this in."),
    "Invalid input.": N_("Check this value."),
    "Invalid email address.": N_("Enter a valid e-mail address"),
    "Not a valid choice.": N_("Choose one of the options."),
    "Invalid Choice: could not coerce.": N_("Choose one of the options."),
    "Invalid choice(s): one or more data inputs could not be coerced.": N_(
        "Choose one of the options."
    ),
    "'%(value)s' is not a valid choice for this field.": N_("Choose one of the options."),
    "'%(value)s' are not valid choices for this field.": N_("Choose one of the options."),
    "Not a valid date value.": N_("Enter a valid date."),
    "Not a valid datetime value.": N_("Enter a valid date and time."),
    "Not a valid integer value.": N_("Enter a whole number."),
    "Not a valid decimal value.": N_("Enter a number, such as 12,5."),
    "Not a valid float value.": N_("Enter a number, such as 12,5."),
}


class _Translations:
    """WTForms' messages: the project's catalogue for those in WTFORMS_MESSAGES, WTForms' own
    translations (through Flask-WTF) for the others."""

    def gettext(self, string: str) -> str:
        from flask_babel import get_translations

        ours = WTFORMS_MESSAGES.get(string)
        if ours is None:
            return wtforms_translations.gettext(string)
        return get_translations().gettext(ours)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class CentralForm(FlaskForm):
    """The project's form: CSRF from Flask-WTF, WTForms' own messages in plain words."""

    class Meta:
        def get_translations(self, form):
            return _Translations()


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


def rule_errors(
    form: FlaskForm, attempt: Callable[[], Any], renamed: dict[str, str] | None = None
) -> None:
    """A form whose fields did not all parse also shows the rules' errors on its other fields,
    so that every error is shown at once (§7.6) rather than one layer per submit: `attempt`
    (the service call the form would make) runs in a savepoint that is always rolled back, and
    its field messages go to the fields that have no error yet. Input the rules cannot read yet
    (a date still missing) leaves those fields to the next submit. `renamed` maps a service's
    field to the form's (lot_id and task_type to one lot_task choice)."""
    from central.core.mail import OUTBOX
    from central.extensions import db

    queued = list(db.session.info.get(OUTBOX, []))
    try:
        with db.session.begin_nested():
            attempt()
            raise _DryRun
    except _DryRun:
        pass
    except DomainError as exc:
        found: dict[str, list[str]] = {}
        for name, messages in exc.fields.items():
            found.setdefault((renamed or {}).get(name, name), []).extend(messages)
        for name, messages in found.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors") and not field.errors:
                field.errors = [exc.translated(m) for m in messages]
    except (TypeError, ValueError, ArithmeticError):
        pass  # a value the form could not parse reached the rules: its own error says so
    finally:
        # A mail the trial queued was rolled back with it: it is never sent.
        db.session.info[OUTBOX] = queued


class Submitted(NamedTuple):
    ok: bool  # the action ran and was committed
    result: Any  # what the action returned
    status: int  # the page's HTTP status when not ok


def submit(form: FlaskForm, action: Callable[[], Any]) -> Submitted:
    """A page form's one way to its service: when the submitted form is valid, run `action` (the
    service call) and commit; a rule's refusal goes onto the form's fields. When the fields did
    not all parse, the rules' errors join theirs (`rule_errors`), so every error shows at once.
    A GET renders with 200, an invalid POST with 400 or the rule's status."""
    from central.extensions import db

    if form.validate_on_submit():
        try:
            result = action()
        except DomainError as exc:
            return Submitted(False, None, form_error(form, exc))
        db.session.commit()
        return Submitted(True, result, 200)
    if form.errors:
        rule_errors(form, action)
    return Submitted(False, None, 400 if form.errors else 200)


def amount_input(raw: Any, locale: str | None = None) -> str | None:
    """An amount as typed, in Dutch (1.234,50) or English (1,234.50) notation, as a plain decimal
    string for the service (which checks it). A lone separator followed by exactly three digits
    groups thousands in the page's language (100.000 in Dutch, 100,000 in English); any other lone
    separator is the decimal one, so 18.50 and 18,50 both mean eighteen and a half."""
    if raw is None:
        return None
    text = str(raw).strip().replace("€", "").replace(" ", "").replace("\xa0", "")
    if not text:
        return None
    if locale is None:
        locale = str(get_locale() or "nl")
    group = "." if locale.startswith("nl") else ","
    if "," in text and "." in text:
        decimal_sign = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal_sign == "," else ","
        return text.replace(grouping, "").replace(decimal_sign, ".")
    for sign in (",", "."):
        if sign in text:
            head, _, tail = text.rpartition(sign)
            if text.count(sign) > 1 or (sign == group and len(tail) == 3 and head.lstrip("-")):
                return text.replace(sign, "")
            return text.replace(sign, ".")
    return text
