"""The benchmark at its smoke scale (5 members, 5,000 assets, 20,000 historic tasks) on SQLite:
it builds its database through the migrations, runs every SPEC section 6 measure and reports
each one. No timing is asserted here: timings are noisy, and the speed targets live in the
benchmark (`python -m bench.run`), never in a unit test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_smoke(tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    output = tmp_path / "results.md"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    process = subprocess.run(
        [sys.executable, "-m", "bench.run", "--db", "sqlite", "--scale", "smoke",
         "--cache-dir", str(tmp_path / "cache"), "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    results = json.loads(output.with_suffix(".json").read_text()) if output.exists() else {}
    return process, results


def number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def test_smoke_benchmark_produces_every_measure(tmp_path):
    process, report = run_smoke(tmp_path)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    sqlite = report["results"]["sqlite"]

    generate = sqlite["generate-rounds"]
    assert generate["status"] == "succeeded"
    assert generate["counts"]["tasks"] >= generate["due_assets"] > 0
    # The yardstick wrote back exactly the rows the job wrote.
    assert generate["yardstick"]["tasks"] == generate["counts"]["tasks"]
    assert generate["yardstick"]["rounds"] == generate["counts"]["rounds"]
    for key in ("seconds", "write_seconds", "write_ratio", "peak_rss_mb", "rss_before_mb"):
        assert number(generate[key]), key

    assign = sqlite["assign-rounds"]
    assert assign["status"] == "succeeded"
    assert assign["rounds"] == generate["counts"]["rounds"]
    assert assign["counts"]["assigned"] > 0
    assert number(assign["seconds"]) and number(assign["peak_rss_mb"])

    for page in ("round_page", "member_dashboard", "api_round"):
        figures = sqlite["web"][page]
        assert "error" not in figures and "missing" not in figures, (page, figures)
        assert figures["n"] > 0 and number(figures["p50"]) and number(figures["p95"]), page

    for report_name in ("statement", "social_impact", "social_impact_member"):
        figures = sqlite["reports"][report_name]
        assert "error" not in figures, figures
        assert number(figures["p50"]) and number(figures["max"])
    assert sqlite["reports"]["social_impact"]["tasks"] > 0
    assert sqlite["reports"]["social_impact_member"]["tasks"] > 0

    imported = sqlite["import"]
    assert imported["first"]["answer"]["created"] == imported["rows"]
    assert imported["again"]["answer"]["unchanged"] == imported["rows"]

    # The GeoJSON export (SPEC 7.4) streamed every active asset of the smoke data set.
    geojson = sqlite["geojson"]
    assert "error" not in geojson, geojson
    # (every active asset in the coordinator's reach: the 5,000 and those the import added)
    assert geojson["features"] >= 5_000 and geojson["bytes"] > 0
    assert number(geojson["seconds"]) and number(geojson["peak_rss_mb"])

    for job in ("framework-status", "mark-overdue"):
        assert sqlite[job]["status"] == "succeeded"

    # The table names every target and has a figure for each.
    table = (tmp_path / "results.md").read_text()
    rows = {row["measure"]: row for row in report["rows"]}
    assert len(rows) >= 12
    for row in report["rows"]:
        assert row["sqlite"] not in ("", "not measured"), row
        assert row["measure"] in table
