"""Values a security review sent that answered 500: a measure or quantity of "1E+30" (the decimal
context cannot quantise it) answers 400, and a framework reference with a line break or another
control character is refused at input and, from older data, never breaks a download's
Content-Disposition header."""

from __future__ import annotations

import pytest

from central.reports.api import download
from tests.factories import make_active_framework, make_framework, make_org, make_token, make_user


@pytest.fixture
def member(db):
    org = make_org("authority")
    framework = make_active_framework(members=[org])
    user = make_user("member", org=org)
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    db.session.commit()
    return headers, framework


ASSET = {
    "code": "BK-1",
    "kind": "hydrant_underground",
    "street": "Kerkstraat",
    "municipality": "Ardooie",
    "lat": 50.97,
    "lon": 3.2,
}


@pytest.mark.parametrize("value", ["1E+30", "1e30", "9E+999999", "1E-30", "-1E+30"])
def test_a_measure_of_1e30_answers_400_not_500(client, member, value):
    headers, _framework = member
    response = client.post("/api/v1/assets", json={**ASSET, "measure": value}, headers=headers)
    assert response.status_code == 400
    assert "measure" in response.json["error"]["fields"]


@pytest.mark.parametrize("value", ["1E+30", "1E+28"])
def test_a_need_quantity_of_1e30_answers_400_not_500(client, member, value):
    headers, framework = member
    response = client.post(
        "/api/v1/needs",
        json={"description": "Lek", "quantity": value, "lot_id": framework.lots[0].id},
        headers=headers,
    )
    assert response.status_code == 400
    assert "quantity" in response.json["error"]["fields"]


@pytest.mark.parametrize("reference", ["RSL\r\nSet-Cookie: x=1", "RSL\n2025", "RSL\x00", "A\x1bB"])
def test_a_framework_reference_with_control_characters_is_refused(client, db, reference):
    lead = make_org("authority")
    coordinator = make_user("coordinator", org=lead)
    headers = {"Authorization": f"Bearer {make_token(coordinator)}"}
    db.session.commit()
    response = client.post(
        "/api/v1/frameworks",
        json={
            "reference": reference,
            "title": "Brandkranen",
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "estimated_value": "1000.00",
            "max_value": "2000.00",
        },
        headers=headers,
    )
    assert response.status_code == 400
    assert "reference" in response.json["error"]["fields"]


@pytest.mark.parametrize(
    "reference", ["RSL\r\nSet-Cookie: x=1", 'R"S;L', "Brandkranen-Één/€", "..\\..\\x"]
)
def test_a_reference_with_a_line_break_never_breaks_the_download_header(app, reference):
    with app.test_request_context():
        response = download(b"x", "csv", f"social-impact-{reference}-2025")
    header = response.headers["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert header.isascii()
    plain = header.split('filename="', 1)[1].split('"', 1)[0]
    assert plain.endswith(".csv") and not set(plain) & set('"\\/;\r\n')
    assert "filename*=UTF-8''" in header


def test_an_old_reference_with_a_line_break_downloads_its_social_impact(client, db):
    lead = make_org("authority")
    framework = make_framework(lead=lead)
    coordinator = make_user("coordinator", org=lead)
    headers = {"Authorization": f"Bearer {make_token(coordinator)}"}
    framework.reference = "RSL\r\nX-Injected: 1"  # stored before references were checked
    db.session.commit()
    response = client.get(
        f"/api/v1/reports/social-impact?framework={framework.id}&year=2026&format=csv",
        headers=headers,
    )
    assert response.status_code == 200
    assert "X-Injected" not in response.headers
    assert "filename=" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("hours", ["1E+30", "1E+999", "1E-30"])
def test_labour_hours_of_1e30_are_refused_not_a_server_error(app, hours):
    from central.core.errors import ValidationError
    from central.fieldwork.services import clean_labour

    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        clean_labour({"hours": hours}, None)
    assert "hours" in refused.value.fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", True),
        ("12.500", True),
        ("12", True),
        ("1E+30", True),
        ("0.001", False),
        ("1.0000000000000000000000000001", False),
        ("1E-30", False),
        ("0E-10", True),
        ("NaN", False),
        ("Infinity", False),
    ],
)
def test_decimal_places_are_read_without_overflowing(value, expected):
    from decimal import Decimal

    from central.core.money import has_at_most_places

    assert has_at_most_places(Decimal(value), 2) is expected
