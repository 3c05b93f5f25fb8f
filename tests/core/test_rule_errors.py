"""core.forms.rule_errors: a form's rules tried beside its fields' own errors, nothing kept."""

from __future__ import annotations

from wtforms import StringField

from central.core.errors import ValidationError
from central.core.forms import CentralForm, rule_errors
from central.core.mail import OUTBOX, OutgoingMail, queue_mail
from central.extensions import db


class _Form(CentralForm):
    class Meta:
        csrf = False

    name = StringField()
    lot_task = StringField()


def test_the_rules_errors_go_to_fields_without_one_renamed_and_nothing_is_kept(app):
    with app.test_request_context():
        form = _Form(data={"name": "", "lot_task": ""})
        form.validate()
        form.name.errors = ["the field's own"]
        before = db.session.query(OutgoingMail).count()

        def attempt():
            queue_mail("someone@example.org", "Subject", "Body")
            raise ValidationError(
                "x", fields={"name": "the rule's", "lot_id": "no such lot", "other": "unplaced"}
            )

        rule_errors(form, attempt, renamed={"lot_id": "lot_task"})
        assert form.name.errors == ["the field's own"]  # the field's own error comes first
        assert form.lot_task.errors == ["no such lot"]
        assert db.session.query(OutgoingMail).count() == before
        assert not db.session.info.get(OUTBOX)  # no mail of the trial is sent after a commit


def test_a_trial_that_passes_writes_nothing(app):
    with app.test_request_context():
        form = _Form(data={"name": "x", "lot_task": ""})
        form.validate()
        before = db.session.query(OutgoingMail).count()
        rule_errors(form, lambda: queue_mail("someone@example.org", "S", "B"))
        assert db.session.query(OutgoingMail).count() == before
        assert not db.session.info.get(OUTBOX)
