"""Issue 15: task types and asset kinds showed as codes (`hydrant_painting`) on the needs,
rounds and service plans a member reads. They show by their names; the codes stay out of the
visible text."""

from __future__ import annotations

import pytest

from central.assets.models import Asset, Need
from central.extensions import db
from central.frameworks.models import TaskType
from tests.test_dutch_everywhere import page_text
from tests.test_sweep import make_tenant


@pytest.fixture
def tenant(db):
    tenant = make_tenant()
    need = db.session.get(Need, tenant.ids["need_id"])
    need.task_type = "hydrant_inspection"
    db.session.commit()
    return tenant


@pytest.mark.parametrize(
    "path", ["/service-plans", "/needs", "/needs/{need_id}", "/rounds", "/rounds/{round_id}"]
)
def test_a_member_reads_task_types_and_kinds_by_name(client, login_as, tenant, path):
    login_as(tenant.users["member"])
    task_type = db.session.get(TaskType, tenant.ids["task_type_id"])
    response = client.get(path.format(**tenant.ids))
    assert response.status_code == 200
    text = page_text(response.get_data(as_text=True))
    if path not in ("/needs", "/rounds"):  # these lists do not name the work at all
        assert task_type.name in text, path
    assert task_type.code not in text, path
    kind = db.session.get(Asset, tenant.ids["asset_id"]).kind
    assert kind not in text, path
