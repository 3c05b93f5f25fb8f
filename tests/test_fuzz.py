"""A short fuzz run of the JSON API from its OpenAPI document: every operation, as a coordinator, a
member and a provider, with valid and invalid input and real and random ids. No 5xx, only
documented statuses, errors in the API's format. The long run is `python bench/fuzz.py`."""

from __future__ import annotations

from bench.fuzz import build_world, fuzz

EXAMPLES = 4  # per operation and role: about 900 requests, well under a minute


def test_fuzzing_the_api_finds_no_server_error_and_no_undocumented_status(app, db):
    world = build_world()
    db.session.commit()
    report = fuzz(app, world, max_examples=EXAMPLES, derandomize=True)
    failures = "\n".join(f.line() for f in report.failures.values())
    assert not report.failures, f"{len(report.failures)} failures:\n{failures}"
    # Every operation was reached, and not only with refusals.
    assert len(report.statuses) >= 3 * 70
    assert any(200 <= status < 300 for seen in report.statuses.values() for status in seen)
    assert report.calls >= len(report.statuses) * EXAMPLES * 0.9
