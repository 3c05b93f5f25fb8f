"""Open data: `GET /frameworks/{id}/ocds` is an OCDS 1.1 release package that validates against
the OCDS 1.1.5 release-package schema (offline), with the call-offs linked to the framework
through `relatedProcesses` and the maximum value as eForms BT-709; public once the framework is
active, the lead coordinator's only while it is a draft."""

from __future__ import annotations

from datetime import date

import pytest

from central.core.clock import frozen_today
from central.extensions import db
from central.reports import services
from tests.factories import make_framework, make_lot, make_work
from tests.reports.validation import ocds_errors

URL = "/api/v1/frameworks/{}/ocds"


def test_the_release_package_validates_against_the_ocds_schema(client, central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "18.50"}] * 3)
    with frozen_today(date(2025, 7, 1)):
        services.issue_statements(db.session, date(2025, 7, 1))
    response = client.get(URL.format(central.framework.id))
    assert response.status_code == 200
    package = response.json
    assert ocds_errors(package) == []
    assert package["version"] == "1.1"
    assert package["publisher"]["name"] == "Stad Roeselare"
    assert package["uri"].endswith(URL.format(central.framework.id))


def test_the_schema_check_catches_a_broken_package(client, central):
    """The validation is real: a release without its ocid fails it."""
    package = client.get(URL.format(central.framework.id)).json
    del package["releases"][0]["ocid"]
    package["releases"][0]["tag"] = "tender"
    errors = ocds_errors(package)
    assert any("ocid" in e for e in errors)
    assert any("tag" in e for e in errors)


def test_call_offs_are_linked_to_the_framework_through_related_processes(client, central):
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "10.00"}])
    services.issue_statements(db.session, date(2025, 7, 1))
    package = client.get(URL.format(central.framework.id)).json
    framework_release, *call_offs = package["releases"]
    ocid = framework_release["ocid"]
    assert framework_release["tender"]["id"] == central.framework.reference
    assert {r["buyer"]["name"] for r in call_offs} == {"Gemeente Ardooie", "Gemeente Hooglede"}
    for release in call_offs:
        assert release["ocid"] != ocid
        (related,) = release["relatedProcesses"]
        assert related == {
            "id": "1",
            "relationship": ["framework"],
            "title": central.framework.title,
            "scheme": "ocid",
            "identifier": ocid,
        }
    ardooie = next(r for r in call_offs if r["buyer"]["name"] == "Gemeente Ardooie")
    (contract,) = ardooie["contracts"]
    assert contract["title"] == "ARD-2025-0042"
    (transaction,) = contract["implementation"]["transactions"]
    assert transaction["value"] == {"amount": 12.1, "currency": "EUR"}
    assert transaction["payee"]["name"] == "Groep Intro LDE"


def test_the_maximum_value_is_published_as_bt_709(client, central):
    package = client.get(URL.format(central.framework.id)).json
    release = package["releases"][0]
    agreement = release["tender"]["techniques"]["frameworkAgreement"]
    assert release["tender"]["techniques"]["hasFrameworkAgreement"] is True
    assert agreement["value"] == {"amount": 500000.0, "currency": "EUR"}
    assert release["tender"]["value"] == {"amount": 400000.0, "currency": "EUR"}
    assert {a["maximumValue"]["amount"] for a in release["awards"]} == {500000.0}
    assert {a["suppliers"][0]["name"] for a in release["awards"]} == {
        "Groep Intro LDE",
        "Waterwerken NV",
    }


def test_a_lot_maximum_is_the_maximum_of_its_awards(client, central):
    from decimal import Decimal

    central.lot.max_value = Decimal("120000.00")
    db.session.flush()
    release = client.get(URL.format(central.framework.id)).json["releases"][0]
    assert {a["maximumValue"]["amount"] for a in release["awards"]} == {120000.0}
    (lot,) = release["tender"]["lots"]
    assert lot["techniques"]["frameworkAgreement"]["value"]["amount"] == 120000.0


def test_an_active_framework_is_public(client, central):
    response = client.get(URL.format(central.framework.id))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 404),
        ("coordinator", 200),
        ("other_coordinator", 404),
        ("member_a", 404),
        ("provider", 404),
        ("admin", 404),
    ],
)
def test_a_draft_framework_is_only_its_lead_coordinators(client, central, who, status):
    draft = make_framework(central.lead)
    make_lot(draft)
    headers = central.headers(who) if who else {}
    response = client.get(URL.format(draft.id), headers=headers)
    assert response.status_code == status
    if status == 200:
        assert ocds_errors(response.json) == []
        assert response.json["releases"][0]["tag"] == ["tender"]
        assert len(response.json["releases"]) == 1
    else:
        assert response.json["error"]["code"] == "not_found"


def test_an_unknown_framework_answers_404(client, central):
    assert client.get(URL.format(999999)).status_code == 404
    assert client.get(URL.format(2**40)).status_code == 404
