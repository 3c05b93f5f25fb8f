"""The typed input fields every input schema is made of, with Central's messages.

A domain's input schema (`<domain>/schemas.py`) declares each field once: its type, whether it
is required and its limit (taken from the model's column). The API loads a body through it, the
services load the values a page, an import or the demo gives them through the same schema, and
then check only their rules. These fields take typed values (a `date`, a `Decimal`) as they are,
so that loading twice is harmless; their messages are Central's (plain, translated), never
marshmallow's defaults.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate
from marshmallow import ValidationError as SchemaError
from marshmallow.utils import missing

from central.core.errors import N_, Message
from central.core.validators import has_control_characters

# Numeric(12, 2) holds at most this; a larger amount is refused as input, not by the database.
MAX_AMOUNT = Decimal("9999999999.99")
# Dates Central accepts: wide enough for any real contract, narrow enough for date arithmetic.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2199, 12, 31)
MAX_ID = 2**31 - 1
# What a long text (a justification, a reason, a description) may hold.
LONG_TEXT = 5000


class MaxLength(validate.Length):
    """At most `max` characters (and at least `min`), in Central's words; the OpenAPI document
    shows the limit as maxLength."""

    def _format_error(self, value: Any, message: str) -> Any:
        return Message(N_("At most %(limit)d characters."), limit=self.max)


class Between(validate.Range):
    """A whole number from `min` to `max`, in Central's words: `message` a template with
    %(min)s and %(max)s (or %(minimum)d and %(maximum)d), e.g. "Between %(min)s and %(max)s
    minutes."."""

    def __init__(self, min: int, max: int, message: str | None = None) -> None:
        super().__init__(min=min, max=max)
        self.message = message or N_("Between %(minimum)d and %(maximum)d.")

    def _format_error(self, value: Any, message: str) -> Any:
        bounds = {"min": self.min, "max": self.max, "minimum": self.min, "maximum": self.max}
        return Message(self.message, **bounds)


class _Input:
    """Empty input (None, "" or blanks) is `if_empty` (None), or the message `empty` when the
    field is required or has a default of its own (given, it must be filled in); an absent
    field is its default (`if_empty`), or `empty` when required."""

    def __init__(
        self, *, empty: str, required: bool = False, if_empty: Any = None, **kwargs: Any
    ) -> None:
        self.empty = empty
        self.if_empty = if_empty
        if not required:
            kwargs.setdefault("load_default", None)
        self.nullable = not required and (kwargs["load_default"] is None or if_empty is not None)
        messages = {"required": empty, "null": empty, **kwargs.pop("error_messages", {})}
        super().__init__(required=required, error_messages=messages, **kwargs)  # type: ignore[call-arg]

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if value is missing:
            if self.nullable and self.if_empty is not None:
                return self._empty_value()
            return super().deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        if value is None or (isinstance(value, str) and not value.strip()):
            if not self.nullable:
                raise SchemaError(self.empty)
            return self._empty_value()
        output = self._deserialize(value, attr, data, **kwargs)  # type: ignore[attr-defined]
        self._validate(output)  # type: ignore[attr-defined]
        return output

    def _empty_value(self) -> Any:
        """`if_empty`, or what it gives when it is a function (e.g. today)."""
        return self.if_empty() if callable(self.if_empty) else self.if_empty


class Text(_Input, fields.String):
    """Text without its surrounding blanks, at most `max_len` characters; `one_line`: no line
    breaks or control characters (a reference names files and goes into headers)."""

    def __init__(
        self,
        max_len: int | None = None,
        *,
        one_line: bool = False,
        empty: str = N_("Enter a value."),
        normalise: Any = None,
        **kwargs: Any,
    ) -> None:
        self.normalise = normalise
        checks = _listed(kwargs)
        if max_len is not None:
            minimum = 1 if kwargs.get("required") else None
            checks.insert(0, MaxLength(min=minimum, max=max_len))
        if one_line:
            checks.append(_one_line)
        super().__init__(empty=empty, validate=checks, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise SchemaError(N_("Not a valid string."))  # the API has always said so
        return value.strip()

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        text = super().deserialize(value, attr, data, **kwargs)
        if self.normalise is None or text is None:
            return text
        try:
            return self.normalise(text)  # an identifier in its one written form
        except ValueError as exc:
            raise SchemaError(str(exc)) from None


def _one_line(text: str) -> None:
    if has_control_characters(text):
        raise SchemaError(N_("Use no line breaks or control characters."))


def _listed(kwargs: dict[str, Any]) -> list[Any]:
    extra = kwargs.pop("validate", None)
    if extra is None:
        return []
    return list(extra) if isinstance(extra, list | tuple) else [extra]


class Amount(_Input, fields.Decimal):
    """A non-negative exact decimal with at most `places` decimals, at most `maximum`; given as
    a string ("1234.50") or a whole number, never a float. `signed`: negative too, its size at
    most `maximum` (a change's effect on a maximum)."""

    def __init__(
        self,
        *,
        places: int = 2,
        maximum: Decimal = MAX_AMOUNT,
        signed: bool = False,
        empty: str = N_("Enter an amount."),
        **kwargs: Any,
    ) -> None:
        self.maximum, self.decimals, self.signed = maximum, places, signed
        super().__init__(empty=empty, places=places, as_string=True, allow_nan=False, **kwargs)

    not_a_string = N_("Give the amount as a string or a whole number.")
    not_a_number = N_("Not an amount.")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, float | bool):
            raise SchemaError(self.not_a_string)
        try:
            amount = Decimal(self._text(value))
        except InvalidOperation:
            raise SchemaError(self.not_a_number) from None
        if not amount.is_finite():
            raise SchemaError(self.not_a_number)
        self._check_sign(amount)
        if abs(amount) > self.maximum:
            raise SchemaError(Message(N_("At most %(maximum)s."), maximum=self.maximum))
        step = Decimal(1).scaleb(-self.decimals)
        if amount != amount.quantize(step):
            raise SchemaError(Message(N_("At most %(places)d decimals."), places=self.decimals))
        return amount.quantize(step)

    def _text(self, value: Any) -> str:
        return str(value).strip()

    def _check_sign(self, amount: Decimal) -> None:
        if amount < 0 and not self.signed:
            raise SchemaError(N_("Cannot be negative."))


def finite_decimal(text: str) -> Decimal | None:
    """`text` read as a finite Decimal, or None when it is not one."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class Number(Amount):
    """A count of persons or hours: as Amount, in its own words, with a decimal comma or point;
    `positive`: more than zero."""

    not_a_string = N_("Give the number as a string or a whole number.")
    not_a_number = N_("Not a number.")

    def __init__(
        self, *, positive: bool = False, empty: str = N_("Enter a number."), **kwargs: Any
    ) -> None:
        self.positive = positive
        super().__init__(empty=empty, **kwargs)

    def _text(self, value: Any) -> str:
        return str(value).strip().replace(",", ".")

    def _check_sign(self, amount: Decimal) -> None:
        if self.positive and amount <= 0:
            raise SchemaError(N_("More than zero."))
        super()._check_sign(amount)


class WholeNumber(_Input, fields.Integer):
    """A whole number from `minimum` to `maximum`, given as a number or its digits."""

    def __init__(
        self,
        minimum: int = 1,
        maximum: int = MAX_ID,
        *,
        empty: str = N_("Enter a whole number."),
        out_of_range: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["validate"] = [Between(minimum, maximum, out_of_range), *_listed(kwargs)]
        super().__init__(empty=empty, strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SchemaError(N_("Enter a whole number."))
        try:
            return int(value)
        except ValueError:
            raise SchemaError(N_("Enter a whole number.")) from None


class Coordinate(_Input, fields.Float):
    """A latitude or longitude in degrees, given as a number or its digits (never NaN or
    infinite); `invalid` says how to give it. Where on Earth it may be is a rule of its domain."""

    def __init__(self, *, invalid: str, empty: str = N_("Enter a number."), **kwargs: Any) -> None:
        self.invalid = invalid
        super().__init__(empty=empty, allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise SchemaError(self.invalid)
        try:
            number = float(value)
        except ValueError:
            raise SchemaError(self.invalid) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise SchemaError(self.invalid)
        return number


class EmailAddress(_Input, fields.Email):
    """An e-mail address, without surrounding blanks."""

    def __init__(self, *, invalid: str = N_("Enter a valid e-mail address"), **kwargs: Any) -> None:
        super().__init__(empty=invalid, error_messages={"invalid": invalid}, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise SchemaError(N_("Not a valid string."))  # the API has always said so
        return value.strip()


class Choice(_Input, fields.String):
    """One of `choices` (an enum's values); `invalid` says what to choose."""

    def __init__(
        self, choices: Any, *, invalid: str, empty: str = N_("Enter a value."), **kwargs: Any
    ) -> None:
        self.choices = [str(getattr(c, "value", c)) for c in choices]
        kwargs["validate"] = [validate.OneOf(self.choices, error=invalid), *_listed(kwargs)]
        super().__init__(empty=empty, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return str(value) if isinstance(value, str) else value


class Day(_Input, fields.Date):
    """A date from FIRST_DATE to LAST_DATE, given as a `date` or as YYYY-MM-DD; `bounded=False`:
    any date (a recognition may be older than Central's contracts)."""

    def __init__(
        self, *, empty: str = N_("Enter a date."), bounded: bool = True, **kwargs: Any
    ) -> None:
        self.bounded = bounded
        super().__init__(empty=empty, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise SchemaError(N_("Enter a date as YYYY-MM-DD.")) from None
        if not isinstance(value, date):
            raise SchemaError(N_("Enter a date."))
        if self.bounded and not FIRST_DATE <= value <= LAST_DATE:
            raise SchemaError(
                Message(
                    N_("Between %(minimum)d and %(maximum)d."),
                    minimum=FIRST_DATE.year,
                    maximum=LAST_DATE.year,
                )
            )
        return value


class MaxItems(validate.Length):
    """At most `max` items, in Central's words; the OpenAPI document shows maxItems."""

    def _format_error(self, value: Any, message: str) -> Any:
        return Message(N_("At most %(limit)d."), limit=self.max)


class Texts(fields.List):
    """A list of one-line texts of at most `max_len` characters each, at most `limit` of them,
    blank ones left out, each given once; absent or null is an empty list."""

    def __init__(self, *, limit: int, max_len: int, **kwargs: Any) -> None:
        self.limit, self.max_len = limit, max_len
        kwargs.setdefault("load_default", None)
        kwargs["validate"] = [MaxItems(max=limit), *_listed(kwargs)]
        super().__init__(
            fields.String(validate=validate.Length(min=1, max=max_len)), allow_none=True, **kwargs
        )

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if value is missing:
            return []
        output = self._deserialize(value, attr, data, **kwargs)
        self._validate(output)
        return output

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SchemaError(N_("Give a list of texts."))
        texts = [v.strip() for v in value if v.strip()]
        if len(texts) > self.limit:
            raise SchemaError(Message(N_("At most %(limit)d."), limit=self.limit))
        if any(len(t) > self.max_len for t in texts):
            raise SchemaError(Message(N_("At most %(limit)d characters each."), limit=self.max_len))
        if any(has_control_characters(t) for t in texts):
            raise SchemaError(N_("Use no line breaks or control characters."))
        if len(set(texts)) < len(texts):
            raise SchemaError(N_("Each one only once."))
        return texts


class Part(fields.Nested):
    """An optional object of its own schema: absent, null, "" or {} is None; anything but an
    object is `invalid`. Its fields' errors are named `<name>.<field>`."""

    def __init__(self, nested: Any, *, invalid: str, **kwargs: Any) -> None:
        self.invalid = invalid
        kwargs.setdefault("load_default", None)
        super().__init__(nested, allow_none=True, **kwargs)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if value is missing or value is None or value in ("", {}):
            return None
        if not isinstance(value, dict):
            raise SchemaError(self.invalid)
        return super().deserialize(value, attr, data, **kwargs)


def load(
    schema: Schema, values: dict[str, Any], *, partial: bool | tuple[str, ...] = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`values` loaded through `schema` (what it does not declare is left out; `partial`: what
    may be absent): the typed values that loaded, and each field's first message for those that
    did not."""
    try:
        return schema.load(values, unknown=EXCLUDE, partial=partial), {}
    except SchemaError as exc:
        return exc.valid_data or {}, _first_messages(exc.normalized_messages())


def value_of(field: fields.Field, value: Any, name: str, errors: dict[str, Any]) -> Any:
    """`value` read by one field; its first message goes to `errors[name]` (then None)."""
    try:
        return field.deserialize(value)
    except SchemaError as exc:
        messages = exc.messages
        errors[name] = messages[0] if isinstance(messages, list) else messages
        return None


def _first_messages(messages: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Each field's first message; a part's fields as `<name>.<field>`."""
    errors: dict[str, Any] = {}
    for name, found in messages.items():
        if isinstance(found, dict):
            errors.update(_first_messages(found, f"{prefix}{name}."))
        else:
            errors[f"{prefix}{name}"] = found[0] if isinstance(found, list) else found
    return errors
