"""Faults, on a PostgreSQL cluster of the script's own (initdb into a temporary folder, its own
port on 127.0.0.1; the machine's shared cluster is never touched):

(a) the scheduler process is killed (SIGKILL) in the middle of `generate-rounds`, after its first
    batch of rounds was committed, and started again: no half-made round (every round has its
    tasks, numbered 1..n), no asset planned twice, the interrupted run is closed as failed, and
    the next run completes the work (a further run finds nothing left to plan);
(b) PostgreSQL is restarted while gunicorn serves clients: requests fail cleanly (503 with
    Retry-After, in the API's error format, never a 500 or a traceback) and recover by
    themselves; every write answered 200 is in the database, and writes refused with 503 and
    sent again with the same Idempotency-Key are stored once.

    python bench/faults.py                   # both; about five minutes
    python bench/faults.py --only scheduler --assets 40000

Writes bench/results/faults.json and faults.md.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402 - after the path set-up above
    HOST,
    RESULTS,
    Client,
    Ledger,
    answers,
    free_port,
    server_env,
    start_gunicorn,
    stop,
)

DATABASE = "central_faults"


# --- a PostgreSQL cluster of our own -----------------------------------------------------------


class PrivateCluster:
    """initdb + pg_ctl in a temporary folder, on its own port, run as the postgres user when we
    are root (initdb refuses root)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="central-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@{HOST}:{self.port}/{DATABASE}"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(  # noqa: S603 - PostgreSQL's own tools with fixed arguments
            command, check=check, capture_output=True, text=True, timeout=120
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses={HOST} -k {self.folder} -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- shared set-up: the demo plus many unplanned hydrants -------------------------------------


def prepare(url: str, storage: Path, assets: int) -> dict[str, Any]:
    """Migrate, load the demo, plan its due work, then add `assets` new hydrants (never
    inspected, so due) to the members with an inspection plan; the framework's maximum is raised
    so that all of them fit."""
    import sqlalchemy as sa

    from central import create_app
    from central.assets.models import Asset, ServicePlan
    from central.cli import upgrade_database
    from central.demo import load_demo
    from central.extensions import db
    from central.frameworks.models import Framework, Lot
    from central.jobs.runner import run_job

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(storage))
    with app.app_context():
        upgrade_database()
        load_demo()
        for job in ("generate-rounds", "assign-rounds"):
            run_job(job)
        db.session.execute(sa.update(Framework).values(max_value=50_000_000))
        db.session.execute(sa.update(Lot).values(max_value=None))
        members = list(
            db.session.scalars(
                sa.select(ServicePlan.member_id).where(ServicePlan.active.is_(True)).distinct()
            )
        )
        centres = {
            m: db.session.execute(
                sa.select(sa.func.avg(Asset.lat), sa.func.avg(Asset.lon)).where(
                    Asset.member_id == m
                )
            ).one()
            for m in members
        }
        rng = random.Random(8800)
        rows = []
        for n in range(assets):
            member = members[n % len(members)]
            lat, lon = centres[member]
            lat, lon = (lat or 50.94), (lon or 3.12)
            rows.append(
                {
                    "member_id": member,
                    "code": f"FLT{n:06d}",
                    "kind": "hydrant_underground",
                    "street": "Foutenstraat",
                    "house_number": str(n % 300 + 1),
                    "postcode": "8800",
                    "municipality": "Roeselare",
                    "lat": lat + rng.uniform(-0.03, 0.03),
                    "lon": lon + rng.uniform(-0.045, 0.045),
                    "status": "active",
                }
            )
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(Asset), rows[start : start + 5000])
        db.session.commit()
        facts = {"members_with_plans": len(members), "assets_added": assets}
        db.engine.dispose()
    return facts


# --- (a) the scheduler killed in the middle of generate-rounds ---------------------------------


def _scalar(url: str, sql: str, **params: Any) -> Any:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql), params).scalar()
    engine.dispose()
    return value


def _queue(url: str, job: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        run_id = conn.execute(
            sa.text(
                "INSERT INTO job_runs (job, status, requested_at, counts) "
                "VALUES (:job, 'queued', now(), '{}') RETURNING id"
            ),
            {"job": job},
        ).scalar()
    engine.dispose()
    return run_id


def _start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen:
    central = Path(sys.executable).parent / "central"
    return subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [str(central), "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _integrity(url: str) -> dict[str, int]:
    return {
        "rounds": _scalar(url, "SELECT count(*) FROM rounds"),
        "tasks": _scalar(url, "SELECT count(*) FROM tasks"),
        "rounds_without_tasks": _scalar(
            url,
            "SELECT count(*) FROM rounds r WHERE NOT EXISTS "
            "(SELECT 1 FROM tasks t WHERE t.round_id = r.id)",
        ),
        "rounds_with_gaps_in_their_sequence": _scalar(
            url,
            "SELECT count(*) FROM (SELECT round_id FROM tasks GROUP BY round_id "
            "HAVING min(sequence) <> 1 OR max(sequence) <> count(*)) AS gaps",
        ),
        "assets_planned_twice": _scalar(
            url,
            "SELECT count(*) FROM (SELECT asset_id, task_type FROM tasks "
            "WHERE status IN ('open', 'contested') AND asset_id IS NOT NULL "
            "GROUP BY asset_id, task_type HAVING count(*) > 1) AS twice",
        ),
        "new_assets_unplanned": _scalar(
            url,
            "SELECT count(*) FROM assets a WHERE a.code LIKE 'FLT%' AND NOT EXISTS "
            "(SELECT 1 FROM tasks t WHERE t.asset_id = a.id)",
        ),
    }


def scheduler_fault(url: str, env: dict[str, str], folder: Path) -> dict[str, Any]:
    """Queue generate-rounds for `central scheduler`, SIGKILL the scheduler once the first batch
    is committed, start it again, queue the job again, and check the rounds."""
    log = folder / "scheduler.log"
    outcome: dict[str, Any] = {"name": "scheduler killed in the middle of generate-rounds"}
    rounds_before = _scalar(url, "SELECT count(*) FROM rounds")
    scheduler = _start_scheduler(env, log)
    first = _queue(url, "generate-rounds")
    started = time.monotonic()
    killed_at_rounds = None
    try:
        while time.monotonic() - started < 600:
            status = _scalar(url, "SELECT status FROM job_runs WHERE id = :id", id=first)
            made = _scalar(url, "SELECT count(*) FROM rounds") - rounds_before
            if status == "running" and made > 0:
                os.killpg(scheduler.pid, signal.SIGKILL)
                scheduler.wait()
                killed_at_rounds = made
                break
            if status in ("succeeded", "failed", "skipped"):
                break
            time.sleep(0.05)
    finally:
        if scheduler.poll() is None:
            os.killpg(scheduler.pid, signal.SIGKILL)
            scheduler.wait()
    outcome["seconds_until_kill"] = round(time.monotonic() - started, 1)
    if killed_at_rounds is None:
        outcome["passed"] = False
        outcome["problem"] = (
            "generate-rounds ended before a batch was committed and the job still ran "
            f"(status {status}); run with more --assets"
        )
        return outcome
    outcome["rounds_committed_when_killed"] = killed_at_rounds
    outcome["after_kill"] = _integrity(url)
    outcome["interrupted_run_status_after_kill"] = _scalar(
        url, "SELECT status FROM job_runs WHERE id = :id", id=first
    )

    scheduler = _start_scheduler(env, log)
    second = _queue(url, "generate-rounds")
    started = time.monotonic()
    try:
        while time.monotonic() - started < 900:
            status = _scalar(url, "SELECT status FROM job_runs WHERE id = :id", id=second)
            if status in ("succeeded", "failed", "skipped"):
                break
            time.sleep(0.5)
    finally:
        os.killpg(scheduler.pid, signal.SIGTERM)
        try:
            scheduler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(scheduler.pid, signal.SIGKILL)
            scheduler.wait()
    outcome["recovery_run_status"] = status
    outcome["recovery_run_seconds"] = round(time.monotonic() - started, 1)
    outcome["recovery_run_counts"] = json.loads(
        _scalar(url, "SELECT CAST(counts AS TEXT) FROM job_runs WHERE id = :id", id=second) or "{}"
    )
    outcome["interrupted_run"] = {
        "status": _scalar(url, "SELECT status FROM job_runs WHERE id = :id", id=first),
        "error": _scalar(url, "SELECT error FROM job_runs WHERE id = :id", id=first),
    }
    outcome["after_recovery"] = _integrity(url)
    # A further run finds nothing left: the recovery run completed the work.
    central = Path(sys.executable).parent / "central"
    done = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [str(central), "jobs", "run", "generate-rounds"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    third = json.loads(done.stdout[done.stdout.index("{") :]) if "{" in done.stdout else {}
    outcome["further_run_counts"] = third.get("counts")
    after_kill, after = outcome["after_kill"], outcome["after_recovery"]
    outcome["passed"] = bool(
        after_kill["rounds_without_tasks"] == 0
        and after_kill["rounds_with_gaps_in_their_sequence"] == 0
        and after_kill["assets_planned_twice"] == 0
        and status == "succeeded"
        and outcome["interrupted_run"]["status"] == "failed"
        and after["rounds_without_tasks"] == 0
        and after["rounds_with_gaps_in_their_sequence"] == 0
        and after["assets_planned_twice"] == 0
        and third.get("status") == "succeeded"
        and (third.get("counts") or {}).get("tasks") == 0
    )
    return outcome


# --- (b) PostgreSQL restarted during load ------------------------------------------------------


@dataclass
class Outcomes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[tuple[float, str, int, str]] = field(default_factory=list)  # t, endpoint, status
    connection_errors: int = 0
    stored: dict[int, str] = field(default_factory=dict)  # task id -> result answered 200
    keys: set[str] = field(default_factory=set)
    retried_after_503: int = 0


def _tasks_for_provider(url: str) -> list[dict]:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT t.id, t.round_id, tt.checklist FROM tasks t "
                "JOIN rounds r ON r.id = t.round_id JOIN task_types tt ON tt.id = t.task_type_id "
                "JOIN users u ON u.organisation_id = r.provider_id "
                "WHERE u.email = 'crew@kraanwerkers.example' AND t.status = 'open' "
                "AND r.status IN ('assigned', 'in_progress') ORDER BY t.id LIMIT 4000"
            )
        ).all()
    engine.dispose()
    return [
        {
            "id": r.id,
            "round_id": r.round_id,
            "checklist": r.checklist if isinstance(r.checklist, list) else json.loads(r.checklist),
        }
        for r in rows
    ]


def _token(url: str, storage: Path, email: str) -> str:
    from sqlalchemy import select

    from central import create_app
    from central.accounts.models import User
    from central.accounts.services import create_token
    from central.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, STORAGE_DIR=str(storage))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        _t, secret = create_token(user, "faults")
        db.session.commit()
        db.engine.dispose()
    return secret


def restart_fault(
    cluster: PrivateCluster, env: dict[str, str], storage: Path, folder: Path, seconds: float
) -> dict[str, Any]:
    """Clients write and read through gunicorn; PostgreSQL stops for a few seconds and starts
    again in the middle. Refused writes are sent again with the same key, as a phone would."""
    url = cluster.url
    tasks = _tasks_for_provider(url)
    provider = _token(url, storage, "crew@kraanwerkers.example")
    coordinator = _token(url, storage, "coordinator@roeselare.example")
    framework = _scalar(url, "SELECT min(id) FROM frameworks")
    outcomes = Outcomes()
    port = free_port()
    server = start_gunicorn(env, port, 2, 4, folder / "gunicorn.log")
    base = f"http://{HOST}:{port}"
    warm = Client(base, Ledger(), coordinator)
    for _ in range(8):  # every worker has loaded the app and opened its pool
        warm.call("GET", f"/api/v1/frameworks/{framework}", "warm-up")
    started = time.monotonic()
    stop_at = started + seconds
    down_from, down_to = started + seconds * 0.3, None

    def note(endpoint: str, response: Any) -> None:
        with outcomes.lock:
            if response is None:
                outcomes.connection_errors += 1
                return
            outcomes.answers.append(
                (time.monotonic() - started, endpoint, response.status_code, response.text[:300])
            )

    def writer(share: list[dict]) -> None:
        client = Client(base, Ledger(), provider)
        pending: list[tuple[dict, dict, str]] = []
        for task in share:
            if time.monotonic() >= stop_at:
                break
            body = {
                "result": "ok",
                "notes": "fault run",
                "checklist": answers(task["checklist"], False),
            }
            pending.append((task, body, f"fault-{uuid.uuid4()}"))
            while pending and time.monotonic() < stop_at:
                task, body, key = pending[0]
                response = client.call(
                    "POST",
                    f"/api/v1/tasks/{task['id']}/result",
                    "POST /tasks/{id}/result",
                    json=body,
                    headers={"Idempotency-Key": key},
                )
                note("POST /tasks/{id}/result", response)
                if response is not None and response.status_code == 200:
                    with outcomes.lock:
                        outcomes.stored[task["id"]] = "ok"
                        outcomes.keys.add(key)
                    pending.pop(0)
                elif response is None or response.status_code == 503:
                    with outcomes.lock:
                        outcomes.retried_after_503 += 1
                    time.sleep(0.5)  # the same key again, once the database is back
                else:
                    pending.pop(0)

    def reader() -> None:
        client = Client(base, Ledger(), coordinator)
        paths = [
            f"/api/v1/frameworks/{framework}",
            f"/api/v1/reports/consumption?framework={framework}",
            "/api/v1/rounds?per_page=20",
        ]
        while time.monotonic() < stop_at:
            path = random.choice(paths)  # noqa: S311 - load mix, not security
            note("GET " + path.split("?")[0], client.call("GET", path, "GET"))

    def pages() -> None:
        client = Client(base, Ledger())
        client.sign_in("member@izegem.example", "demo-member-2026")
        while time.monotonic() < stop_at:
            note("GET / (member dashboard)", client.call("GET", "/", "GET /"))

    shares = [tasks[i::4] for i in range(4)]
    threads = [threading.Thread(target=writer, args=(s,)) for s in shares]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    threads += [threading.Thread(target=pages)]
    try:
        for thread in threads:
            thread.start()
        while time.monotonic() < down_from:
            time.sleep(0.1)
        cluster.stop()
        down_at = time.monotonic() - started
        time.sleep(5)
        cluster.start()
        down_to = time.monotonic() - started
        for thread in threads:
            thread.join(timeout=seconds + 120)
    finally:
        stop(server)
    server_log = (folder / "gunicorn.log").read_text(errors="replace")
    statuses: dict[str, int] = {}
    for _t, _e, status, _b in outcomes.answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    unclean = [
        (t, e, s, b)
        for t, e, s, b in outcomes.answers
        if s >= 500 and (s != 503 or "Traceback" in b or "psycopg" in b)
    ]
    bad_503 = [
        (t, e, s, b)
        for t, e, s, b in outcomes.answers
        if s == 503 and e != "GET / (member dashboard)" and '"unavailable"' not in b
    ]
    after = [a for a in outcomes.answers if a[0] > down_to + 2]
    first_ok_after = min(
        (t for t, _e, s, _b in outcomes.answers if t > down_to and s < 500), default=None
    )
    stored = {}
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        ids = list(outcomes.stored) or [0]
        stored = dict(
            conn.execute(
                sa.text("SELECT id, result FROM tasks WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            ).all()
        )
        keys = conn.execute(
            sa.text("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'fault-%'")
        ).scalar()
    engine.dispose()
    lost = [t for t in outcomes.stored if stored.get(t) != "ok"]
    outcome = {
        "name": "PostgreSQL restarted during load",
        "database_down_from_s": round(down_at, 1),
        "database_back_at_s": round(down_to, 1),
        "answers": len(outcomes.answers),
        "statuses": statuses,
        "connection_errors": outcomes.connection_errors,
        "unclean_5xx": len(unclean),
        "unclean_examples": unclean[:5],
        "503_not_in_api_error_format": len(bad_503),
        "first_success_after_restart_s": round(first_ok_after, 1) if first_ok_after else None,
        "answers_after_recovery": len(after),
        "failures_after_recovery": sum(1 for a in after if a[2] >= 500),
        "writes_answered_200": len(outcomes.stored),
        "writes_lost": len(lost),
        "keys_answered": len(outcomes.keys),
        "keys_stored": keys,
        "writes_sent_again_after_503": outcomes.retried_after_503,
        "tracebacks_in_server_log": server_log.count("Traceback"),
        "server_log_messages": _log_summary(server_log),
        "server_log_first_traceback": _first_traceback(server_log),
    }
    outcome["passed"] = bool(
        not unclean
        and not bad_503
        and outcomes.connection_errors == 0
        and statuses.get("503", 0) > 0
        and first_ok_after is not None
        and outcome["failures_after_recovery"] == 0
        and not lost
        and keys == len(outcomes.keys)
        and outcomes.stored
    )
    return outcome


def _first_traceback(log: str) -> str | None:
    """The first traceback in the server log with the lines before it, to tell what raised."""
    at = log.find("Traceback")
    if at < 0:
        return None
    start = log.rfind("\n", 0, max(0, log.rfind("\n", 0, at) - 1)) + 1
    return log[start : at + 6000]


def _log_summary(log: str) -> dict[str, int]:
    """How often each kind of message appears in the server log (errors and warnings)."""
    kinds: dict[str, int] = {}
    for line in log.splitlines():
        if "database unavailable on" in line:
            kind = "warning: database unavailable (answered 503)"
        elif "connection lost at the end of a request" in line:
            kind = "warning: connection lost at the end of a request (discarded)"
        elif line.startswith(("sqlalchemy.exc.", "psycopg.")):
            kind = line.split(":")[0][:120]
        else:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: -item[1])[:10])


# --- main ----------------------------------------------------------------------------------------


def markdown(summary: dict) -> str:
    lines = [
        "# Fault runs",
        "",
        f"{summary['date']}, `{summary['command']}`, on a private PostgreSQL cluster "
        f"(initdb, port {summary['port']}).",
        "",
    ]
    for outcome in summary["outcomes"]:
        lines.append(f"## {outcome['name']}: {'PASSED' if outcome.get('passed') else 'FAILED'}")
        lines.append("")
        for key, value in outcome.items():
            if key not in ("name", "passed"):
                lines.append(f"- {key}: {value}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("scheduler", "restart"))
    parser.add_argument("--assets", type=int, default=60_000, help="unplanned hydrants added")
    parser.add_argument("--seconds", type=float, default=40, help="length of the restart run")
    parser.add_argument("--out", type=Path, default=RESULTS / "faults")
    args = parser.parse_args(argv)

    cluster = PrivateCluster()
    outcomes = []
    try:
        print(f"private cluster: {cluster.bin} on port {cluster.port} in {cluster.folder}")
        cluster.init()
        cluster.start()
        from bench.load import recreate_database

        recreate_database(cluster.url)
        storage = cluster.folder / "storage"
        print("preparing: migrations, demo, new hydrants", flush=True)
        facts = prepare(cluster.url, storage, args.assets)
        print(f"  {facts}", flush=True)
        env = server_env(cluster.url, storage)
        if args.only in (None, "scheduler"):
            print("(a) scheduler killed in the middle of generate-rounds", flush=True)
            outcomes.append(scheduler_fault(cluster.url, env, cluster.folder))
            print(json.dumps(outcomes[-1], indent=2, default=str), flush=True)
        if args.only in (None, "restart"):
            print("(b) PostgreSQL restarted during load", flush=True)
            outcomes.append(restart_fault(cluster, env, storage, cluster.folder, args.seconds))
            print(json.dumps(outcomes[-1], indent=2, default=str), flush=True)
    finally:
        with contextlib.suppress(Exception):
            cluster.cleanup()
    summary = {
        "date": date.today().isoformat(),
        "command": "python bench/faults.py" + (f" --only {args.only}" if args.only else ""),
        "port": cluster.port,
        "outcomes": outcomes,
        "passed": bool(outcomes) and all(o.get("passed") for o in outcomes),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    args.out.with_suffix(".md").write_text(markdown(summary))
    print(markdown(summary))
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
