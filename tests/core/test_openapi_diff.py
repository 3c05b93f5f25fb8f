"""The OpenAPI document of the API, compared with the one the API had before it ran on flask-smorest
(`openapi_before.json`, vendored). Only the differences listed below may appear; anything else
(a path, an operation id, a tag, a summary, a status, a schema) must be as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BEFORE = Path(__file__).with_name("openapi_before.json")


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the listed, intended differences taken out."""
    return json.loads(json.dumps(document, sort_keys=True))


def test_the_openapi_document_differs_from_before_only_as_listed(client):
    before = normalised(json.loads(BEFORE.read_text()))
    after = normalised(client.get("/api/v1/openapi.json").json)
    assert sorted(after["paths"]) == sorted(before["paths"])
    for path, operations in before["paths"].items():
        assert sorted(after["paths"][path]) == sorted(operations), path
        for method, operation in operations.items():
            assert after["paths"][path][method] == operation, (path, method)
    assert after["components"] == before["components"]
    assert {k: v for k, v in after.items() if k not in ("paths", "components")} == {
        k: v for k, v in before.items() if k not in ("paths", "components")
    }
