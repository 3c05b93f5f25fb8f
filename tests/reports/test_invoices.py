"""Invoices in the provider's name (§7.1): per-provider gapless numbers with the provider's
prefix, credit notes for a negative total with a reference to what they correct, the Belgian
structured communication and the provider's IBAN as payment means, VAT as registered (exempt
category E without a VAT number for a provider not registered), and UBL that passes the
official CEN EN 16931 and Peppol BIS Billing 3.0 rules (run with Saxon)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from central.core.validators import (
    is_structured_communication,
    normalise_iban,
    structured_communication,
)
from central.extensions import db
from central.reports import formats, services
from central.reports.models import Statement
from tests.factories import make_work
from tests.reports.validation import schematron_failures, ubl_errors

JULY_1 = date(2025, 7, 1)
AUG_1 = date(2025, 8, 1)
IBAN = "BE68539007547034"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def issue(day=JULY_1):
    return services.issue_statements(db.session, day)


def statements(provider=None) -> list[Statement]:
    stmt = select(Statement).order_by(Statement.id)
    if provider is not None:
        stmt = stmt.where(Statement.provider_id == provider.id)
    return list(db.session.scalars(stmt))


def accepted(year: int, month: int) -> dict:
    return {"accepted_at": datetime(year, month, 10, tzinfo=UTC)}


@pytest.fixture
def billed(central):
    c = central
    make_work(c.lot, c.member_a, c.provider, [{"unit_price": "18.50"}, {"unit_price": "1.02"}])
    make_work(c.lot, c.member_b, c.provider, [{"unit_price": "18.50"}])
    make_work(c.lot, c.member_a, c.ordinary, [{"unit_price": "40.00"}])
    return c


def credit_everything(c, statement):
    return services.add_credit(
        statement,
        {"amount": str(statement.total_excl_vat), "reason": "Work not done."},
        actor=c.users["coordinator"],
    )


# --- numbering -------------------------------------------------------------------------------


def test_invoice_numbers_run_per_provider_and_year_without_gaps(billed):
    c = billed
    c.provider.invoice_prefix = "LDE-"
    issue()
    assert [s.number for s in statements(c.provider)] == ["LDE-2025-00001", "LDE-2025-00002"]
    assert [s.number for s in statements(c.ordinary)] == ["CEN-2025-00001"]
    make_work(c.lot, c.member_a, c.provider, [{"unit_price": "5.00", **accepted(2025, 7)}])
    issue(AUG_1)
    assert statements(c.provider)[-1].number == "LDE-2025-00003"
    # A new year starts a new series at 1 (issued on 1 January for December's work).
    make_work(c.lot, c.member_a, c.provider, [{"unit_price": "5.00", **accepted(2025, 12)}])
    issue(date(2026, 1, 1))
    newest = statements(c.provider)[-1]
    assert (newest.number, newest.series_year, newest.sequence) == ("LDE-2026-00001", 2026, 1)


def test_an_invoice_number_is_unique_per_provider_not_alone(billed):
    c = billed
    issue()
    first = statements(c.provider)[0]
    other = statements(c.ordinary)[0]
    assert first.number == other.number == "CEN-2025-00001"
    copy = (
        "INSERT INTO statements (number, series_year, sequence, document_type, "
        "payment_reference, framework_id, member_id, provider_id, month, order_reference, "
        "framework_reference, member_name, member_enterprise_number, provider_name, "
        "provider_enterprise_number, total_excl_vat, vat, total_incl_vat, issued_at) "
        "SELECT number, NULL, NULL, document_type, "
        "payment_reference, framework_id, member_id, provider_id, '2024-01', order_reference, "
        "framework_reference, member_name, member_enterprise_number, provider_name, "
        "provider_enterprise_number, total_excl_vat, vat, total_incl_vat, issued_at "
        "FROM statements WHERE id = :id"
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text(copy), {"id": first.id})


# --- credit notes ----------------------------------------------------------------------------


def test_a_statement_with_a_negative_total_is_a_credit_note_referring_to_what_it_corrects(
    client, billed
):
    c = billed
    issue()
    june = statements(c.provider)[0]
    assert june.document_type == "invoice"
    credit_everything(c, june)
    issue(AUG_1)
    note = statements(c.provider)[-1]
    assert note.total_incl_vat < 0
    assert (note.document_type, note.corrects, note.number) == (
        "credit_note",
        [june.id],
        "CEN-2025-00003",
    )
    body = client.get(f"/api/v1/statements/{note.id}", headers=c.headers("member_a")).json
    assert body["document_type"] == "credit_note" and body["corrects"] == [june.id]
    assert body["provider_id"] == c.provider.id
    assert body["payment_reference"] == note.payment_reference
    root = etree.fromstring(formats.issued_ubl(note))
    assert etree.QName(root).localname == "CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert reference.findtext("cbc:ID", namespaces=NS) == june.number
    # A credit note credits positive amounts.
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == str(
        -note.total_incl_vat
    )


# --- payment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (2025000001, None),
        (97, "+++000/0000/09797+++"),  # remainder 0: check digits 97
        (1, "+++000/0000/00101+++"),
    ],
)
def test_the_payment_reference_is_a_belgian_structured_communication(base, expected):
    reference = structured_communication(base)
    digits = reference.strip("+").replace("/", "")
    assert int(digits[10:]) == (int(digits[:10]) % 97 or 97)
    assert is_structured_communication(reference)
    if expected is not None:
        assert reference == expected
    assert not is_structured_communication(reference[:-5] + "0+++")


def test_a_statement_carries_its_payment_reference_and_the_providers_iban(login_as, billed):
    c = billed
    c.provider.iban = IBAN
    issue()
    statement = statements(c.provider)[0]
    assert statement.payment_reference == structured_communication(2025 * 10**6 + 1)
    assert statement.provider_iban == IBAN
    page = login_as(c.users["member_a"]).get(f"/statements/{statement.id}/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert statement.payment_reference in html and "BE68 5390 0754 7034" in html
    root = etree.fromstring(formats.issued_ubl(statement))
    means = root.find("cac:PaymentMeans", NS)
    assert means.findtext("cbc:PaymentMeansCode", namespaces=NS) == "58"
    assert means.findtext("cbc:PaymentID", namespaces=NS) == statement.payment_reference
    assert means.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS) == IBAN


def test_an_iban_is_checked_mod_97():
    assert normalise_iban("be68 5390 0754 7034") == IBAN
    for bad in ("BE68 5390 0754 7035", "BE68 5390 0754 703", "XX", "68539007547034"):
        with pytest.raises(ValueError):
            normalise_iban(bad)


# --- VAT as registered -----------------------------------------------------------------------


def test_a_provider_not_registered_for_vat_is_invoiced_exempt_without_a_vat_number(billed):
    c = billed
    c.ordinary.vat_registered = False
    issue()
    (statement,) = statements(c.ordinary)
    assert statement.provider_vat_number is None
    assert (statement.vat, statement.total_incl_vat) == (Decimal("0.00"), Decimal("40.00"))
    root = etree.fromstring(formats.issued_ubl(statement))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    schemes = [
        (t.findtext("cac:TaxScheme/cbc:ID", namespaces=NS), t.findtext("cbc:CompanyID", "", NS))
        for t in seller.findall("cac:PartyTaxScheme", NS)
    ]
    digits = c.ordinary.enterprise_number.replace(".", "")
    assert schemes == [("LOC", digits)]  # BT-32, never a VAT number it does not have
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == digits
    category = root.find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)
    assert category.findtext("cbc:ID", namespaces=NS) == "E"
    assert category.findtext("cbc:TaxExemptionReasonCode", namespaces=NS) == "VATEX-EU-132"
    assert schematron_failures(formats.issued_ubl(statement)) == []


def test_a_zero_rate_line_of_a_vat_registered_provider_is_exempt_not_zero_rated(billed):
    c = billed
    make_work(c.lot, c.member_b, c.ordinary, [{"unit_price": "10.00", "vat_rate": "0.00"}])
    issue()
    (statement,) = [s for s in statements(c.ordinary) if s.member_id == c.member_b.id]
    root = etree.fromstring(formats.issued_ubl(statement))
    categories = root.findall("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID", NS)
    assert [e.text for e in categories] == ["E"]
    assert schematron_failures(formats.issued_ubl(statement)) == []


# --- the official rules ----------------------------------------------------------------------


def test_ubl_invoices_and_credit_notes_pass_the_official_en16931_and_peppol_rules(billed):
    c = billed
    c.provider.iban = IBAN
    c.ordinary.vat_registered = False
    make_work(
        c.lot,
        c.member_b,
        c.ordinary,
        [{"unit_price": "10.00", "vat_rate": "6.00"}, {"unit_price": "7.35", "quantity": "2.5"}],
    )
    issue()
    credit_everything(c, statements(c.provider)[0])
    services.add_credit(
        statements(c.ordinary)[0],
        {"amount": "5.00", "reason": "Late."},
        actor=c.users["coordinator"],
    )
    make_work(c.lot, c.member_b, c.provider, [{"unit_price": "30.00", **accepted(2025, 7)}])
    issue(AUG_1)
    kinds = set()
    for statement in statements():
        xml = formats.issued_ubl(statement)
        kinds.add(statement.document_type)
        assert ubl_errors(xml) == [], statement.number
        assert schematron_failures(xml) == [], statement.number
    assert kinds == {"invoice", "credit_note"}


def test_the_official_rules_catch_a_broken_invoice(billed):
    issue()
    root = etree.fromstring(formats.issued_ubl(statements(billed.provider)[0]))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    seller.remove(seller.find("cac:PartyTaxScheme", NS))  # S without a seller VAT number
    root.find("cbc:InvoiceTypeCode", NS).text = "999"
    failures = schematron_failures(etree.tostring(root))
    assert any(f.startswith("BR-S-02") for f in failures), failures
    assert any(f.startswith("BR-CL-01") for f in failures), failures
