"""The "run now" button: a form with only its CSRF token."""

from flask_wtf import FlaskForm


class RunNowForm(FlaskForm):
    pass
