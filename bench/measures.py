"""The measures, each run in a process of its own (`python -m bench.measures NAME --url URL
--manifest PATH`), which prints its result as one JSON line on stdout.

Jobs run through the project's runner (`central.jobs.runner.run_job`, as `central jobs run NAME
--today ...` does), so lock, job run and commits are the real ones. Peak memory is the peak
resident set size of the process that ran the job (`getrusage(RUSAGE_SELF).ru_maxrss`: the app,
its imports and the job), next to the resident size just before the job started.

Web measures use Flask's test client in the same process (no network, no gunicorn): the time of
routing, the view, its queries and rendering, which is what the page targets are about.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

MB = 1024 * 1024


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    """The resident set size of this process now."""
    return _status_mb("VmRSS")


def reset_peak_rss() -> None:
    """Start the peak over from the current size (Linux: 5 > /proc/self/clear_refs), so that the
    peak read afterwards is that of the job alone. (getrusage's ru_maxrss would not do: it
    survives exec, so a child started by a big parent reports the parent's peak.)"""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def peak_rss_mb() -> float:
    """The peak resident set size since the last reset (VmHWM)."""
    return _status_mb("VmHWM")


def percentiles(samples: list[float]) -> dict[str, float]:
    values = np.array(samples)
    return {
        "n": len(samples),
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
        "mean": float(values.mean()),
    }


APP_NAME = "central-bench"  # the application_name of the measured connections (PostgreSQL)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_pressure() -> float | None:
    """The share of the last 10 s in which some runnable task waited for a CPU (Linux PSI): how
    busy the machine was with other work while we measured."""
    try:
        with open("/proc/pressure/cpu") as pressure:
            return float(pressure.readline().split()[1].split("=")[1])
    except (OSError, IndexError, ValueError):
        return None


class CpuClock:
    """CPU seconds spent for a measure, whatever else keeps the machine busy: this process (all
    its threads) plus, on PostgreSQL, the server processes behind its connections (found by
    their application_name, read from /proc on this machine). `start()` and `stop(mark)` around
    the work; connections opened in between are counted from their start."""

    def __init__(self, url: str) -> None:
        self.admin = None
        if url.startswith("postgresql"):
            import psycopg

            base, _, _name = url.rpartition("/")
            admin_url = base.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
            self.admin = psycopg.connect(admin_url, autocommit=True)

    def _backends(self) -> dict[int, float]:
        """CPU seconds so far of each server process of ours."""
        if self.admin is None:
            return {}
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP_NAME,)
        ).fetchall()
        seconds = {}
        for (pid,) in rows:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
                seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
            except (OSError, IndexError, ValueError):
                pass  # ended meanwhile
        return seconds

    def start(self) -> tuple[float, dict[int, float]]:
        backends = self._backends()  # before our own clock: the lookup is not the measure's
        return time.process_time(), backends

    def stop(self, mark: tuple[float, dict[int, float]]) -> float:
        own = time.process_time() - mark[0]
        backends = self._backends()
        # A server process that ended before the stop is missed; the pool keeps them open.
        return own + sum(cpu - mark[1].get(pid, 0.0) for pid, cpu in backends.items())


def make_app(url: str):
    from central import create_app

    logging.getLogger("central").setLevel(logging.WARNING)
    options = {}
    if url.startswith("postgresql"):
        options["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "connect_args": {"application_name": APP_NAME},
        }
    return create_app("development", SQLALCHEMY_DATABASE_URI=url, MAIL_SERVER=None, **options)


def _today(manifest: dict) -> date:
    return date.fromisoformat(manifest["today"])


# --- jobs -------------------------------------------------------------------------------------


def run_job_measure(app, name: str, today: date, clock: CpuClock) -> dict[str, Any]:
    """One job through the runner, timed (wall and CPU), with the process's memory before and
    at its peak."""
    from central.jobs.runner import run_job

    with app.app_context():
        before = rss_mb()
        reset_peak_rss()
        cpu = clock.start()
        started = time.perf_counter()
        run = run_job(name, today=today)
        seconds = time.perf_counter() - started
        cpu_seconds = clock.stop(cpu)
        result = {
            "job": name,
            "status": run.status,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "cpu_pressure": cpu_pressure(),
            "counts": run.counts,
            "error": run.error,
            "rss_before_mb": before,
            "peak_rss_mb": peak_rss_mb(),
        }
    if result["status"] != "succeeded":
        raise RuntimeError(f"{name} did not succeed: {result}")
    return result


def measure_job(url: str, manifest: dict, name: str, today: date | None = None) -> dict:
    app = make_app(url)
    return run_job_measure(app, name, today or _today(manifest), CpuClock(url))


def measure_generate(url: str, manifest: dict) -> dict:
    """generate-rounds over every due asset, its write phase timed apart, then the yardstick: the
    same round and task rows written again by a raw bulk insert into the same database."""
    from sqlalchemy import func, select

    from central.extensions import db
    from central.planning import jobs as planning
    from central.planning.models import Round, Task

    app = make_app(url)
    clock = CpuClock(url)
    write = {"seconds": 0.0, "cpu_seconds": 0.0, "batches": 0}
    original = planning._write_batch

    def timed_write_batch(session, batch, today, counts):
        # The batch's inserts and its commit (the job commits right after each batch).
        cpu = clock.start()
        started = time.perf_counter()
        original(session, batch, today, counts)
        session.commit()
        write["seconds"] += time.perf_counter() - started
        write["cpu_seconds"] += clock.stop(cpu)
        write["batches"] += 1

    with app.app_context():
        last_round = db.session.scalar(select(func.max(Round.id))) or 0
        last_task = db.session.scalar(select(func.max(Task.id))) or 0
        due = _due_assets(manifest)
        db.session.commit()
    planning._write_batch = timed_write_batch
    try:
        result = run_job_measure(app, "generate-rounds", _today(manifest), clock)
    finally:
        planning._write_batch = original
    result["write_seconds"] = write["seconds"]
    result["write_cpu_seconds"] = write["cpu_seconds"]
    result["write_batches"] = write["batches"]
    result["due_assets"] = due
    with app.app_context():
        yardstick = _yardstick(db.engine, last_round, last_task, clock)
    result["yardstick"] = yardstick
    result["write_ratio"] = write["seconds"] / yardstick["seconds"]
    result["write_cpu_ratio"] = write["cpu_seconds"] / max(yardstick["cpu_seconds"], 1e-9)
    result["job_ratio"] = result["seconds"] / yardstick["seconds"]
    return result


def _due_assets(manifest: dict) -> int:
    """How many (asset, plan) pairs are due: what generate-rounds has to plan, needs aside."""
    from sqlalchemy import func, select

    from central.assets.queries import due_assets
    from central.extensions import db

    today = _today(manifest)
    stmt = due_assets(today + timedelta(days=28)).subquery()
    return int(db.session.scalar(select(func.count()).select_from(stmt)))


ROUND_COLUMNS = (
    "id", "framework_id", "lot_id", "member_id", "provider_id", "status", "due_date",
    "scheduled_date", "route_km", "created_at", "assigned_at", "completed_at", "accepted_at",
    "cancelled_at",
)  # fmt: skip
TASK_COLUMNS = (
    "id", "round_id", "sequence", "asset_id", "need_id", "task_type_id", "task_type", "quantity",
    "unit", "unit_price", "amount", "vat_rate", "due_date", "status", "result", "done_on",
    "done_at", "accepted_at", "cancelled_at", "created_at",
)  # fmt: skip


def _yardstick(engine, last_round: int, last_task: int, clock: CpuClock) -> dict[str, Any]:
    """Read the rows the job wrote, delete them, and time writing them back raw in one
    transaction (SQLite executemany, PostgreSQL COPY): the database ends as the job left it."""
    rounds_sql = (
        f"SELECT {', '.join(ROUND_COLUMNS)} FROM rounds WHERE id > {last_round} ORDER BY id"  # noqa: S608
    )
    tasks_sql = f"SELECT {', '.join(TASK_COLUMNS)} FROM tasks WHERE id > {last_task} ORDER BY id"  # noqa: S608
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        cursor = raw.cursor()
        cursor.execute(rounds_sql)
        rounds = cursor.fetchall()
        cursor.execute(tasks_sql)
        tasks = cursor.fetchall()
        cursor.execute(f"DELETE FROM tasks WHERE id > {last_task}")  # noqa: S608
        cursor.execute(f"DELETE FROM rounds WHERE id > {last_round}")  # noqa: S608
        raw.commit()
        if engine.dialect.name == "postgresql":
            # The deleted rows' index entries would slow the insert (unique checks visit them):
            # the job met none, so neither does the yardstick.
            driver.autocommit = True
            driver.execute("VACUUM rounds, tasks")
            driver.autocommit = False
        cpu = clock.start()
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            with driver.cursor() as pg:
                for table, columns, rows in (
                    ("rounds", ROUND_COLUMNS, rounds),
                    ("tasks", TASK_COLUMNS, tasks),
                ):
                    with pg.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            driver.commit()
        else:
            driver.execute("BEGIN")
            for table, columns, rows in (
                ("rounds", ROUND_COLUMNS, rounds),
                ("tasks", TASK_COLUMNS, tasks),
            ):
                marks = ", ".join("?" for _ in columns)
                driver.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
            driver.execute("COMMIT")
        seconds = time.perf_counter() - started
        cpu = clock.stop(cpu)
    finally:
        raw.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "rounds": len(rounds), "tasks": len(tasks)}


def measure_assign(url: str, manifest: dict) -> dict:
    from sqlalchemy import func, select

    from central.extensions import db
    from central.planning.models import Round

    app = make_app(url)
    with app.app_context():
        pending = db.session.scalar(
            select(func.count()).where(Round.status == "planned", Round.provider_id.is_(None))
        )
        db.session.commit()
    result = run_job_measure(app, "assign-rounds", _today(manifest), CpuClock(url))
    result["rounds"] = int(pending)
    return result


# --- web --------------------------------------------------------------------------------------


class Web:
    """A signed-in test client per user, and timed requests."""

    def __init__(self, app, manifest: dict, url: str) -> None:
        self.app = app
        self.clock = CpuClock(url)
        self.manifest = manifest
        self.password = manifest["password"]
        self.clients: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}

    def client(self, email: str):
        """A test client signed in through the real sign-in form."""
        if email not in self.clients:
            client = self.app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            response = client.post(
                "/login",
                data={"email": email, "password": self.password, "csrf_token": token},
            )
            if response.status_code != 302:
                raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")
            self.clients[email] = client
        return self.clients[email]

    def token(self, email: str) -> str:
        """A personal API token (Bearer), made through the accounts service."""
        if email not in self.tokens:
            from sqlalchemy import select

            from central.accounts.models import User
            from central.accounts.services import create_token
            from central.extensions import db

            with self.app.app_context():
                user = db.session.scalar(select(User).where(User.email == email))
                _token, secret = create_token(user, "bench")
                db.session.commit()
            self.tokens[email] = secret
        return self.tokens[email]

    def api(self, email: str):
        client = self.app.test_client()
        return client, {"Authorization": f"Bearer {self.token(email)}"}

    def timed(
        self, call: Callable[[], Any], count: int, warmup: int = 2, expect: int = 200
    ) -> dict[str, Any]:
        """Wall and CPU time of `count` calls after `warmup` ones: p50, p95, max, mean."""
        for _ in range(warmup):
            call()
        samples, cpu_samples = [], []
        for _ in range(count):
            cpu = self.clock.start()
            started = time.perf_counter()
            response = call()
            samples.append(time.perf_counter() - started)
            cpu_samples.append(self.clock.stop(cpu))
            if response.status_code != expect:
                raise RuntimeError(
                    f"{response.request.path} answered {response.status_code}: "
                    f"{response.get_data(as_text=True)[:500]}"
                )
        result = percentiles(samples)
        result["cpu"] = percentiles(cpu_samples)
        result["cpu_pressure"] = cpu_pressure()
        return result


def _rule(app, pattern: str, *, api: bool) -> str | None:
    """The URL rule of a route, if the app has one (pages still being written are reported as
    missing rather than failing the benchmark)."""
    for rule in app.url_map.iter_rules():
        text = rule.rule
        if text.startswith("/api/") != api or "GET" not in rule.methods:
            continue
        if re.fullmatch(pattern, text):
            return text
    return None


def _timed_page(
    web: Web, results: dict, key: str, label: str, call, count: int, rule: str | None
) -> None:
    """Time one page into results[key]; a page that does not exist or fails is reported, not
    fatal (pages may still be in the making)."""
    if rule is None:
        results[key] = {"missing": f"{label} does not exist"}
        return
    try:
        results[key] = web.timed(call, count)
        results[key]["url"] = label
    except Exception as exc:  # noqa: BLE001 - reported in the results table
        results[key] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}


def measure_web(url: str, manifest: dict) -> dict:
    """Pages with 2M tasks in the database: p50/p95 over many requests of different objects."""
    from sqlalchemy import select

    from central.core.clock import frozen_today
    from central.extensions import db
    from central.planning.models import Round

    app = make_app(url)
    web = Web(app, manifest, url)
    count = manifest["scale"]["page_requests"]
    rng = np.random.default_rng(7)
    results: dict[str, Any] = {}
    with app.app_context():
        # The providers' current rounds (assigned by assign-rounds) and past ones.
        current = db.session.execute(
            select(Round.id, Round.provider_id).where(Round.status == "assigned")
        ).all()
        history = db.session.execute(
            select(Round.id, Round.provider_id).where(Round.status == "accepted")
        ).all()
        db.session.commit()
    by_provider: dict[int, list[int]] = {}
    for round_id, provider_id in current:
        by_provider.setdefault(provider_id, []).append(round_id)
    busiest = max(by_provider, key=lambda p: len(by_provider[p]))
    provider = next(p["email"] for p in manifest["providers"] if p["id"] == busiest)
    now = rng.choice(by_provider[busiest], size=count).tolist()
    past = [r for r, p in history if p == busiest]
    past = rng.choice(past, size=count).tolist() if past else now
    members = [m for m in manifest["members"] if m["id"] != manifest["lead_id"]][:5]
    results["sample"] = {
        "provider_id": busiest,
        "provider_current_rounds": len(by_provider[busiest]),
        "members": [m["id"] for m in members],
    }

    with frozen_today(_today(manifest)):
        # GET /api/v1/rounds/{id}: a round with its tasks in route order, as its provider.
        client, headers = web.api(provider)
        ids = iter(now + past + now)
        _timed_page(
            web, results, "api_round", "/api/v1/rounds/{id} as the provider (current, past)",
            lambda: client.get(f"/api/v1/rounds/{next(ids)}", headers=headers), 2 * count,
            _rule(app, r"/api/v1/rounds/<(int:)?round_id>", api=True),
        )  # fmt: skip
        # The provider's round page on the phone (HTML), its current rounds.
        crew = web.client(provider)
        ids = iter(now * 2)
        _timed_page(
            web, results, "round_page", "/field/rounds/{id} as the provider",
            lambda: crew.get(f"/field/rounds/{next(ids)}"), count,
            _rule(app, r"/field/rounds/<(int:)?round_id>", api=False),
        )  # fmt: skip
        _timed_page(
            web, results, "provider_rounds", "/field/rounds (the provider's list)",
            lambda: crew.get("/field/rounds"), count,
            _rule(app, r"/field/rounds", api=False),
        )  # fmt: skip
        # The member dashboard: the progress page of the five largest members.
        clients = [web.client(m["email"]) for m in members]
        picks = iter(rng.integers(0, len(clients), 3 * count + 10).tolist())
        _timed_page(
            web, results, "member_dashboard", "/reports/progress as the 5 largest members",
            lambda: clients[next(picks)].get("/reports/progress"), count,
            _rule(app, r"/reports/progress", api=False),
        )  # fmt: skip
        _timed_page(
            web, results, "member_rounds", "/rounds as the 5 largest members",
            lambda: clients[next(picks)].get("/rounds"), count,
            _rule(app, r"/rounds", api=False),
        )  # fmt: skip
        _timed_page(
            web, results, "member_home", "/ as the 5 largest members",
            lambda: clients[next(picks)].get("/"), count, "/",
        )  # fmt: skip
    return results


def measure_reports(url: str, manifest: dict) -> dict:
    """The statement of one member-month and the social-impact report of a year (of the running
    framework, and member-wide for the largest member), via the API."""
    app = make_app(url)
    web = Web(app, manifest, url)
    repeats = manifest["scale"]["report_repeats"]
    year = manifest["years"][-1]
    client, headers = web.api(manifest["coordinator"])
    results: dict[str, Any] = {}
    from central.core.clock import frozen_today

    with frozen_today(_today(manifest)):
        members = manifest["members"][:3]
        calls = []
        for member in members:
            for month in (f"{year}-03", f"{year}-04"):
                calls.append(f"/api/v1/reports/statement?member={member['id']}&month={month}")
        calls = calls * max(1, repeats // 2)
        ids = iter(calls * 2)
        results["statement"] = web.timed(lambda: client.get(next(ids), headers=headers), len(calls))
        results["statement"]["url"] = (
            f"/api/v1/reports/statement?member=&month= (3 largest members, {year}-03 and -04)"
        )
        path = f"/api/v1/reports/social-impact?framework={manifest['framework_id']}&year={year}"
        results["social_impact"] = web.timed(
            lambda: client.get(path, headers=headers), repeats, warmup=1
        )
        results["social_impact"]["url"] = path
        body = client.get(path, headers=headers).get_json()
        results["social_impact"]["tasks"] = body.get("totals", {}).get("tasks") if body else None
        # Member-wide (§7.1): the largest member's own report across every framework and lead.
        member = manifest["members"][0]
        member_client, member_headers = web.api(member["email"])
        path = f"/api/v1/reports/social-impact?member={member['id']}&year={year}"
        results["social_impact_member"] = web.timed(
            lambda: member_client.get(path, headers=member_headers), repeats, warmup=1
        )
        results["social_impact_member"]["url"] = path
        body = member_client.get(path, headers=member_headers).get_json()
        results["social_impact_member"]["tasks"] = (
            body.get("totals", {}).get("tasks") if body else None
        )
    return results


def import_file(rows: int, seed: int = 11) -> bytes:
    """An XLSX inventory in Lambert 72 (x, y) with Dutch headers, as municipalities export it."""
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("brandkranen")
    sheet.append(["code", "type", "straat", "huisnummer", "postcode", "gemeente", "x", "y",
                  "water_company", "diameter_mm"])  # fmt: skip
    x = rng.normal(66500, 2500, rows)  # around Roeselare, Lambert 72 metres
    y = rng.normal(183000, 2500, rows)
    for i in range(rows):
        sheet.append([
            f"IMP-{i + 1:05d}",
            "ondergrondse brandkraan" if i % 7 else "bovengrondse brandkraan",
            "Kerkstraat" if i % 3 else "Stationsstraat", str(1 + i % 200), "8800",
            "Roeselare", round(float(x[i]), 2), round(float(y[i]), 2), "De Watergroep",
            100 if i % 4 else 80,
        ])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure_import(url: str, manifest: dict) -> dict:
    """A 10,000-row XLSX imported by the lead authority's member side (new assets), then the
    same file again (nothing changes)."""
    app = make_app(url)
    web = Web(app, manifest, url)
    rows = manifest["scale"]["import_rows"]
    content = import_file(rows)
    member = next(m for m in manifest["members"] if m["id"] != manifest["lead_id"])
    client, headers = web.api(member["email"])
    results = {}
    client.get("/api/v1/assets?per_page=1", headers=headers)  # opens the connection
    for label in ("first", "again"):
        cpu = web.clock.start()
        started = time.perf_counter()
        response = client.post(
            "/api/v1/assets/import",
            headers=headers,
            data={"file": (io.BytesIO(content), "brandkranen.xlsx")},
            content_type="multipart/form-data",
        )
        seconds = time.perf_counter() - started
        cpu = web.clock.stop(cpu)
        if response.status_code != 200:
            raise RuntimeError(f"import answered {response.status_code}: {response.data[:500]}")
        results[label] = {"seconds": seconds, "cpu_seconds": cpu, "answer": response.get_json()}
    results["cpu_pressure"] = cpu_pressure()
    results["rows"] = rows
    results["bytes"] = len(content)
    return results


def measure_geojson(url: str, manifest: dict) -> dict:
    """GET /api/v1/assets.geojson as the lead's coordinator (every member's assets, SPEC 7.4):
    the whole streamed FeatureCollection read through, its time and the process's peak memory
    while streaming (the peak is reset first, so it is the export's own)."""
    app = make_app(url)
    web = Web(app, manifest, url)
    client, headers = web.api(manifest["coordinator"])
    client.get("/api/v1/assets?per_page=1", headers=headers)  # opens the connection
    reset_peak_rss()
    before = rss_mb()
    cpu = web.clock.start()
    started = time.perf_counter()
    response = client.get("/api/v1/assets.geojson", headers=headers, buffered=False)
    if response.status_code != 200:
        raise RuntimeError(f"geojson answered {response.status_code}")
    size = features = 0
    tail = b""
    for chunk in response.response:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        size += len(data)
        features += (tail + data).count(b'{"type":"Feature",')
        tail = data[-20:]
    response.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": web.clock.stop(cpu),
        "features": features,
        "bytes": size,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
        "cpu_pressure": cpu_pressure(),
    }


MEASURES: dict[str, Callable[[str, dict], dict]] = {
    "framework-status": lambda url, m: measure_job(url, m, "framework-status"),
    "generate-rounds": measure_generate,
    "assign-rounds": measure_assign,
    "web": measure_web,
    "reports": measure_reports,
    "import": measure_import,
    "geojson": measure_geojson,
    "mark-overdue": lambda url, m: measure_job(
        url,
        m,
        "mark-overdue",
        date.fromisoformat(m["today"]) + __import__("datetime").timedelta(days=42),
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measures", help=f"comma-separated, of: {', '.join(MEASURES)}")
    parser.add_argument("--url", required=True)
    parser.add_argument("--manifest", required=True, type=Path)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measures here")
    args = parser.parse_args(argv)
    os.environ.setdefault("CENTRAL_CONFIG", "development")
    manifest = json.loads(args.manifest.read_text())
    names = args.measures.split(",")
    unknown = [name for name in names if name not in MEASURES]
    if unknown:
        parser.error(f"unknown measures: {unknown}")
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    results = {}
    for name in names:
        try:
            if profiler:
                results[name] = profiler.runcall(MEASURES[name], args.url, manifest)
            else:
                results[name] = MEASURES[name](args.url, manifest)
            results[name]["load_average"] = os.getloadavg()
        except Exception as exc:  # noqa: BLE001 - one failed measure does not stop the others
            logging.exception("measure %s failed", name)
            results[name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    if profiler:
        profiler.dump_stats(args.profile)
    sys.stdout.write("\n" + json.dumps(results, default=str) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
