"""§7.3: the export for the Departement Werk en Sociale Economie — per provider and member in a
year, over the frameworks the coordinator's authority leads, with the provider's recognitions."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from central.extensions import db
from tests.factories import make_work, recognise

URL = "/api/v1/reports/social-economy?year=2025"


def test_each_provider_and_member_with_its_recognition_spend_and_nothing_of_other_centrals(
    client, central
):
    second = recognise(central.provider, "lde", valid_from=date(2025, 7, 1), number="LDE-2025-0042")
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "18.50"}] * 2)
    make_work(central.lot, central.member_b, central.ordinary, [{"unit_price": "30.00"}])
    # Work under a framework another central leads is not this coordinator's to report.
    make_work(central.other_framework.lots[0], central.member_a, central.provider, [{}])
    db.session.commit()
    answer = client.get(URL, headers=central.headers("coordinator"))
    assert answer.status_code == 200, answer.json
    rows = {(r["provider_name"], r["member_name"]): r for r in answer.json["rows"]}
    assert set(rows) == {
        (central.provider.name, central.member_a.name),
        (central.ordinary.name, central.member_b.name),
    }
    social = rows[(central.provider.name, central.member_a.name)]
    assert social["spend"] == social["social_spend"] == "37.00"
    assert social["recognition_status"] == "lde lde"  # both recognitions of 2025
    assert second.number in social["recognition_number"].split()
    assert social["provider_enterprise_number"] == central.provider.enterprise_number
    ordinary = rows[(central.ordinary.name, central.member_b.name)]
    assert ordinary["recognition_status"] == "none" and ordinary["recognition_number"] == ""
    assert (ordinary["spend"], ordinary["social_spend"]) == ("30.00", "0.00")


def test_the_export_is_a_csv_and_a_workbook_with_dutch_titles_from_a_page(
    client, login_as, central
):
    from openpyxl import load_workbook

    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "18.50"}])
    db.session.commit()
    by_token = client.get(URL + "&format=csv", headers=central.headers("coordinator"))
    rows = list(
        csv.DictReader(io.StringIO(by_token.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0]["recognition_number"] and Decimal(rows[0]["spend"].replace(",", ".")) == Decimal(
        "18.50"
    )
    login_as(central.users["coordinator"])
    header = client.get(URL + "&format=csv").get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert "Erkenningsnummer" in header.split(";")
    book = load_workbook(io.BytesIO(client.get(URL + "&format=xlsx").data))
    assert book.worksheets[0].max_row == 2


def test_only_coordinators_export_for_the_region(client, central):
    for who in ("member_a", "provider", "admin"):
        assert client.get(URL, headers=central.headers(who)).status_code == 403, who


def test_the_coordinators_reports_page_offers_the_export(client, login_as, central):
    login_as(central.users["coordinator"])
    page = client.get("/reports").get_data(as_text=True)
    assert "/api/v1/reports/social-economy?year=" in page and "format=xlsx" in page


def test_a_members_reports_page_does_not(client, login_as, central):
    login_as(central.users["member_a"])
    assert "/api/v1/reports/social-economy" not in client.get("/reports").get_data(as_text=True)
