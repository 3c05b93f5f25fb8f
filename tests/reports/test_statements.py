"""Issued statements (rule 7): `issue-statements` issues last month's statements, one per
framework, member and provider, numbered, with the member's order reference; running it twice
issues nothing new; an issued statement never changes — a credit decided by the coordinator
lands on a later statement. The UBL export validates against the UBL 2.1 schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from central.core.errors import Forbidden, ValidationError
from central.extensions import db
from central.jobs.registry import get_job
from central.planning.models import Task
from central.reports import services
from central.reports.models import Credit, ImmutableStatement, Statement, StatementLine
from tests.factories import make_work
from tests.reports.validation import ubl_errors

JULY_1 = date(2025, 7, 1)
AUG_1 = date(2025, 8, 1)
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def issue(day=JULY_1):
    return services.issue_statements(db.session, day)


def statements() -> list[Statement]:
    return list(db.session.scalars(select(Statement).order_by(Statement.id)))


@pytest.fixture
def june_work(central):
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"unit_price": "18.50"}, {"unit_price": "18.50"}, {"unit_price": "1.02"}],
    )
    make_work(central.lot, central.member_a, central.ordinary, [{"unit_price": "40.00"}])
    make_work(central.lot, central.member_b, central.provider, [{"unit_price": "18.50"}])
    make_work(central.other_framework.lots[0], central.member_a, central.provider, [{}])
    return central


def test_one_statement_per_framework_member_and_provider(june_work):
    counts = issue()
    assert counts["issued"] == 4
    assert counts["month"] == "2025-06"
    keys = {(s.framework_id, s.member_id, s.provider_id, s.month) for s in statements()}
    c = june_work
    assert keys == {
        (c.framework.id, c.member_a.id, c.provider.id, "2025-06"),
        (c.framework.id, c.member_a.id, c.ordinary.id, "2025-06"),
        (c.framework.id, c.member_b.id, c.provider.id, "2025-06"),
        (c.other_framework.id, c.member_a.id, c.provider.id, "2025-06"),
    }


def test_issue_statements_run_twice_issues_nothing_new(june_work):
    first = issue()
    before = [(s.id, s.number, s.total_incl_vat) for s in statements()]
    second = issue()
    assert first["issued"] == 4
    assert second["issued"] == 0
    assert [(s.id, s.number, s.total_incl_vat) for s in statements()] == before


def test_issue_statements_through_the_job_runner_twice(app, june_work):
    from central.jobs.runner import run_job

    first = run_job("issue-statements", today=JULY_1)
    second = run_job("issue-statements", today=JULY_1)
    assert get_job("issue-statements").fn is services.issue_statements
    assert (first.status, first.counts["issued"]) == ("succeeded", 4)
    assert (second.status, second.counts["issued"]) == ("succeeded", 0)


def test_statements_are_numbered_and_carry_the_order_reference(june_work):
    issue()
    issued = statements()
    c = june_work
    numbers = sorted((s.provider_id, s.number) for s in issued)
    assert numbers == [
        *[(c.provider.id, f"CEN-2025-{n:05d}") for n in range(1, 4)],
        (c.ordinary.id, "CEN-2025-00001"),
    ]
    by_key = {(s.framework_id, s.member_id, s.provider_id): s for s in issued}
    c = june_work
    a = by_key[(c.framework.id, c.member_a.id, c.provider.id)]
    assert a.order_reference == "ARD-2025-0042"
    assert by_key[(c.framework.id, c.member_b.id, c.provider.id)].order_reference == "HOO/BK/7"
    assert by_key[(c.other_framework.id, c.member_a.id, c.provider.id)].order_reference == (
        "ARD-KOR-1"
    )
    # 2 × 18.50 + 1.02 = 38.02; VAT on the total: 7.9842 -> 7.98.
    assert (a.total_excl_vat, a.vat, a.total_incl_vat) == (
        Decimal("38.02"),
        Decimal("7.98"),
        Decimal("46.00"),
    )
    assert [(line.quantity, line.unit_price, line.amount) for line in a.lines] == [
        (Decimal("1.000"), Decimal("1.02"), Decimal("1.02")),
        (Decimal("2.000"), Decimal("18.50"), Decimal("37.00")),
    ]
    assert a.member_name == "Gemeente Ardooie" and a.provider_name == "Groep Intro LDE"


def test_issued_statement_totals_equal_the_months_report(june_work):
    from central.reports import builders

    issue()
    c = june_work
    issued = [s for s in statements() if s.member_id == c.member_a.id]
    report = builders.statement_report(db.session, c.member_a.id, date(2025, 6, 1))
    assert sum(s.total_excl_vat for s in issued) == report.totals.total_excl_vat
    assert sum(s.vat for s in issued) == report.totals.vat
    assert sum(s.total_incl_vat for s in issued) == report.totals.total_incl_vat


def test_a_month_without_work_issues_nothing(central):
    assert issue()["issued"] == 0
    assert statements() == []


def test_work_accepted_this_month_waits_for_next_months_run(central):
    make_work(
        central.lot,
        central.member_a,
        central.provider,
        [{"accepted_at": datetime(2025, 7, 1, 8, tzinfo=UTC)}],
    )
    assert issue()["issued"] == 0
    assert issue(AUG_1)["issued"] == 1
    assert statements()[0].month == "2025-07"


def test_a_missed_month_is_still_issued(central):
    make_work(central.lot, central.member_a, central.provider, [{}])
    # The run of 1 July did not happen; the run of 1 August issues June too.
    counts = issue(AUG_1)
    assert counts["issued"] == 1
    assert statements()[0].month == "2025-06"


# --- immutability and credits (rule 7) ---------------------------------------------------------


def test_issued_statement_is_immutable(june_work):
    issue()
    statement = statements()[0]
    statement.total_incl_vat = Decimal("0.00")
    with pytest.raises(ImmutableStatement):
        db.session.flush()
    db.session.rollback()


def test_issued_statement_line_is_immutable(june_work):
    issue()
    line = db.session.scalars(select(StatementLine)).first()
    db.session.delete(line)
    with pytest.raises(ImmutableStatement):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE statements SET total_incl_vat = 0",
        "DELETE FROM statement_lines",
        "DELETE FROM statements",
    ],
)
def test_the_database_refuses_to_change_an_issued_statement(june_work, sql):
    issue()
    savepoint = db.session.begin_nested()
    with pytest.raises(DBAPIError, match="immutable"):
        db.session.execute(text(sql))
    savepoint.rollback()
    assert len(statements()) == 4


def test_there_is_no_edit_path_for_an_issued_statement(client, june_work):
    issue()
    statement = statements()[0]
    url = f"/api/v1/statements/{statement.id}"
    headers = june_work.headers("coordinator")
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(url, headers=headers, json={"total_incl_vat": "0"})
        assert response.status_code == 405


def test_a_credit_lands_on_a_later_statement(june_work):
    c = june_work
    issue()
    june = next(
        s
        for s in statements()
        if (s.member_id, s.provider_id) == (c.member_a.id, c.provider.id)
        and s.framework_id == c.framework.id
    )
    before = (june.total_excl_vat, june.vat, june.total_incl_vat, len(june.lines))
    credit = services.add_credit(
        june,
        {"amount": "18.50", "reason": "Hydrant HK-1 was counted twice."},
        actor=c.users["coordinator"],
    )
    assert credit.vat_rate == Decimal("21.00") and credit.pending
    make_work(
        c.lot,
        c.member_a,
        c.provider,
        [{"accepted_at": datetime(2025, 7, 10, tzinfo=UTC), "unit_price": "100.00"}],
    )
    issue(AUG_1)
    db.session.refresh(june)
    assert (june.total_excl_vat, june.vat, june.total_incl_vat, len(june.lines)) == before
    july = db.session.get(Statement, credit.statement_id)
    assert july.month == "2025-07" and july.id != june.id
    kinds = [(line.kind, line.amount) for line in july.lines]
    assert kinds == [("work", Decimal("100.00")), ("credit", Decimal("-18.50"))]
    # VAT on the rate's total: (100.00 - 18.50) × 21 % = 17.115 -> 17.12.
    assert (july.total_excl_vat, july.vat, july.total_incl_vat) == (
        Decimal("81.50"),
        Decimal("17.12"),
        Decimal("98.62"),
    )


def test_a_credit_without_new_work_gets_a_statement_of_its_own(june_work):
    c = june_work
    issue()
    june = statements()[0]
    services.add_credit(
        june, {"amount": "1.00", "reason": "Price error."}, actor=c.users["coordinator"]
    )
    counts = issue(AUG_1)
    assert counts["issued"] == 1
    credit_statement = statements()[-1]
    assert credit_statement.month == "2025-07"
    assert credit_statement.total_excl_vat == Decimal("-1.00")
    assert issue(AUG_1)["issued"] == 0


def test_only_the_lead_coordinator_decides_a_credit(june_work):
    c = june_work
    issue()
    june = next(s for s in statements() if s.framework_id == c.framework.id)
    for who in ("member_a", "other_coordinator", "provider"):
        with pytest.raises(Forbidden):
            services.add_credit(june, {"amount": "1.00", "reason": "x"}, actor=c.users[who])
    assert db.session.scalar(select(func.count()).select_from(Credit)) == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "0", "reason": "x"}, "amount"),
        ({"amount": "-5", "reason": "x"}, "amount"),
        ({"amount": "1.001", "reason": "x"}, "amount"),
        ({"amount": "5000.00", "reason": "x"}, "amount"),
        ({"amount": "1.00", "reason": " "}, "reason"),
        ({"amount": "1.00", "reason": "x", "vat_rate": "6"}, "vat_rate"),
    ],
)
def test_a_bad_credit_is_refused(june_work, values, field):
    issue()
    june = statements()[0]
    with pytest.raises(ValidationError) as caught:
        services.add_credit(june, values, actor=june_work.users["coordinator"])
    assert field in caught.value.fields


def test_credits_never_exceed_the_work_of_the_statement(june_work):
    issue()
    june = statements()[0]
    coordinator = june_work.users["coordinator"]
    services.add_credit(
        june, {"amount": str(june.total_excl_vat), "reason": "all"}, actor=coordinator
    )
    with pytest.raises(ValidationError):
        services.add_credit(june, {"amount": "0.01", "reason": "more"}, actor=coordinator)


# --- Peppol BIS Billing 3.0 ---------------------------------------------------------------------


def test_the_ubl_invoice_validates_against_the_ubl_2_1_schema(client, june_work):
    issue()
    statement = statements()[0]
    response = client.get(
        f"/api/v1/statements/{statement.id}?format=ubl", headers=june_work.headers("member_a")
    )
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert ubl_errors(response.data) == []


def test_the_ubl_invoice_is_a_peppol_bis_billing_invoice(june_work):
    from central.reports import formats

    c = june_work
    issue()
    june = next(
        s
        for s in statements()
        if (s.framework_id, s.member_id, s.provider_id)
        == (c.framework.id, c.member_a.id, c.provider.id)
    )
    root = etree.fromstring(formats.issued_ubl(june))
    one = lambda path: root.findtext(path, namespaces=NS)  # noqa: E731
    assert one("cbc:CustomizationID") == (
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    )
    assert one("cbc:ProfileID") == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert one("cbc:ID") == june.number
    assert one("cbc:BuyerReference") == "ARD-2025-0042"
    assert one("cbc:InvoiceTypeCode") == "380"
    assert one("cbc:DocumentCurrencyCode") == "EUR"
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    endpoint = seller.find("cbc:EndpointID", NS)
    assert endpoint.get("schemeID") == "0208"
    assert endpoint.text == c.provider.enterprise_number.replace(".", "")
    assert seller.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS) == (
        "BE" + endpoint.text
    )
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert buyer.findtext("cbc:EndpointID", namespaces=NS) == (
        c.member_a.enterprise_number.replace(".", "")
    )
    assert buyer.findtext("cac:PartyLegalEntity/cbc:RegistrationName", namespaces=NS) == (
        "Gemeente Ardooie"
    )
    (subtotal,) = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert subtotal.findtext("cbc:TaxableAmount", namespaces=NS) == "38.02"
    assert subtotal.findtext("cbc:TaxAmount", namespaces=NS) == "7.98"
    assert subtotal.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS) == "21.00"
    assert one("cac:TaxTotal/cbc:TaxAmount") == "7.98"
    totals = "cac:LegalMonetaryTotal/cbc:"
    assert one(totals + "LineExtensionAmount") == "38.02"
    assert one(totals + "TaxExclusiveAmount") == "38.02"
    assert one(totals + "TaxInclusiveAmount") == "46.00"
    assert one(totals + "PayableAmount") == "46.00"
    lines = root.findall("cac:InvoiceLine", NS)
    assert [line.findtext("cbc:LineExtensionAmount", namespaces=NS) for line in lines] == [
        "1.02",
        "37.00",
    ]
    assert sum(
        Decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS)) for line in lines
    ) == (Decimal(one(totals + "LineExtensionAmount")))


def test_a_ubl_invoice_with_two_rates_and_a_credit_validates(june_work):
    from central.reports import formats

    c = june_work
    make_work(
        c.lot,
        c.member_b,
        c.ordinary,
        [{"unit_price": "10.00", "vat_rate": "6.00"}, {"unit_price": "20.00"}],
    )
    issue()
    statement = next(
        s for s in statements() if (s.member_id, s.provider_id) == (c.member_b.id, c.ordinary.id)
    )
    services.add_credit(
        statement,
        {"amount": "2.00", "vat_rate": "6.00", "reason": "Late."},
        actor=c.users["coordinator"],
    )
    issue(AUG_1)
    later = statements()[-1]
    xml = formats.issued_ubl(statement)
    assert ubl_errors(xml) == []
    assert len(etree.fromstring(xml).findall("cac:TaxTotal/cac:TaxSubtotal", NS)) == 2
    credit_xml = formats.issued_ubl(later)
    assert ubl_errors(credit_xml) == []
    line = etree.fromstring(credit_xml).find("cac:CreditNoteLine", NS)
    assert line.findtext("cbc:CreditedQuantity", namespaces=NS) == "1"
    assert line.findtext("cac:Price/cbc:PriceAmount", namespaces=NS) == "2.00"


def test_the_schema_check_catches_a_broken_invoice(june_work):
    from central.reports import formats

    issue()
    root = etree.fromstring(formats.issued_ubl(statements()[0]))
    root.remove(root.find("cbc:IssueDate", NS))
    assert ubl_errors(etree.tostring(root)) != []


def test_the_order_reference_is_that_of_the_accession_covering_the_billed_lots():
    from central.reports.services import order_reference
    from tests.factories import make_accession, make_active_framework, make_lot, make_org

    member = make_org("authority")
    framework = make_active_framework(members=[])
    first = framework.lots[0]
    second = make_lot(framework)
    make_accession(framework, member, lots=[first], order_reference="ORDER-LOT-1")
    make_accession(framework, member, lots=[second], order_reference="ORDER-LOT-2")
    assert order_reference(framework.id, member.id, [first.id]) == "ORDER-LOT-1"
    assert order_reference(framework.id, member.id, [second.id, None]) == "ORDER-LOT-2"
    both = order_reference(framework.id, member.id, [first.id, second.id])
    assert set(both.split(", ")) == {"ORDER-LOT-1", "ORDER-LOT-2"}
    assert order_reference(framework.id, member.id) in {"ORDER-LOT-1", "ORDER-LOT-2"}


def test_statement_lines_are_sums_of_task_amounts_so_reports_and_statements_agree_to_the_cent(
    central,
):
    """§7.1: work priced per m² with quantities whose products end in half a cent: each task's
    amount is rounded once, when planned; the consumption report's accepted value and the
    issued statement are both sums of those amounts, never a cent apart."""
    from central.reports import builders

    tasks = [{"unit": "m2", "unit_price": "1.25", "quantity": "0.50"} for _ in range(7)]
    tasks += [{"unit": "m2", "unit_price": "1.25", "quantity": "12.30"}]
    make_work(central.lot, central.member_a, central.provider, tasks)
    stored = db.session.scalars(select(Task.amount).order_by(Task.id)).all()
    assert stored == [Decimal("0.63")] * 7 + [Decimal("15.38")]  # 0.625 and 15.375, half up
    issue()
    (statement,) = statements()
    (line,) = statement.lines
    assert (line.quantity, line.amount) == (Decimal("15.800"), Decimal("19.79"))
    consumption = builders.build_consumption(db.session, central.framework, JULY_1)
    assert consumption["accepted"] == statement.total_excl_vat == Decimal("19.79")
    report = builders.statement_report(db.session, central.member_a.id, date(2025, 6, 1))
    assert report.totals.total_excl_vat == statement.total_excl_vat
