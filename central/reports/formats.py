"""Formats of the reports, separate from their builders: JSON-ready rows (money as strings),
CSV and XLSX downloads that a spreadsheet cannot run as formulas, and the Peppol BIS Billing 3.0
(UBL 2.1) invoice or credit note of an issued statement."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from lxml import etree
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from central.core.clock import BRUSSELS

# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def plain(value: Any) -> Any:
    """A cell value for JSON: money and quantities as strings ("1234.50"), dates ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars from pandas
        return value.item()
    if value is not None and not isinstance(value, str | int | bool) and pd.isna(value):
        return None
    return value


def frame_records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict]:
    """The rows of a DataFrame as JSON-ready dicts."""
    columns = list(columns or frame.columns)
    return [
        {c: plain(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]


# --- CSV and XLSX -------------------------------------------------------------------------------


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal | int | float):
        # Belgian spreadsheets read `;`-separated files with decimal commas.
        return str(value).replace(".", ",")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_text(str(value))


# Column titles for a person's download (§7.6): a download asked from a page (the browser
# session) has its columns in words of the reader's language; a client with a token keeps the
# field names, which integrations read.
COLUMN_TITLES = {
    "amount": _l("Amount"),
    "base": _l("Taxable amount"),
    "corrects": _l("Corrects"),
    "defects": _l("Defects"),
    "description": _l("Description"),
    "document_type": _l("Document type"),
    "enterprise_number": _l("Enterprise number"),
    "external_social_spend": _l("Social spend outside the platform"),
    "framework_reference": _l("Framework reference"),
    "fte": _l("FTE"),
    "hours": _l("Hours"),
    "issued_at": _l("Issued at"),
    "kind": _l("Kind of line"),
    "lead_name": _l("Lead authority"),
    "maintenance_budget": _l("Maintenance budget"),
    "member_enterprise_number": _l("Member enterprise number"),
    "member_name": _l("Member"),
    "month": _l("Month"),
    "number": _l("Number"),
    "order_reference": _l("Order reference"),
    "payment_reference": _l("Payment reference"),
    "position": _l("Line"),
    "provider_enterprise_number": _l("Provider enterprise number"),
    "provider_iban": _l("Provider IBAN"),
    "provider_name": _l("Provider"),
    "provider_vat_number": _l("Provider VAT number"),
    "recognition_number": _l("Recognition number"),
    "recognition_status": _l("Recognition"),
    "recognition_valid": _l("Recognition valid (from/until)"),
    "quantity": _l("Quantity"),
    "row_type": _l("Row"),
    "scope": _l("Scope"),
    "share_percent": _l("Share of budget (%)"),
    "social_economy_status": _l("Social-economy status"),
    "social_share_of_spend": _l("Social share of spend (%)"),
    "social_spend": _l("Social spend"),
    "social_spend_counted": _l("Social spend counted"),
    "source": _l("Source"),
    "spend": _l("Spend"),
    "target_group_hours": _l("Target-group hours"),
    "target_met": _l("Target met"),
    "target_percent": _l("Target (%)"),
    "task_type": _l("Task type code"),
    "task_type_name": _l("Task type"),
    "tasks": _l("Tasks"),
    "total_excl_vat": _l("Total excl. VAT"),
    "total_incl_vat": _l("Total incl. VAT"),
    "total_vat": _l("Total VAT"),
    "unit": _l("Unit"),
    "unit_price": _l("Unit price"),
    "vat": _l("VAT"),
    "vat_amount": _l("VAT amount"),
    "vat_base": _l("VAT base"),
    "vat_rate": _l("VAT rate (%)"),
    "worker_days": _l("Worker-days"),
    "year": _l("Year"),
}


def column_titles(headers: Sequence[str]) -> list[str]:
    """The headers as the reader of the download sees them: words for a person, field names for
    a client with a token (and outside a request)."""
    from flask import g, has_request_context

    if not (has_request_context() and g.get("api_auth") == "session"):
        return [str(h) for h in headers]
    return [str(COLUMN_TITLES.get(h, h)) for h in headers]


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A `;`-separated UTF-8 CSV with a BOM and decimal commas, as Excel in Belgium opens it;
    text cells never start a formula."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in column_titles(headers)])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one sheet per (title, headers, rows): numbers as numbers (money with
    two decimals), text always as text — never a formula."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(column_titles(headers))
        for cell in sheet[1]:
            _as_text(cell, cell.value)
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if value is None:
                    continue
                if isinstance(value, Decimal):
                    cell.value = float(value)
                    cell.number_format = "#,##0.00" if value.as_tuple().exponent == -2 else "0.###"
                elif isinstance(value, bool | int | float):
                    cell.value = value
                elif isinstance(value, datetime):
                    cell.value = value.astimezone(BRUSSELS).replace(tzinfo=None)
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, date):
                    cell.value = value
                    cell.number_format = "yyyy-mm-dd"
                else:
                    _as_text(cell, str(value))
        for c, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = max(12, min(40, len(header) + 4))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(cell: Any, text: str) -> None:
    """Store text as a text cell (never a formula); text that looks like one gets Excel's
    quote prefix, so that editing the cell keeps it text."""
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


# --- Peppol BIS Billing 3.0 (UBL 2.1) ----------------------------------------------------------

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
KBO_SCHEME = "0208"  # ISO 6523 ICD: Belgian enterprise number
# Units of measure (UN/ECE Recommendation 20) for the price units.
UNIT_CODES = {"piece": "H87", "m": "MTR", "m2": "MTK", "hour": "HUR"}
PAYMENT_DAYS = 30
# UNCL1001 document types: commercial invoice, credit note.
INVOICE_TYPE_CODE, CREDIT_NOTE_TYPE_CODE = "380", "381"
# UNCL4461: SEPA credit transfer (an IBAN is given); "instrument not defined" without one.
SEPA_CREDIT_TRANSFER, PAYMENT_MEANS_UNDEFINED = "58", "1"
# Exempt work (UNCL5305 "E"): Belgium zero-rates no service the platform bills, so a 0 % line
# is an exemption (art. 44 WBTW, art. 132 of Directive 2006/112/EC), never category Z (zero
# rated goods); a provider not registered for VAT charges none and is exempt on every line.
EXEMPTION_CODE = "VATEX-EU-132"
EXEMPTION_REASON = "Vrijgesteld van btw, art. 44 WBTW / Exempt from VAT, art. 44 Belgian VAT Code"


def vat_category(rate: Decimal, *, vat_registered: bool) -> str:
    """The VAT category (UNCL5305) of a line: standard rate `S`, or exempt `E` (see above)."""
    return "S" if vat_registered and Decimal(rate) > 0 else "E"


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")


def _cbc(parent: etree._Element, name: str, text: Any, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_CBC}}}{name}", **attributes)
    element.text = str(text)
    return element


def _amount(parent: etree._Element, name: str, value: Decimal) -> etree._Element:
    return _cbc(parent, name, f"{Decimal(value):.2f}", currencyID="EUR")


def _digits(enterprise_number: str) -> str:
    return "".join(ch for ch in enterprise_number if ch.isdigit())


def _party(
    parent: etree._Element, name: str, enterprise_number: str, *, vat_number: str | None
) -> None:
    """A party addressed by its enterprise number (scheme 0208); the seller's VAT number
    (BT-31) only when it has one, otherwise its enterprise number as tax registration (BT-32)
    and legal registration (BT-30)."""
    party = _cac(parent, "Party")
    digits = _digits(enterprise_number)
    _cbc(party, "EndpointID", digits, schemeID=KBO_SCHEME)
    identification = _cac(party, "PartyIdentification")
    _cbc(identification, "ID", digits, schemeID=KBO_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", name)
    address = _cac(party, "PostalAddress")
    _cbc(_cac(address, "Country"), "IdentificationCode", "BE")
    if vat_number is not None:
        tax_scheme = _cac(party, "PartyTaxScheme")
        _cbc(tax_scheme, "CompanyID", vat_number)
        _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", name)
    _cbc(legal, "CompanyID", digits, schemeID=KBO_SCHEME)


def _seller_tax_registration(party: etree._Element, enterprise_number: str) -> None:
    """BT-32, the seller's tax registration that is not a VAT number: its enterprise number,
    placed before PartyLegalEntity as UBL orders it."""
    legal = party.find(f"{{{NS_CAC}}}PartyLegalEntity")
    tax_scheme = etree.Element(f"{{{NS_CAC}}}PartyTaxScheme")
    _cbc(tax_scheme, "CompanyID", _digits(enterprise_number))
    _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "LOC")
    legal.addprevious(tax_scheme)


def _tax_category(parent: etree._Element, name: str, rate: Decimal, category: str) -> None:
    element = _cac(parent, name)
    _cbc(element, "ID", category)
    _cbc(element, "Percent", f"{Decimal(rate):.2f}")
    if category == "E" and name == "TaxCategory":
        _cbc(element, "TaxExemptionReasonCode", EXEMPTION_CODE)
        _cbc(element, "TaxExemptionReason", EXEMPTION_REASON)
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT")


def _quantity(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def ubl_document(
    statement: Any,
    lines: Sequence[Mapping[str, Any]],
    vat: Sequence[Mapping[str, Any]],
    *,
    month_start: date,
    month_end: date,
    corrects: Sequence[tuple[str, date]] = (),
) -> bytes:
    """An issued statement as a Peppol BIS Billing 3.0 document (UBL 2.1), issued in the
    provider's name: an `Invoice` (380), or a `CreditNote` (381) when its total is negative,
    with its amounts the other way round (a credit note credits positive amounts). The
    provider is the seller and the member the buyer, both addressed by their enterprise number
    (scheme 0208); the member's order reference is the buyer reference; `corrects` (number,
    issue date) are the statements whose credits it carries (BillingReference); the member
    pays by transfer to the provider's IBAN with the structured communication (PaymentMeans).

    `lines` carry `description`, `task_type`, `unit`, `quantity`, `unit_price`, `vat_rate`,
    `amount` and `kind`; a line against the document's direction (a credit on an invoice, work
    on a credit note) is a negative quantity at a positive price (BR-27)."""
    credit_note = statement.document_type == "credit_note"
    sign = Decimal(-1) if credit_note else Decimal(1)
    kind = "CreditNote" if credit_note else "Invoice"
    namespace = NS_CREDIT_NOTE if credit_note else NS_INVOICE
    registered = statement.provider_vat_number is not None
    root = etree.Element(
        f"{{{namespace}}}{kind}", nsmap={None: namespace, "cac": NS_CAC, "cbc": NS_CBC}
    )
    issue_date = statement.issued_at.astimezone(BRUSSELS).date()
    due_date = issue_date + timedelta(days=PAYMENT_DAYS)
    _cbc(root, "CustomizationID", PEPPOL_CUSTOMIZATION)
    _cbc(root, "ProfileID", PEPPOL_PROFILE)
    _cbc(root, "ID", statement.number)
    _cbc(root, "IssueDate", issue_date.isoformat())
    if not credit_note:
        _cbc(root, "DueDate", due_date.isoformat())
    _cbc(
        root,
        f"{kind}TypeCode",
        CREDIT_NOTE_TYPE_CODE if credit_note else INVOICE_TYPE_CODE,
    )
    _cbc(root, "Note", f"{statement.framework_reference} {statement.month}")
    _cbc(root, "DocumentCurrencyCode", "EUR")
    _cbc(root, "BuyerReference", statement.order_reference)
    period = _cac(root, "InvoicePeriod")
    _cbc(period, "StartDate", month_start.isoformat())
    _cbc(period, "EndDate", month_end.isoformat())
    for number, issued_on in corrects:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", number)
        _cbc(reference, "IssueDate", issued_on.isoformat())
    _cbc(_cac(root, "ContractDocumentReference"), "ID", statement.framework_reference)
    supplier = _cac(root, "AccountingSupplierParty")
    _party(
        supplier,
        statement.provider_name,
        statement.provider_enterprise_number,
        vat_number=statement.provider_vat_number,
    )
    if not registered:
        _seller_tax_registration(supplier[0], statement.provider_enterprise_number)
    _party(
        _cac(root, "AccountingCustomerParty"),
        statement.member_name,
        statement.member_enterprise_number,
        vat_number=None,
    )
    means = _cac(root, "PaymentMeans")
    iban = statement.provider_iban
    _cbc(means, "PaymentMeansCode", SEPA_CREDIT_TRANSFER if iban else PAYMENT_MEANS_UNDEFINED)
    if credit_note:
        _cbc(means, "PaymentDueDate", due_date.isoformat())
    _cbc(means, "PaymentID", statement.payment_reference)
    if iban:
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", iban)
        _cbc(account, "Name", statement.provider_name)
    terms = _cac(root, "PaymentTerms")
    _cbc(terms, "Note", f"{PAYMENT_DAYS} days")
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", sign * statement.vat)
    for row in vat:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", sign * row["base"])
        _amount(subtotal, "TaxAmount", sign * row["vat"])
        category = vat_category(row["vat_rate"], vat_registered=registered)
        _tax_category(subtotal, "TaxCategory", row["vat_rate"], category)
    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", sign * statement.total_excl_vat)
    _amount(totals, "TaxExclusiveAmount", sign * statement.total_excl_vat)
    _amount(totals, "TaxInclusiveAmount", sign * statement.total_incl_vat)
    _amount(totals, "PayableAmount", sign * statement.total_incl_vat)
    for number, line in enumerate(lines, start=1):
        element = _cac(root, f"{kind}Line")
        _cbc(element, "ID", number)
        credit = line["kind"] == "credit"
        quantity = -Decimal(1) if credit else Decimal(line["quantity"])
        unit = "C62" if credit else UNIT_CODES.get(line["unit"], "C62")
        quantity_name = "CreditedQuantity" if credit_note else "InvoicedQuantity"
        _cbc(element, quantity_name, _quantity(sign * quantity), unitCode=unit)
        _amount(element, "LineExtensionAmount", sign * line["amount"])
        item = _cac(element, "Item")
        _cbc(item, "Name", str(line["description"])[:200] or line["task_type"])
        category = vat_category(line["vat_rate"], vat_registered=registered)
        _tax_category(item, "ClassifiedTaxCategory", line["vat_rate"], category)
        price = _cac(element, "Price")
        _amount(price, "PriceAmount", -line["amount"] if credit else line["unit_price"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- statements ---------------------------------------------------------------------------------

REPORT_LINE_COLUMNS = [
    "framework_reference",
    "provider_name",
    "task_type",
    "task_type_name",
    "unit",
    "quantity",
    "unit_price",
    "vat_rate",
    "amount",
]
VAT_HEADERS = ["framework_reference", "provider_name", "vat_rate", "base", "vat"]


# Columns of the summary rows, apart from the lines' own: VAT per rate in `vat_base` and
# `vat_amount`, the totals in `total_*`, so that summing a column never mixes lines and totals.
SUMMARY_COLUMNS = ["vat_base", "vat_amount", "total_excl_vat", "total_vat", "total_incl_vat"]


def vat_label(rate: Decimal) -> str:
    """ "btw 21,00 %": the rate with a decimal comma (nl-BE), as a Belgian reader writes it."""
    return f"btw {format_decimal(rate, format='0.00', locale='nl_BE')} %"


def _with_summary(
    columns: Sequence[str],
    label_column: str,
    lines: Iterable[Sequence[Any]],
    vat_rows: Iterable[tuple[str, Decimal, Decimal, Decimal]],
    totals: Any,
) -> tuple[list[str], list[list[Any]]]:
    """A statement as one table: `row_type` line / vat / total first, the lines' columns, then
    SUMMARY_COLUMNS. A VAT row names its rate in `label_column` and `vat_rate`; the totals row
    says "totaal"."""
    headers = ["row_type", *columns, *SUMMARY_COLUMNS]
    width = len(columns)
    label_at, rate_at = columns.index(label_column), columns.index("vat_rate")
    rows = [["line", *line, *[None] * len(SUMMARY_COLUMNS)] for line in lines]
    for label, rate, base, vat in vat_rows:
        cells: list[Any] = [None] * width
        cells[label_at], cells[rate_at] = label, rate
        rows.append(["vat", *cells, base, vat, None, None, None])
    cells = [None] * width
    cells[label_at] = "totaal"
    rows.append(
        ["total", *cells, None, None, totals.total_excl_vat, totals.vat, totals.total_incl_vat]
    )
    return headers, rows


def _report_vat_rows(report: Any) -> list[tuple]:
    names = {}
    if not report.lines.empty:
        names = dict(zip(report.lines["provider_id"], report.lines["provider_name"], strict=True))
    return [
        (
            f"{vat_label(row['vat_rate'])} {names.get(row['provider_id'], '')}".strip(),
            row["vat_rate"],
            row["base"],
            row["vat"],
        )
        for row in report.vat.to_dict(orient="records")
    ]


def _report_lines(report: Any) -> list[list[Any]]:
    if report.lines.empty:
        return []
    return [list(row) for row in report.lines[REPORT_LINE_COLUMNS].itertuples(index=False)]


def statement_csv(report: Any) -> str:
    """A member-month statement as CSV: its lines, then VAT per provider and rate and the
    totals, each in rows and columns of their own."""
    headers, rows = _with_summary(
        REPORT_LINE_COLUMNS,
        "task_type_name",
        _report_lines(report),
        _report_vat_rows(report),
        report.totals,
    )
    return to_csv(headers, rows)


def statement_xlsx(report: Any) -> bytes:
    """A member-month statement as a workbook: lines, VAT per provider and rate, totals."""
    names: dict = {}
    refs: dict = {}
    if not report.lines.empty:
        names = dict(zip(report.lines["provider_id"], report.lines["provider_name"], strict=True))
        refs = dict(
            zip(report.lines["framework_id"], report.lines["framework_reference"], strict=True)
        )
    vat_rows = [
        [refs[r["framework_id"]], names[r["provider_id"]], r["vat_rate"], r["base"], r["vat"]]
        for r in report.vat.to_dict(orient="records")
    ]
    totals = report.totals
    return to_xlsx(
        [
            ("lines", REPORT_LINE_COLUMNS, _report_lines(report)),
            ("vat", VAT_HEADERS, vat_rows),
            (
                "totals",
                ["total_excl_vat", "vat", "total_incl_vat"],
                [[totals.total_excl_vat, totals.vat, totals.total_incl_vat]],
            ),
        ]
    )


ISSUED_LINE_COLUMNS = [
    "position",
    "kind",
    "task_type",
    "description",
    "unit",
    "quantity",
    "unit_price",
    "vat_rate",
    "amount",
]
ISSUED_HEADER = [
    "number",
    "document_type",
    "payment_reference",
    "issued_at",
    "month",
    "framework_reference",
    "order_reference",
    "member_name",
    "member_enterprise_number",
    "provider_name",
    "provider_enterprise_number",
    "provider_vat_number",
    "provider_iban",
    "corrects",
    "total_excl_vat",
    "vat",
    "total_incl_vat",
]
# The document each row of an issued statement's CSV belongs to, repeated on every row.
ISSUED_DOCUMENT_COLUMNS = ["number", "document_type", "payment_reference"]


def _header_value(statement: Any, column: str) -> Any:
    if column == "corrects":
        return " ".join(s.number for s in statement.corrected_statements)
    return getattr(statement, column)


def _issued_lines(statement: Any) -> list[list[Any]]:
    return [[getattr(line, c) for c in ISSUED_LINE_COLUMNS] for line in statement.lines]


def issued_csv(statement: Any) -> str:
    """An issued statement as CSV: its number, document type and payment reference on every
    row; its lines, then VAT per rate and the totals, each in rows and columns of their own."""
    vat_rows = [
        (vat_label(r["vat_rate"]), r["vat_rate"], r["base"], r["vat"])
        for r in statement.vat_breakdown
    ]
    headers, rows = _with_summary(
        ISSUED_LINE_COLUMNS, "description", _issued_lines(statement), vat_rows, statement
    )
    document = [getattr(statement, c) for c in ISSUED_DOCUMENT_COLUMNS]
    return to_csv([*ISSUED_DOCUMENT_COLUMNS, *headers], [[*document, *row] for row in rows])


def issued_xlsx(statement: Any) -> bytes:
    """An issued statement as a workbook: the statement, its lines, VAT per rate."""
    return to_xlsx(
        [
            ("statement", ISSUED_HEADER, [[_header_value(statement, c) for c in ISSUED_HEADER]]),
            ("lines", ISSUED_LINE_COLUMNS, _issued_lines(statement)),
            (
                "vat",
                ["vat_rate", "base", "vat"],
                [[r["vat_rate"], r["base"], r["vat"]] for r in statement.vat_breakdown],
            ),
        ]
    )


def issued_ubl(statement: Any) -> bytes:
    """An issued statement as a Peppol BIS Billing 3.0 invoice or credit note, referring to
    the statements whose credits it carries."""
    from central.reports.builders import parse_month

    start = parse_month(statement.month)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    lines = [{c: getattr(line, c) for c in ISSUED_LINE_COLUMNS} for line in statement.lines]
    references = [
        (s.number, s.issued_at.astimezone(BRUSSELS).date()) for s in statement.corrected_statements
    ]
    return ubl_document(
        statement,
        lines,
        statement.vat_breakdown,
        month_start=start,
        month_end=end,
        corrects=references,
    )


# --- social impact ----------------------------------------------------------------------------

SOCIAL_HEADERS = [
    "year",
    "framework_reference",
    "provider_name",
    "social_economy_status",
    "member_name",
    "tasks",
    "defects",
    "spend",
    "social_spend",
    "hours",
    "target_group_hours",
    "worker_days",
    "fte",
]
MEMBER_HEADERS = [
    "member_name",
    "spend",
    "social_spend",
    "social_share_of_spend",
    "maintenance_budget",
    "share_percent",
    "target_percent",
    "target_met",
]
PROVIDER_HEADERS = [
    "provider_name",
    "social_economy_status",
    "tasks",
    "defects",
    "spend",
    "social_spend",
    "hours",
    "target_group_hours",
    "worker_days",
    "fte",
]


def _social_rows(data: dict[str, Any]) -> list[list[Any]]:
    reference = data["framework"].reference
    return [
        [data["year"], reference, *[row[c] for c in SOCIAL_HEADERS[2:]]]
        for row in data["rows"].to_dict(orient="records")
    ]


def social_impact_csv(data: dict[str, Any]) -> str:
    """Per provider and member, for the regional social-economy department."""
    return to_csv(SOCIAL_HEADERS, _social_rows(data))


def social_impact_xlsx(data: dict[str, Any]) -> bytes:
    return to_xlsx(
        [
            ("providers_members", SOCIAL_HEADERS, _social_rows(data)),
            ("members", MEMBER_HEADERS, [[m[c] for c in MEMBER_HEADERS] for m in data["members"]]),
            (
                "providers",
                PROVIDER_HEADERS,
                [[p[c] for c in PROVIDER_HEADERS] for p in data["providers"]],
            ),
        ]
    )


MEMBER_SOCIAL_HEADERS = [
    "year",
    "member_name",
    "source",
    "framework_reference",
    "lead_name",
    "provider_name",
    "enterprise_number",
    "social_economy_status",
    "tasks",
    "defects",
    "spend",
    "social_spend",
    "hours",
    "target_group_hours",
    "worker_days",
    "fte",
]
MEMBER_FRAMEWORK_HEADERS = [
    "framework_reference",
    "lead_name",
    "spend",
    "social_spend",
    "social_share_of_spend",
    "target_percent",
    "target_met",
    "target_group_hours",
    "worker_days",
    "fte",
]
MEMBER_TARGET_HEADERS = [
    "year",
    "member_name",
    "scope",
    "maintenance_budget",
    "social_spend",
    "external_social_spend",
    "social_spend_counted",
    "share_percent",
    "target_percent",
    "target_met",
]


def _member_social_rows(data: dict[str, Any]) -> list[list[Any]]:
    """One row per framework and provider (source `platform`) and one per declared outside
    spend (source `external`): the social_spend column adds up to the spend the member's
    target counts, and no row is a total."""
    year, member = data["year"], data["member"].name
    rows = [
        [year, member, "platform", *[row[c] for c in MEMBER_SOCIAL_HEADERS[3:5]]]
        + [row["provider_name"], None]
        + [row[c] for c in MEMBER_SOCIAL_HEADERS[7:]]
        for row in data["rows"]
    ]
    for spend in data["external_spend"]:
        rows.append(
            [year, member, "external", None, None, spend.provider_name, spend.enterprise_number]
            + [spend.social_economy_status, None, None, spend.amount, spend.amount]
            + [None, None, None, None]
        )
    return rows


def member_social_impact_csv(data: dict[str, Any]) -> str:
    """A member's social impact across frameworks and its declared outside spend (§7.1)."""
    return to_csv(MEMBER_SOCIAL_HEADERS, _member_social_rows(data))


def member_social_impact_xlsx(data: dict[str, Any]) -> bytes:
    target = {
        "year": data["year"],
        "member_name": data["member"].name,
        "scope": "member" if data["whole"] else "led_frameworks",
        "social_spend": data["totals"]["social_spend"],
        **{k: data[k] for k in MEMBER_TARGET_HEADERS if k in data},
    }
    return to_xlsx(
        [
            ("target", MEMBER_TARGET_HEADERS, [[target.get(c) for c in MEMBER_TARGET_HEADERS]]),
            ("frameworks_providers", MEMBER_SOCIAL_HEADERS, _member_social_rows(data)),
            (
                "frameworks",
                MEMBER_FRAMEWORK_HEADERS,
                [[f[c] for c in MEMBER_FRAMEWORK_HEADERS] for f in data["frameworks"]],
            ),
        ]
    )


# §7.3: the export for the Departement Werk en Sociale Economie.
SOCIAL_ECONOMY_HEADERS = [
    "year",
    "provider_name",
    "provider_enterprise_number",
    "recognition_status",
    "recognition_number",
    "recognition_valid",
    "member_name",
    "member_enterprise_number",
    "spend",
    "social_spend",
    "target_group_hours",
    "worker_days",
    "fte",
]


def _social_economy_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [[row[c] for c in SOCIAL_ECONOMY_HEADERS] for row in data["rows"]]


def social_economy_csv(data: dict[str, Any]) -> str:
    return to_csv(SOCIAL_ECONOMY_HEADERS, _social_economy_rows(data))


def social_economy_xlsx(data: dict[str, Any]) -> bytes:
    return to_xlsx([("social_economy", SOCIAL_ECONOMY_HEADERS, _social_economy_rows(data))])
