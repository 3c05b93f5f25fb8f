"""Reports through the JSON API: every route for each role × own / other tenant (404 outside
reach, 403 where visible but not the user's action), bad input (400, nothing written), and the
CSV and XLSX downloads (well-formed, never a formula)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from central.extensions import db
from central.reports import services
from central.reports.models import Credit, MaintenanceBudget, Statement
from tests.factories import make_task_type, make_work

ROLES = ("admin", "coordinator", "other_coordinator", "member_a", "member_b", "provider")


@pytest.fixture
def billed(central):
    """June work for member A under both frameworks and for member B, issued on 1 July."""
    make_work(central.lot, central.member_a, central.provider, [{"unit_price": "18.50"}] * 2)
    make_work(central.other_framework.lots[0], central.member_a, central.provider, [{}])
    make_work(central.lot, central.member_b, central.provider, [{"unit_price": "30.00"}])
    services.issue_statements(db.session, date(2025, 7, 1))
    return central


def statement_of(c, member, framework) -> Statement:
    return db.session.scalar(
        select(Statement).where(
            Statement.member_id == member.id, Statement.framework_id == framework.id
        )
    )


# --- budgets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("member_a", "member_a", 200),
        ("member_a", "member_b", 404),
        ("coordinator", "member_a", 200),  # a member of its framework
        ("coordinator", "lead", 200),  # its own authority
        ("other_coordinator", "member_b", 404),
        ("other_coordinator", "member_a", 200),  # member A joined its framework too
        ("provider", "member_a", 404),
        ("admin", "member_a", 404),
    ],
)
def test_reading_a_budget(client, central, who, whose, status):
    member = getattr(central, whose)
    db.session.add(MaintenanceBudget(member_id=member.id, year=2025, amount=Decimal("250000.00")))
    response = client.get(f"/api/v1/budgets/{member.id}/2025", headers=central.headers(who))
    assert response.status_code == status
    if status == 200:
        assert response.json["maintenance_budget"] == "250000.00"
        assert response.json["member_id"] == member.id and response.json["year"] == 2025


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [
        ("member_a", "member_a", 200),
        ("member_a", "member_b", 404),
        ("coordinator", "lead", 200),
        ("coordinator", "member_a", 403),  # visible, but the member's own figure
        ("other_coordinator", "member_b", 404),
        ("provider", "member_a", 404),
        ("admin", "member_a", 404),
    ],
)
def test_entering_a_budget(client, central, who, whose, status):
    member = getattr(central, whose)
    response = client.put(
        f"/api/v1/budgets/{member.id}/2026",
        headers=central.headers(who),
        json={"maintenance_budget": "180000.50"},
    )
    assert response.status_code == status
    stored = services.get_budget(member.id, 2026)
    if status == 200:
        assert response.json["maintenance_budget"] == "180000.50"
        assert stored.amount == Decimal("180000.50")
    else:
        assert stored is None


def test_a_new_budget_figure_replaces_the_old_one(client, central):
    url = f"/api/v1/budgets/{central.member_a.id}/2025"
    headers = central.headers("member_a")
    assert client.get(url, headers=headers).json["maintenance_budget"] is None
    client.put(url, headers=headers, json={"maintenance_budget": "100.00"})
    client.put(url, headers=headers, json={"maintenance_budget": "200"})
    assert client.get(url, headers=headers).json["maintenance_budget"] == "200.00"
    count = db.session.scalar(select(func.count()).select_from(MaintenanceBudget))
    assert count == 1


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        (2025, {"maintenance_budget": "-1"}, "maintenance_budget"),
        (2025, {"maintenance_budget": "12.345"}, "maintenance_budget"),
        (2025, {"maintenance_budget": "abc"}, "maintenance_budget"),
        (2025, {"maintenance_budget": 12.5}, "maintenance_budget"),
        (2025, {"maintenance_budget": None}, "maintenance_budget"),
        (2025, {}, "maintenance_budget"),
        (2025, {"maintenance_budget": "1", "other": 1}, "other"),
        (1999, {"maintenance_budget": "1"}, "year"),
    ],
)
def test_a_bad_budget_answers_400_and_writes_nothing(client, central, year, body, field):
    response = client.put(
        f"/api/v1/budgets/{central.member_a.id}/{year}",
        headers=central.headers("member_a"),
        json=body,
    )
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(MaintenanceBudget)) == 0


# --- the month's statement ---------------------------------------------------------------------


def statement_url(member, month="2025-06", **extra) -> str:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return f"/api/v1/reports/statement?member={member.id}&month={month}" + (
        f"&{query}" if query else ""
    )


@pytest.mark.parametrize(
    ("who", "whose", "status", "total"),
    [
        ("member_a", "member_a", 200, "67.16"),  # both frameworks: 44.77 + 22.39
        ("member_a", "member_b", 404, None),
        ("member_b", "member_b", 200, "36.30"),
        ("coordinator", "member_a", 200, "44.77"),  # only the lines of its framework
        ("other_coordinator", "member_a", 200, "22.39"),
        ("other_coordinator", "member_b", 404, None),
        ("provider", "member_a", 404, None),
        ("admin", "member_a", 404, None),
    ],
)
def test_the_months_statement_by_role(client, billed, who, whose, status, total):
    response = client.get(statement_url(getattr(billed, whose)), headers=billed.headers(who))
    assert response.status_code == status
    if status == 200:
        assert response.json["total_incl_vat"] == total
        assert response.json["month"] == "2025-06"
        for line in response.json["lines"]:
            assert set(line) >= {
                "framework_id",
                "provider_id",
                "task_type",
                "unit",
                "quantity",
                "unit_price",
                "vat_rate",
                "amount",
            }
            assert isinstance(line["amount"], str)
            assert line["provider_name"] == "Groep Intro LDE" and line["tasks"] >= 1
    else:
        assert response.json["error"]["code"] == "not_found"


def test_a_coordinator_sees_only_its_frameworks_lines(client, billed):
    lines = client.get(statement_url(billed.member_a), headers=billed.headers("coordinator")).json[
        "lines"
    ]
    assert {line["framework_id"] for line in lines} == {billed.framework.id}


def test_a_member_may_leave_out_the_member(client, billed):
    response = client.get(
        "/api/v1/reports/statement?month=2025-06", headers=billed.headers("member_a")
    )
    assert response.status_code == 200
    assert response.json["member_id"] == billed.member_a.id


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("member={a}&month=2025-13", "month"),
        ("member={a}", "month"),
        ("member=abc&month=2025-06", "member"),
        ("month=2025-06", "member"),
        ("member={a}&month=2025-06&format=pdf", "format"),
        ("member={a}&month=2025-06&framework=x", "framework"),
    ],
)
def test_bad_statement_queries_answer_400(client, billed, query, field):
    url = "/api/v1/reports/statement?" + query.format(a=billed.member_a.id)
    response = client.get(url, headers=billed.headers("coordinator"))
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def _csv_rows(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert all(len(row) == len(rows[0]) for row in rows)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _sum(rows: list[dict[str, str]], column: str) -> Decimal:
    return sum((Decimal(r[column].replace(",", ".")) for r in rows if r[column]), Decimal(0))


def test_csv_exports_put_totals_and_vat_in_their_own_rows_and_columns(client, billed):
    """Summing the amount column adds up the lines only; VAT per rate and the totals each have
    rows and columns of their own; the VAT label writes the rate with a decimal comma."""
    response = client.get(
        statement_url(billed.member_a, format="csv"), headers=billed.headers("member_a")
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    assert [r["row_type"] for r in rows][-1] == "total"
    lines = [r for r in rows if r["row_type"] == "line"]
    vat = [r for r in rows if r["row_type"] == "vat"]
    (total,) = [r for r in rows if r["row_type"] == "total"]
    assert _sum(rows, "amount") == _sum(lines, "amount") == Decimal("55.50")
    assert all(not r["amount"] and not r["unit_price"] for r in vat + [total])
    assert _sum(rows, "vat_base") == Decimal("55.50")
    assert _sum(rows, "vat_amount") == Decimal(total["total_vat"].replace(",", "."))
    assert (total["total_excl_vat"], total["total_incl_vat"]) == ("55,50", "67,16")
    assert all(r["task_type_name"].startswith("btw 21,00 %") for r in vat)
    assert all(not r[c] for r in lines for c in ("vat_base", "total_excl_vat", "total_vat"))


def test_api_csv_downloads_name_their_charset_once(client, billed):
    statement = statement_of(billed, billed.member_a, billed.framework)
    headers = billed.headers("member_a")
    for url in (
        statement_url(billed.member_a, format="csv"),
        f"/api/v1/statements/{statement.id}?format=csv",
    ):
        content_type = client.get(url, headers=headers).headers["Content-Type"]
        assert content_type == "text/csv; charset=utf-8"


def test_the_statement_as_xlsx_is_well_formed(client, billed):
    response = client.get(
        statement_url(billed.member_a, format="xlsx"), headers=billed.headers("member_a")
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["lines", "vat", "totals"]
    lines = list(book["lines"].values)
    assert lines[0][-1] == "amount"
    assert sum(Decimal(str(row[-1])) for row in lines[1:]) == Decimal("55.50")
    assert list(book["totals"].values)[1] == (55.5, 11.66, 67.16) or list(book["totals"].values)[1][
        2
    ] == pytest.approx(57.48)


def test_downloads_never_carry_a_formula(client, central):
    evil = make_task_type(central.lot, "evil", name='=HYPERLINK("http://x","click")')
    make_work(central.lot, central.member_a, central.provider, [{"task_type": evil}])
    headers = central.headers("member_a")
    text = client.get(statement_url(central.member_a, format="csv"), headers=headers).get_data(
        as_text=True
    )
    cells = [
        c for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";") for c in row
    ]
    assert '\'=HYPERLINK("http://x","click")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    data = client.get(statement_url(central.member_a, format="xlsx"), headers=headers).data
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value


# --- issued statements ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("member_a", {("member_a", "framework"), ("member_a", "other_framework")}),
        ("member_b", {("member_b", "framework")}),
        ("coordinator", {("member_a", "framework"), ("member_b", "framework")}),
        ("other_coordinator", {("member_a", "other_framework")}),
        ("provider", set()),
        ("admin", set()),
    ],
)
def test_listing_issued_statements_by_role(client, billed, who, expected):
    response = client.get("/api/v1/statements", headers=billed.headers(who))
    assert response.status_code == 200
    names = {
        billed.member_a.id: "member_a",
        billed.member_b.id: "member_b",
    }
    frameworks = {billed.framework.id: "framework", billed.other_framework.id: "other_framework"}
    got = {(names[s["member_id"]], frameworks[s["framework_id"]]) for s in response.json}
    assert got == expected
    assert response.headers["X-Total-Count"] == str(len(expected))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member_a", 200),
        ("member_b", 404),
        ("coordinator", 200),
        ("other_coordinator", 404),
        ("provider", 404),
        ("admin", 404),
    ],
)
@pytest.mark.parametrize("kind", ["json", "csv", "xlsx", "ubl"])
def test_reading_an_issued_statement(client, billed, who, status, kind):
    statement = statement_of(billed, billed.member_a, billed.framework)
    response = client.get(
        f"/api/v1/statements/{statement.id}?format={kind}", headers=billed.headers(who)
    )
    assert response.status_code == status
    if status == 200 and kind == "json":
        body = response.json
        assert body["number"] == statement.number
        assert body["order_reference"] == "ARD-2025-0042"
        assert body["total_incl_vat"] == "44.77"
        assert body["lines"][0]["framework_id"] == billed.framework.id
        assert body["vat_breakdown"] == [
            {
                "framework_id": billed.framework.id,
                "provider_id": billed.provider.id,
                "vat_rate": "21.00",
                "base": "37.00",
                "vat": "7.77",
            }
        ]


def test_a_member_never_sees_another_members_statement(client, billed):
    theirs = statement_of(billed, billed.member_b, billed.framework)
    for kind in ("json", "csv", "xlsx", "ubl"):
        response = client.get(
            f"/api/v1/statements/{theirs.id}?format={kind}", headers=billed.headers("member_a")
        )
        assert response.status_code == 404
    listed = client.get(
        f"/api/v1/statements?member={billed.member_b.id}", headers=billed.headers("member_a")
    )
    assert listed.json == []


def test_an_issued_statement_as_csv_and_xlsx(client, billed):
    statement = statement_of(billed, billed.member_a, billed.framework)
    headers = billed.headers("member_a")
    text = client.get(f"/api/v1/statements/{statement.id}?format=csv", headers=headers).get_data(
        as_text=True
    )
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert all(len(row) == len(rows[0]) for row in rows)
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    # The structured communication starts with +: kept as text, never run as a formula.
    assert {(r["number"], r["payment_reference"]) for r in table} == {
        (statement.number, "'" + statement.payment_reference)
    }
    assert table[-1]["row_type"] == "total" and table[-1]["total_incl_vat"] == "44,77"
    assert _sum(table, "amount") == statement.total_excl_vat
    data = client.get(f"/api/v1/statements/{statement.id}?format=xlsx", headers=headers).data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["statement", "lines", "vat"]
    header, values = list(book["statement"].values)
    facts = dict(zip(header, values, strict=True))
    assert facts["number"] == statement.number
    assert (facts["document_type"], facts["payment_reference"]) == (
        "invoice",
        statement.payment_reference,
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 201),
        ("member_a", 403),
        ("other_coordinator", 404),
        ("member_b", 404),
        ("provider", 404),
        ("admin", 404),
    ],
)
def test_deciding_a_credit(client, billed, who, status):
    statement = statement_of(billed, billed.member_a, billed.framework)
    response = client.post(
        f"/api/v1/statements/{statement.id}/credits",
        headers=billed.headers(who),
        json={"amount": "18.50", "reason": "Counted twice."},
    )
    assert response.status_code == status
    count = db.session.scalar(select(func.count()).select_from(Credit))
    assert count == (1 if status == 201 else 0)
    if status == 201:
        assert response.json["amount"] == "18.50" and response.json["statement_id"] is None


def test_a_bad_credit_answers_400_and_writes_nothing(client, billed):
    statement = statement_of(billed, billed.member_a, billed.framework)
    response = client.post(
        f"/api/v1/statements/{statement.id}/credits",
        headers=billed.headers("coordinator"),
        json={"amount": "99999.00", "reason": "Too much."},
    )
    assert response.status_code == 400
    assert "amount" in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


def test_anonymous_requests_answer_401(client, billed):
    statement = statement_of(billed, billed.member_a, billed.framework)
    for url in (
        f"/api/v1/budgets/{billed.member_a.id}/2025",
        statement_url(billed.member_a),
        "/api/v1/statements",
        f"/api/v1/statements/{statement.id}",
    ):
        assert client.get(url).status_code == 401


def test_a_download_from_a_page_has_column_titles_in_words_a_token_keeps_field_names(
    client, login_as, billed
):
    """§7.6: the member who clicks "Download CSV" reads Dutch column titles (and an XLSX's
    header row); an integration with a token keeps the field names it reads."""
    from openpyxl import load_workbook

    url = statement_url(billed.member_a, format="csv")
    by_token = client.get(url, headers=billed.headers("member_a")).get_data(as_text=True)
    assert by_token.lstrip("\ufeff").startswith("row_type;framework_reference;provider_name")
    login_as(billed.users["member_a"])
    by_page = client.get(url).get_data(as_text=True)
    titles = by_page.lstrip("\ufeff").splitlines()[0].split(";")
    assert titles[:3] == ["Rij", "Referentie raamovereenkomst", "Opdrachtnemer"]
    assert "Eenheidsprijs" in titles and "Totaal incl. btw" in titles
    assert not {"row_type", "unit_price", "vat_rate"} & set(titles)
    # The same rows under either header.
    assert by_page.splitlines()[1:] == by_token.splitlines()[1:]
    book = load_workbook(io.BytesIO(client.get(statement_url(billed.member_a, format="xlsx")).data))
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header[:2] == ["Referentie raamovereenkomst", "Opdrachtnemer"]
