"""The OpenAPI document of the API, compared with the one the API had before it ran on flask-smorest
(`openapi_before.json`, vendored: the document of Central's own `@endpoint` decorator). Only the
differences listed in `DIFFERENCES` may appear; anything else (a path, an operation id, a tag, a
summary, a status, a security requirement, a schema) must be as it was."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any

BEFORE = Path(__file__).with_name("openapi_before.json")

DIFFERENCES = """
1. A success response is described by its HTTP phrase ("Created", "No Content", ...), not "OK".
2. The body of a PATCH is its own schema `<Name>Patch`: the same fields, none of them required.
3. A top-level `tags` list, naming the blueprint (flask-smorest's own).
4. Query parameters come from the operation's query schema (`@api.arguments(..., location=
   "query")`): each says `required: false`, and they are listed before `page` and `per_page`.
5. Some query parameters say what they accept as their schema checks it (`QUERY_TYPES`: path,
   method, parameter -> what its schema says now): ids that were documented as text are
   integers, ids say the range they must be in (`minimum`, `maximum`); a report's format, month,
   year and hours per FTE, and an import's dry_run, are `writeOnly` (read by a function, as
   apispec documents it).
"""

QUERY_TYPES: dict[tuple[str, str, str], dict[str, Any]] = {
    ("/accessions", "get", "framework"): {"minimum": 0},
    **{
        ("/rounds", "get", name): {"minimum": 0}
        for name in ("framework_id", "lot_id", "member_id", "provider_id")
    },
    ("/assets", "get", "member_id"): {"type": "integer"},
    **{
        ("/needs", "get", name): {"type": "integer"} for name in ("asset_id", "lot_id", "member_id")
    },
    ("/assets.geojson", "get", "member"): {"minimum": 1, "maximum": 2**31 - 1},
    **{
        (path, "get", name): {"minimum": 1, "maximum": 2**31 - 1}
        for path, names in (
            ("/reports/statement", ("member", "framework", "provider")),
            ("/statements", ("member", "framework", "provider")),
            ("/reports/consumption", ("framework",)),
            ("/reports/social-impact", ("framework", "member")),
        )
        for name in names
    },
    # Read by the function that owns its rule (a marshmallow Function field: apispec says so).
    **{
        (path, "get", name): {"writeOnly": True}
        for path, names in (
            ("/reports/statement", ("format", "month")),
            ("/statements", ("month",)),
            ("/statements/{statement_id}", ("format",)),
            ("/reports/social-impact", ("format", "year", "hours_per_fte")),
            ("/reports/social-economy", ("format", "year", "hours_per_fte")),
        )
        for name in names
    },
    ("/assets/import", "post", "dry_run"): {"writeOnly": True},
}


def _after_as_before(document: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The served document with the listed differences undone."""
    document = json.loads(json.dumps(document))
    before_parameters = {
        (path, method, parameter["name"]): parameter
        for path, operations in before["paths"].items()
        for method, operation in operations.items()
        for parameter in operation["parameters"]
    }
    schemas = document["components"]["schemas"]
    for name in [n for n in schemas if n.endswith("Patch")]:
        full = before["components"]["schemas"][name.removesuffix("Patch")]
        patch = schemas.pop(name)  # 2
        assert patch == {k: v for k, v in full.items() if k != "required"}, name
        schemas.setdefault(name.removesuffix("Patch"), full)
    text = re.sub(r'("#/components/schemas/\w+)Patch"', r'\1"', json.dumps(document))  # 2
    document = json.loads(text)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if response["description"] == HTTPStatus(int(status)).phrase:
                    response["description"] = "OK"  # 1
            for parameter in operation["parameters"]:
                if parameter["in"] == "query" and parameter.get("required") is False:
                    del parameter["required"]  # 4
                typed = QUERY_TYPES.get((path, method, parameter["name"]), {})
                for key, value in typed.items():
                    assert parameter["schema"].pop(key) == value, (path, method, parameter)  # 5
                    was = before_parameters.get((path, method, parameter["name"]), {})
                    if key in was.get("schema", {}):
                        parameter["schema"][key] = was["schema"][key]
            operation["parameters"].sort(key=_order)  # 4
    assert document.pop("tags", None) in (None, [{"name": "api", "description": ""}])  # 3
    return document


def _order(parameter: dict[str, Any]) -> tuple[str, str]:
    return (parameter["in"], parameter["name"])


def test_the_openapi_document_differs_from_before_only_as_listed(client):
    before = json.loads(BEFORE.read_text())
    after = _after_as_before(client.get("/api/v1/openapi.json").json, before)
    assert sorted(after["paths"]) == sorted(before["paths"])
    for operation in (o for operations in before["paths"].values() for o in operations.values()):
        operation["parameters"].sort(key=_order)
    for path, operations in before["paths"].items():
        assert sorted(after["paths"][path]) == sorted(operations), path
        for method, operation in operations.items():
            assert after["paths"][path][method] == operation, (path, method)
    assert after["components"] == before["components"]
    assert {k: v for k, v in after.items() if k not in ("paths", "components")} == {
        k: v for k, v in before.items() if k not in ("paths", "components")
    }
