"""The "run now" button: a form with only its CSRF token."""

from central.core.forms import CentralForm


class RunNowForm(CentralForm):
    pass
