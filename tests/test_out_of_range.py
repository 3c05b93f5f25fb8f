"""Input the database cannot hold never answers 500 (found by fuzzing the API): ids beyond the
32-bit range in a path answer 404, numbers beyond the range or NUL characters in a body or query
answer 400, and a page past the end is an empty list, however large its number."""

from __future__ import annotations

import pytest

from tests.factories import make_active_framework, make_org, make_token, make_user


@pytest.fixture
def member(db):
    org = make_org("authority")
    make_active_framework(members=[org])
    user = make_user("member", org=org)
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    db.session.commit()
    return headers


@pytest.mark.parametrize("token_id", [2**31, 10**12, 10**30])
def test_an_id_beyond_the_integer_range_in_a_path_answers_404(client, member, token_id):
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=member)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_id_beyond_the_integer_range_in_a_page_path_answers_404(client, login_as, db):
    user = make_user("member")
    db.session.commit()
    login_as(user)
    assert client.get(f"/assets/{10**15}").status_code == 404


@pytest.mark.parametrize("page", [2, 10**6, 10**19, 10**40])
def test_a_page_past_the_end_is_an_empty_list(client, member, page):
    first = client.get("/api/v1/organisations?per_page=500", headers=member)
    response = client.get(f"/api/v1/organisations?page={page}&per_page=500", headers=member)
    assert response.status_code == 200 and response.json == []
    assert (
        response.headers["X-Total-Count"] == first.headers["X-Total-Count"] == str(len(first.json))
    )


@pytest.mark.parametrize("lot_id", [2**31, 10**25, -(10**25)])
def test_a_number_beyond_the_range_in_a_body_answers_400(client, member, lot_id):
    response = client.post(
        "/api/v1/service-plans",
        json={"lot_id": lot_id, "task_type": "hydrant_inspection", "interval_months": 12},
        headers=member,
    )
    assert response.status_code in (400, 404), response.get_data(as_text=True)[:300]
    assert set(response.json["error"]) >= {"code", "message"}


@pytest.mark.parametrize("query", ["framework_id=99999999999999", "lot_id=-99999999999999"])
def test_a_number_beyond_the_range_in_a_filter_is_not_a_server_error(client, member, query):
    response = client.get(f"/api/v1/rounds?{query}", headers=member)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json["error"]["code"] == "validation_error"


def test_a_nul_character_in_a_query_is_not_a_server_error(client, member):
    response = client.get("/api/v1/needs?status=open%00x", headers=member)
    assert response.status_code in (200, 400)


def test_labour_documents_both_created_and_replaced(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/rounds/{round_id}/labour"]
    assert {"200", "201"} <= set(operation["post"]["responses"])
