"""Rules the pages ask the models (rather than copying them into templates)."""

from __future__ import annotations

import pytest

from central.planning.models import Round, RoundStatus


@pytest.mark.parametrize("status", list(RoundStatus))
def test_a_round_is_cancellable_only_while_its_work_is_still_to_do(status):
    still_to_do = {"planned", "assigned", "in_progress", "overdue"}
    assert Round(status=status).is_cancellable is (status in still_to_do)
