"""Central's benchmark, one command:

    python -m bench.run --db sqlite|postgresql|both [--scale full|smoke]

builds (or reuses) the Flanders-size database on each database, copies it fresh, times every
SPEC section 6 measure in processes of their own (see bench/measures.py) and writes a markdown
table of the figures against the targets to bench/results.md (and the raw figures as JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.build import Seeds
from bench.config import (
    BENCH_DIR,
    DEFAULT_CACHE_DIR,
    DEFAULT_PG_URL,
    PROJECT_ROOT,
    SCALES,
    TODAY,
)

# The order is the nightly chain's, then the day's reading, then the clock moved on.
MEASURE_ORDER = (
    "framework-status",
    "generate-rounds",
    "assign-rounds",
    "web",
    "reports",
    "import",
    "mark-overdue",
)
WEB_MEASURES = ("web", "reports", "import")
DB_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def log(message: str) -> None:
    print(message, flush=True)


def process_groups(scale_name: str, only: set[str] | None) -> list[list[str]]:
    """Which measures share a process. At full scale every job runs in a process of its own,
    so that its peak memory is its own; the web measures share one (no memory target). The smoke
    scale runs everything in one process, to stay quick."""
    names = [name for name in MEASURE_ORDER if not only or name in only]
    if scale_name == "smoke":
        return [names] if names else []
    web = [name for name in names if name in WEB_MEASURES]
    groups: list[list[str]] = []
    for name in names:
        if name in WEB_MEASURES:
            if name == web[0]:
                groups.append(web)
        else:
            groups.append([name])
    return groups


def run_measures(names: list[str], url: str, manifest_path: Path, log_dir: Path) -> dict:
    """Measures in a fresh process; its stderr goes to a log file next to the cache."""
    log_file = log_dir / f"{'+'.join(names)}.log"
    started = time.perf_counter()
    env = dict(os.environ, CENTRAL_CONFIG="development", PYTHONPATH=str(PROJECT_ROOT))
    env.pop("DATABASE_URL", None)
    process = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.measures", ",".join(names), "--url", url,
         "--manifest", str(manifest_path)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    log_file.write_text(process.stderr)
    wall = time.perf_counter() - started
    try:
        results = json.loads(process.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " / ".join(process.stderr.strip().splitlines()[-3:])
        log(f"    {'+'.join(names)}: FAILED ({tail}); see {log_file}")
        return {name: {"error": tail} for name in names}
    for name in names:
        error = results.get(name, {}).get("error")
        log(f"    {name}: {'FAILED: ' + error if error else 'done'}")
    log(f"    ({wall:.1f} s in the process)")
    return results


def run_database(kind: str, seeds: Seeds, rebuild: bool, only: set[str] | None) -> dict:
    build = seeds.ensure(kind, rebuild=rebuild)
    url = seeds.fresh_copy(kind)
    manifest = seeds.manifest()
    log_dir = seeds.cache_dir / f"logs-{seeds.scale.name}-{kind}"
    log_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "build": build,
        "size_bytes": seeds.size(kind),
        "fingerprint": seeds.fingerprint,
        "history": manifest["history"],
    }
    for names in process_groups(seeds.scale.name, only):
        log(f"  {DB_LABELS[kind]}: {', '.join(names)} ...")
        results.update(run_measures(names, url, seeds.manifest_path, log_dir))
    return results


# --- the table ----------------------------------------------------------------------------------


def _get(result: dict, *keys: str) -> Any:
    for key in keys:
        if not isinstance(result, dict) or key not in result:
            return None
        result = result[key]
    return result


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def millis(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


ROWS: list[dict[str, Any]] = []


def row(label: str, target: str, limit: float | None, value, text) -> None:
    ROWS.append({"label": label, "target": target, "limit": limit, "value": value, "text": text})


def table(results: dict[str, dict], scale_name: str) -> tuple[str, list[dict]]:
    """The markdown table (measure, target, SQLite, PostgreSQL, met?) and its rows as data."""
    kinds = [k for k in ("sqlite", "postgresql") if k in results]
    lines = []

    def one(kind: str, spec: dict) -> tuple[str, bool | None]:
        r = results[kind]
        value = spec["value"](r)
        if value is None:
            reason = spec.get("missing", lambda _r: None)(r)
            return (reason or "not measured"), None
        text = spec["text"](r, value)
        if spec["limit"] is None:
            return text, None
        return text, value <= spec["limit"]

    specs = measure_specs(results, scale_name)
    header = ["measure", "target", *[DB_LABELS[k] for k in kinds], "met?"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    data = []
    for spec in specs:
        cells, verdicts = [], {}
        for kind in kinds:
            text, ok = one(kind, spec)
            cells.append(text)
            verdicts[kind] = ok
        known = {k: v for k, v in verdicts.items() if v is not None}
        if spec["limit"] is None:
            met = "(info)"
        elif not known:
            met = "not measured"
        elif all(known.values()) and len(known) == len(kinds):
            met = "yes"
        elif all(known.values()):
            met = "yes (" + ", ".join(DB_LABELS[k] for k in known) + " only measured)"
        else:
            met = "no (" + ", ".join(DB_LABELS[k] for k, v in known.items() if not v) + ")"
        lines.append("| " + " | ".join([spec["label"], spec["target"], *cells, met]) + " |")
        data.append({"measure": spec["label"], "target": spec["target"], "met": met,
                     **{k: c for k, c in zip(kinds, cells, strict=True)}})  # fmt: skip
    return "\n".join(lines), data


def _missing(*keys: str):
    def reason(r: dict) -> str | None:
        value = _get(r, *keys)
        if isinstance(value, dict):
            return value.get("missing") or value.get("error")
        return None

    return reason


def measure_specs(results: dict[str, dict], scale_name: str) -> list[dict]:
    """What each row reads from the results of one database."""

    def job(name: str):
        return lambda r: _get(r, name, "seconds")

    def page(key: str):
        return {
            "value": lambda r: _get(r, "web", key, "p95"),
            "text": lambda r, _v: (
                f"p50 {millis(_get(r, 'web', key, 'p50'))} / "
                f"p95 {millis(_get(r, 'web', key, 'p95'))}"
            ),
            "missing": _missing("web", key),
        }

    def due(r: dict) -> str:
        n = _get(r, "generate-rounds", "due_assets")
        return f"{n:,}" if n is not None else "?"

    some = next(iter(results.values()))
    due_label = due(some)
    rounds = _get(some, "assign-rounds", "rounds")
    rounds_label = f"{rounds:,}" if rounds is not None else "?"
    return [
        {
            "label": f"`generate-rounds` over {due_label} due assets",
            "target": "≤ 20 s",
            "limit": 20.0,
            "value": job("generate-rounds"),
            "text": lambda r, v: (
                f"{seconds(v)} ({_get(r, 'generate-rounds', 'counts', 'rounds'):,} rounds, "
                f"{_get(r, 'generate-rounds', 'counts', 'tasks'):,} tasks)"
            ),
            "missing": _missing("generate-rounds"),
        },
        {
            "label": "`generate-rounds` peak memory (whole process)",
            "target": "≤ 1 GB",
            "limit": 1024.0,
            "value": lambda r: _get(r, "generate-rounds", "peak_rss_mb"),
            "text": lambda r, v: (
                f"{v:.0f} MB (before the job {_get(r, 'generate-rounds', 'rss_before_mb'):.0f} MB)"
            ),
        },
        {
            "label": "`generate-rounds` writes vs the yardstick",
            "target": "≤ 3×",
            "limit": 3.0,
            "value": lambda r: _get(r, "generate-rounds", "write_ratio"),
            "text": lambda r, v: (
                f"{v:.1f}× ({seconds(_get(r, 'generate-rounds', 'write_seconds'))} vs "
                f"{seconds(_get(r, 'generate-rounds', 'yardstick', 'seconds'))})"
            ),
        },
        {
            "label": "`generate-rounds` whole job vs the yardstick",
            "target": "(info)",
            "limit": None,
            "value": lambda r: _get(r, "generate-rounds", "job_ratio"),
            "text": lambda r, v: f"{v:.1f}×",
        },
        {
            "label": f"`assign-rounds` over {rounds_label} rounds",
            "target": "≤ 3 s",
            "limit": 3.0,
            "value": job("assign-rounds"),
            "text": lambda r, v: (
                f"{seconds(v)} ({_get(r, 'assign-rounds', 'counts', 'assigned'):,} assigned, "
                f"{_get(r, 'assign-rounds', 'counts', 'unassigned'):,} not; peak "
                f"{_get(r, 'assign-rounds', 'peak_rss_mb'):.0f} MB)"
            ),
            "missing": _missing("assign-rounds"),
        },
        {
            "label": "provider round page (`/field/rounds/{id}`)",
            "target": "p95 ≤ 100 ms",
            "limit": 0.1,
            **page("round_page"),
        },
        {
            "label": "member dashboard (`/reports/progress`)",
            "target": "p95 ≤ 100 ms",
            "limit": 0.1,
            **page("member_dashboard"),
        },
        {
            "label": "`GET /api/v1/rounds/{id}`",
            "target": "p95 ≤ 100 ms",
            "limit": 0.1,
            **page("api_round"),
        },
        {
            "label": "provider's rounds list (`/field/rounds`)",
            "target": "(info)",
            "limit": None,
            **page("provider_rounds"),
        },
        {
            "label": "member's rounds list (`/rounds`)",
            "target": "(info)",
            "limit": None,
            **page("member_rounds"),
        },
        {
            "label": "member home page (`/`)",
            "target": "(info)",
            "limit": None,
            **page("member_home"),
        },
        {
            "label": "statement, one member-month (API, JSON)",
            "target": "≤ 0.3 s",
            "limit": 0.3,
            "value": lambda r: _get(r, "reports", "statement", "max"),
            "text": lambda r, v: (
                f"median {seconds(_get(r, 'reports', 'statement', 'p50'))}, max {seconds(v)}"
            ),
            "missing": _missing("reports"),
        },
        {
            "label": "social-impact report, one year (API, JSON)",
            "target": "≤ 3 s",
            "limit": 3.0,
            "value": lambda r: _get(r, "reports", "social_impact", "max"),
            "text": lambda r, v: (
                f"median {seconds(_get(r, 'reports', 'social_impact', 'p50'))}, max {seconds(v)}"
            ),
            "missing": _missing("reports"),
        },
        {
            "label": f"asset import, {_get(some, 'import', 'rows') or 0:,}-row XLSX (new assets)",
            "target": "≤ 5 s",
            "limit": 5.0,
            "value": lambda r: _get(r, "import", "first", "seconds"),
            "text": lambda r, v: f"{seconds(v)}",
            "missing": _missing("import"),
        },
        {
            "label": "asset import, the same file again (unchanged)",
            "target": "≤ 5 s",
            "limit": 5.0,
            "value": lambda r: _get(r, "import", "again", "seconds"),
            "text": lambda r, v: f"{seconds(v)}",
            "missing": _missing("import"),
        },
        {
            "label": "`framework-status` (info)",
            "target": "(info)",
            "limit": None,
            "value": job("framework-status"),
            "text": lambda r, v: seconds(v),
            "missing": _missing("framework-status"),
        },
        {
            "label": "`mark-overdue` six weeks later (info)",
            "target": "(info)",
            "limit": None,
            "value": job("mark-overdue"),
            "text": lambda r, v: (
                f"{seconds(v)} ({_get(r, 'mark-overdue', 'counts', 'overdue'):,} rounds overdue)"
            ),
            "missing": _missing("mark-overdue"),
        },
    ]


def render(results: dict[str, dict], scale_name: str, command: str, started: datetime) -> str:
    body, _data = table(results, scale_name)
    scale = SCALES[scale_name]
    facts = []
    for kind, r in results.items():
        history = r.get("history", {})
        build = r.get("build", {})
        built = (
            "reused from the cache"
            if build.get("cached")
            else f"built in {build.get('seconds', 0):.0f} s"
        )
        facts.append(
            f"- {DB_LABELS[kind]}: database {r.get('size_bytes', 0) / 1024**3:.2f} GB "
            f"({history.get('tasks', 0):,} historic tasks in {history.get('rounds', 0):,} rounds), "
            f"{built}."
        )
    return "\n".join(
        [
            f"# Benchmark results ({scale_name} scale)",
            "",
            f"Command: `{command}`  ",
            f"Run: {started:%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
            f"({os.cpu_count()} cores, Python {platform.python_version()}).  ",
            f"Data: {scale.members} member authorities, {scale.assets:,} assets, "
            f"{scale.tasks:,} historic tasks; business date {TODAY}.  ",
            "Pages and reports: Flask test client in the measuring process (no network); "
            "jobs through `central.jobs.runner.run_job`, each in a process of its own.",
            "",
            body,
            "",
            *facts,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Central's benchmark (SPEC section 6).")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--rebuild", action="store_true", help="build even if cached")
    parser.add_argument("--only", help="comma-separated measures (default: all)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="server URL, no database")
    parser.add_argument("--output", type=Path, help="markdown (default bench/results.md)")
    parser.add_argument("--json", type=Path, help="raw figures (default next to the output)")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    # The full run's figures are kept in git; other scales write next to the cache.
    output = args.output or (
        BENCH_DIR / "results.md"
        if args.scale == "full"
        else args.cache_dir / f"results-{args.scale}.md"
    )
    json_path = args.json or output.with_suffix(".json")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    only = set(args.only.split(",")) if args.only else None
    started = datetime.now(UTC)
    command = f"python -m bench.run --db {args.db} --scale {args.scale}"
    log(f"Benchmark, {args.scale} scale: {scale.describe()}")
    results = {}
    for kind in kinds:
        seeds = Seeds(scale, args.cache_dir, args.pg_url, log)
        results[kind] = run_database(kind, seeds, args.rebuild, only)
    text = render(results, args.scale, command, started)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    _body, data = table(results, args.scale)
    json_path.write_text(
        json.dumps(
            {
                "command": command,
                "started": started.isoformat(),
                "scale": args.scale,
                "rows": data,
                "results": results,
            },
            indent=1,
            default=str,
        )  # fmt: skip
    )
    print()
    print(text)
    log(f"Written to {output} and {json_path}")
    failed = [
        f"{kind}:{name}" for kind, r in results.items() for name, v in r.items()
        if isinstance(v, dict) and "error" in v
    ]  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
