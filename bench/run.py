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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import route_quality
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
    "geojson",
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
        error = results.get(name, {}).get("error")  # a job run's own error is None
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
        # What is measured so far, in case a later measure takes long or fails.
        (log_dir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    return results


# --- the table ----------------------------------------------------------------------------------


def _get(result: Any, *keys: str) -> Any:
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


@dataclass
class Spec:
    """One row: what it reads from one database's results, and how it is shown and judged.
    `value` is the wall-clock figure the target is judged on; `cpu` the CPU-time counterpart
    (this process plus, on PostgreSQL, its server processes), shown beside it because the
    machine may be busy with other work."""

    label: str
    target: str
    limit: float | None
    value: Callable[[dict], float | None]
    text: Callable[[dict, float], str]
    cpu: Callable[[dict], float | None] = lambda _r: None
    missing: Callable[[dict], str | None] = lambda _r: None


def _missing(*keys: str):
    def reason(r: dict) -> str | None:
        value = _get(r, *keys)
        if isinstance(value, dict):
            return value.get("missing") or value.get("error")
        return None

    return reason


def _verdict(values: dict[str, float | None], limit: float | None, kinds: list[str]) -> str:
    known = {k: v for k, v in values.items() if v is not None}
    if limit is None:
        return "(info)"
    if not known:
        return "not measured"
    failed = [DB_LABELS[k] for k, v in known.items() if v > limit]
    if failed:
        return "no (" + ", ".join(failed) + ")"
    if len(known) < len(kinds):
        return "yes (" + ", ".join(DB_LABELS[k] for k in known) + " only)"
    return "yes"


def table(results: dict[str, dict]) -> tuple[str, list[dict]]:
    """The markdown table (measure, target, one column per database, met?) and its rows."""
    kinds = [k for k in ("sqlite", "postgresql") if k in results]
    header = ["measure", "target", *[DB_LABELS[k] for k in kinds], "met? (wall)", "by CPU time"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    data = []
    for spec in measure_specs(results):
        cells, walls, cpus = [], {}, {}
        for kind in kinds:
            r = results[kind]
            walls[kind] = spec.value(r)
            cpus[kind] = spec.cpu(r) if walls[kind] is not None else None
            if walls[kind] is None:
                cells.append(spec.missing(r) or "not measured")
            else:
                cells.append(spec.text(r, walls[kind]))
        met = _verdict(walls, spec.limit, kinds)
        by_cpu = _verdict(cpus, spec.limit, kinds) if spec.limit is not None else ""
        if by_cpu == "not measured":
            by_cpu = "–"
        lines.append("| " + " | ".join([spec.label, spec.target, *cells, met, by_cpu]) + " |")
        data.append(
            {"measure": spec.label, "target": spec.target, "met": met, "met_by_cpu": by_cpu}
            | dict(zip(kinds, cells, strict=True))
        )
    return "\n".join(lines), data


def measure_specs(results: dict[str, dict]) -> list[Spec]:
    """The rows, SPEC section 6 first, then figures for information."""

    def job(name: str, what: Callable[[dict], str] = lambda _r: "") -> dict[str, Any]:
        return {
            "value": lambda r: _get(r, name, "seconds"),
            "cpu": lambda r: _get(r, name, "cpu_seconds"),
            "text": lambda r, v: (
                f"{seconds(v)} (CPU {seconds(_get(r, name, 'cpu_seconds'))}){what(r)}"
            ),
            "missing": _missing(name),
        }

    def page(key: str) -> dict[str, Any]:
        return {
            "value": lambda r: _get(r, "web", key, "p95"),
            "cpu": lambda r: _get(r, "web", key, "cpu", "p95"),
            "text": lambda r, _v: (
                f"p50 {millis(_get(r, 'web', key, 'p50'))} / "
                f"p95 {millis(_get(r, 'web', key, 'p95'))} "
                f"(CPU p95 {millis(_get(r, 'web', key, 'cpu', 'p95'))})"
            ),
            "missing": _missing("web", key),
        }

    def report(key: str) -> dict[str, Any]:
        return {
            "value": lambda r: _get(r, "reports", key, "max"),
            "cpu": lambda r: _get(r, "reports", key, "cpu", "max"),
            "text": lambda r, v: (
                f"median {seconds(_get(r, 'reports', key, 'p50'))}, max {seconds(v)} "
                f"(CPU max {seconds(_get(r, 'reports', key, 'cpu', 'max'))})"
            ),
            "missing": _missing("reports", key),
        }

    def imported(key: str) -> dict[str, Any]:
        return {
            "value": lambda r: _get(r, "import", key, "seconds"),
            "cpu": lambda r: _get(r, "import", key, "cpu_seconds"),
            "text": lambda r, v: (
                f"{seconds(v)} (CPU {seconds(_get(r, 'import', key, 'cpu_seconds'))})"
            ),
            "missing": _missing("import"),
        }

    def count(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else "?"

    some = next(iter(results.values()))
    due = count(_get(some, "generate-rounds", "due_assets"))
    rounds = count(_get(some, "assign-rounds", "rounds"))
    rows = count(_get(some, "import", "rows"))
    return [
        Spec(
            f"`generate-rounds` over {due} due assets",
            "≤ 20 s",
            20.0,
            **job(
                "generate-rounds",
                lambda r: (
                    f"; {count(_get(r, 'generate-rounds', 'counts', 'rounds'))} rounds, "
                    f"{count(_get(r, 'generate-rounds', 'counts', 'tasks'))} tasks"
                ),
            ),
        ),
        Spec(
            "`generate-rounds` peak memory (whole process)",
            "≤ 1 GB",
            1024.0,
            value=lambda r: _get(r, "generate-rounds", "peak_rss_mb"),
            text=lambda r, v: (
                f"{v:.0f} MB (before the job {_get(r, 'generate-rounds', 'rss_before_mb'):.0f} MB)"
            ),
        ),
        Spec(
            "`generate-rounds` writes vs the yardstick",
            "≤ 3×",
            3.0,
            value=lambda r: _get(r, "generate-rounds", "write_ratio"),
            cpu=lambda r: _get(r, "generate-rounds", "write_cpu_ratio"),
            text=lambda r, v: (
                f"{v:.1f}× ({seconds(_get(r, 'generate-rounds', 'write_seconds'))} vs "
                f"{seconds(_get(r, 'generate-rounds', 'yardstick', 'seconds'))}; by CPU "
                f"{_get(r, 'generate-rounds', 'write_cpu_ratio'):.1f}×)"
            ),
        ),
        Spec(
            f"`assign-rounds` over {rounds} rounds",
            "≤ 3 s",
            3.0,
            **job(
                "assign-rounds",
                lambda r: (
                    f"; {count(_get(r, 'assign-rounds', 'counts', 'assigned'))} assigned, "
                    f"{count(_get(r, 'assign-rounds', 'counts', 'unassigned'))} not, "
                    f"{count(_get(r, 'assign-rounds', 'counts', 'repriced'))} priced again at "
                    "the provider's own price"
                ),
            ),
        ),
        Spec(
            "provider round page (`/field/rounds/{id}`)", "p95 ≤ 100 ms", 0.1, **page("round_page")
        ),  # fmt: skip
        Spec(
            "member dashboard (`/reports/progress`)",
            "p95 ≤ 100 ms",
            0.1,
            **page("member_dashboard"),
        ),  # fmt: skip
        Spec("`GET /api/v1/rounds/{id}`", "p95 ≤ 100 ms", 0.1, **page("api_round")),
        Spec("statement, one member-month (API, JSON)", "≤ 0.3 s", 0.3, **report("statement")),
        Spec(
            "social-impact report, one year (API, JSON)", "≤ 3 s", 3.0, **report("social_impact")
        ),  # fmt: skip
        Spec(
            "social-impact report, member-wide, one year (API, JSON)",
            "≤ 3 s",
            3.0,
            **report("social_impact_member"),
        ),  # fmt: skip
        Spec(f"asset import, {rows}-row XLSX (new assets)", "≤ 5 s", 5.0, **imported("first")),
        Spec(
            "asset import, the same file again (unchanged)", "≤ 5 s", 5.0, **imported("again")
        ),  # fmt: skip
        Spec(
            f"`GET /api/v1/assets.geojson`, {count(_get(some, 'geojson', 'features'))} "
            "hydrants streamed",
            "≤ 5 s",
            5.0,
            value=lambda r: _get(r, "geojson", "seconds"),
            cpu=lambda r: _get(r, "geojson", "cpu_seconds"),
            text=lambda r, v: (
                f"{seconds(v)} (CPU {seconds(_get(r, 'geojson', 'cpu_seconds'))}, "
                f"{_get(r, 'geojson', 'bytes') / 1024**2:.0f} MB of GeoJSON)"
            ),
            missing=_missing("geojson"),
        ),
        Spec(
            "`GET /api/v1/assets.geojson` peak memory (whole process)",
            "≤ 300 MB",
            300.0,
            value=lambda r: _get(r, "geojson", "peak_rss_mb"),
            text=lambda r, v: (
                f"{v:.0f} MB (before the export {_get(r, 'geojson', 'rss_before_mb'):.0f} MB)"
            ),
        ),
        Spec(
            "`generate-rounds` whole job vs the yardstick",
            "(info)",
            None,
            value=lambda r: _get(r, "generate-rounds", "job_ratio"),
            text=lambda r, v: f"{v:.1f}×",
        ),
        Spec(
            "`assign-rounds` peak memory",
            "(info)",
            None,
            value=lambda r: _get(r, "assign-rounds", "peak_rss_mb"),
            text=lambda r, v: f"{v:.0f} MB",
        ),
        Spec(
            "provider's rounds list (`/field/rounds`)", "(info)", None, **page("provider_rounds")
        ),  # fmt: skip
        Spec("member's rounds list (`/rounds`)", "(info)", None, **page("member_rounds")),
        Spec("member home page (`/`)", "(info)", None, **page("member_home")),
        Spec("`framework-status`", "(info)", None, **job("framework-status")),
        Spec(
            "`mark-overdue` six weeks later",
            "(info)",
            None,
            **job(
                "mark-overdue",
                lambda r: f"; {count(_get(r, 'mark-overdue', 'counts', 'overdue'))} rounds overdue",
            ),
        ),
    ]


def render(results: dict[str, dict], scale_name: str, command: str, started: datetime) -> str:
    body, _data = table(results)
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
    pressures, loads = [], []
    for r in results.values():
        for value in r.values():
            if isinstance(value, dict):
                loads += [value["load_average"][0]] if value.get("load_average") else []
                for found in _find(value, "cpu_pressure"):
                    pressures.append(found)
    busy = ""
    if loads:
        busy = f"Load average during the measures {min(loads):.1f}–{max(loads):.1f}"
        if pressures:
            busy += (
                f", CPU pressure (PSI, share of time a task waited for a CPU) "
                f"{min(pressures):.0f}–{max(pressures):.0f} %"
            )
        busy += ".  "
    processes = (
        "all measures in one process"
        if scale_name == "smoke"
        else "jobs through `central.jobs.runner.run_job`, each in a process of its own"
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
            "Pages, reports and import: Flask test client in the measuring process (no network, "
            f"no gunicorn); {processes}.  ",
            "Targets are judged on wall-clock time; CPU time (the measuring process plus, on "
            "PostgreSQL, its server processes) is shown beside it, since other work on the "
            "machine stretches wall-clock time.  ",
            busy,
            "",
            body,
            "",
            *facts,
            "",
            route_quality.section(),
        ]
    )


def _find(value: Any, key: str) -> list[float]:
    """Every number stored under `key` anywhere in nested results."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and isinstance(v, int | float):
                found.append(float(v))
            else:
                found += _find(v, key)
    return found


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
    if args.only:
        command += f" --only {args.only}"
    log(f"Benchmark, {args.scale} scale: {scale.describe()}")
    results = {}
    for kind in kinds:
        seeds = Seeds(scale, args.cache_dir, args.pg_url, log)
        results[kind] = run_database(kind, seeds, args.rebuild, only)
    text = render(results, args.scale, command, started)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    _body, data = table(results)
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
        if isinstance(v, dict) and v.get("error")
    ]  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
