"""Forms for sign-in, passwords, tokens and (admin) user accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from central.accounts.models import Role
from central.core.forms import CentralForm
from central.labels import ROLE_LABELS


class LoginForm(CentralForm):
    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address"))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class CodeForm(CentralForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Enter the code")), Length(max=32)],
        description=_l(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
    )


class EnrolForm(CentralForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(_l("Enter the code")), Length(max=32)],
        description=_l("The app shows a new 6-digit code every 30 seconds."),
    )


class ForgotPasswordForm(CentralForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address")),
            Email(_l("Enter a valid e-mail address")),
        ],
    )


class ResetPasswordForm(CentralForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password")),
            Length(min=10, message=_l("At least 10 characters")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same"))],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password"))]
    )


class TokenForm(CentralForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(_l("Give the token a name")), Length(max=100)],
        description=_l("For example the system that will use it."),
    )


class ConfirmForm(CentralForm):
    """An empty form: a POST with a CSRF token, for confirmed actions."""


def role_choices():
    return [(role.value, ROLE_LABELS[role]) for role in Role]


class UserForm(CentralForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter an e-mail address")),
            Email(_l("Enter a valid e-mail address")),
        ],
    )
    role = SelectField(_l("Role"), choices=role_choices)
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=10, message=_l("At least 10 characters"))],
        description=_l(
            "Leave empty to keep it (new accounts: the user sets one via the reset link)."
        ),
    )
    active = BooleanField(_l("Active"), default=True)
