"""Offline validation against the vendored standards (see schemas/NOTICE.md and
peppol/NOTICE.md): OCDS 1.1.5 with jsonschema (references resolved locally, never over the
network), UBL 2.1 with lxml, and the official CEN EN 16931 and Peppol BIS Billing 3.0 Schematron
rules, compiled to XSLT, run with Saxon (saxonche)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).parent / "schemas"
PEPPOL = Path(__file__).parent / "peppol"
RULES = ("EN16931-UBL-validation.xslt", "PEPPOL-EN16931-UBL.xslt")
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@cache
def ocds_validator() -> Draft4Validator:
    package = json.loads((SCHEMAS / "release-package-schema.json").read_text())
    release = json.loads((SCHEMAS / "release-schema.json").read_text())
    registry = Registry().with_resources(
        [
            (package["id"], Resource.from_contents(package, default_specification=DRAFT4)),
            (release["id"], Resource.from_contents(release, default_specification=DRAFT4)),
        ]
    )
    return Draft4Validator(
        package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )


def ocds_errors(document: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in ocds_validator().iter_errors(document)
    ]


@cache
def ubl_schema(document_type: str = "Invoice") -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(
        etree.parse(str(SCHEMAS / "ubl21" / "maindoc" / f"UBL-{document_type}-2.1.xsd"), parser)
    )


def ubl_errors(xml: bytes) -> list[str]:
    """UBL 2.1 schema errors of an Invoice or a CreditNote (by its root element)."""
    document = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    schema = ubl_schema(etree.QName(document).localname)
    if schema.validate(document):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


@cache
def _saxon():
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    return processor, [compiler.compile_stylesheet(stylesheet_file=str(PEPPOL / r)) for r in RULES]


def schematron_failures(xml: bytes, flags: tuple[str, ...] = ("fatal",)) -> list[str]:
    """The failed asserts of the official rules (EN 16931, then Peppol BIS 3.0) whose flag is
    in `flags`, as 'RULE-ID: text' (SVRL)."""
    processor, stylesheets = _saxon()
    failures = []
    for stylesheet in stylesheets:
        source = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = etree.fromstring(stylesheet.transform_to_string(xdm_node=source).encode())
        for failed in report.iterfind("svrl:failed-assert", SVRL):
            if failed.get("flag") in flags:
                text = " ".join(failed.findtext("svrl:text", "", SVRL).split())
                failures.append(f"{failed.get('id')}: {text}")
    return failures
