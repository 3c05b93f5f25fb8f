"""Labels of stored values live in one place (central/labels.py): every status and unit the models
know has its words there, for the office pages and for the field, in both languages."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from central import labels
from central.assets.models import NeedStatus
from central.frameworks.models import PriceUnit
from central.planning.models import RoundStatus, TaskStatus

SAME_IN_DUTCH = {"m", "m²", "Open"}
CASES = [
    (RoundStatus, labels.ROUND_STATUS_LABELS),
    (RoundStatus, labels.FIELD_ROUND_STATUS_LABELS),
    (TaskStatus, labels.TASK_STATUS_LABELS),
    (TaskStatus, labels.FIELD_TASK_STATUS_LABELS),
    (NeedStatus, labels.NEED_STATUS_LABELS),
    (PriceUnit, labels.UNIT_LABELS),
]


@pytest.mark.parametrize(("enum", "words"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_every_value_of_the_model_has_its_label(enum, words):
    assert set(words) == {member.value for member in enum}


@pytest.mark.parametrize(("enum", "words"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_every_label_is_translated_into_dutch(app, enum, words):
    with app.test_request_context("/"), force_locale("nl"):
        untranslated = {
            value: str(label)
            for value, label in words.items()
            if str(label) == label._args[0] and label._args[0] not in SAME_IN_DUTCH
        }
    assert untranslated == {}
