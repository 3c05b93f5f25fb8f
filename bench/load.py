"""Load: two web hosts (gunicorn on two ports) on loopback against one PostgreSQL database of its
own with the demo and one S3 store (a local moto server), 32 clients for 60 seconds mixing reads
and writes, then the database and the store are counted.

    python bench/load.py                     # 32 clients, 60 s, database central_load on 127.0.0.1
    python bench/load.py --clients 8 --seconds 10 --database postgresql+psycopg://...
    python bench/load.py --servers 1 --storage folder      # one host, files in a folder

The mix: providers record task results with an Idempotency-Key (some retried, some sent twice at
once, as a phone on a bad line does) and their day's labour; members import a small CSV (some
twice) and open their dashboard; coordinators read the consumption, social-impact and statement
reports and rounds; `central jobs run` runs jobs beside the web. Providers also send photos of
their tasks (with keys, some retried) to their host and read each back from the other host.
Clients are spread over the hosts. Passes when no answer is a 5xx (nor a broken connection), every
replayed key answers what it answered first, the database holds each recorded result, labour day,
imported asset and photo exactly once, and every photo's file is in the store with its bytes.
Writes p50/p95 per endpoint to bench/results/load.json and load.md.

Only 127.0.0.1 is ever contacted; every loop stops at the deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/central_load"
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30  # seconds; a request still waiting then counts as a failure
JOB_SCHEDULE = [(5, "generate-rounds"), (25, "mark-overdue"), (40, "framework-status")]


# --- the database of its own ---------------------------------------------------------------------


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url` (never another one)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.database or target.database in ("postgres", "test", "central_test"):
        raise SystemExit(f"refusing to recreate the database {target.database!r}")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


@dataclass
class Plan:
    """What the clients work on: tokens, and each provider's open tasks and rounds."""

    tokens: dict[str, list[str]]  # role -> tokens (one per user of that role)
    provider_tasks: dict[str, list[dict]]  # provider token -> [{id, round_id, checklist}]
    provider_rounds: dict[str, list[int]]
    framework_id: int
    member_id: int
    member_round_ids: list[int]
    year: int
    month: str
    today: str
    sessions: dict[str, tuple[str, str]]  # role -> (email, password) for page reads


def prepare(url: str, storage: Path, storage_url: str | None) -> Plan:
    """Migrate, load the demo, plan and assign this period's rounds, and make the tokens."""
    from sqlalchemy import select

    from central import create_app
    from central.accounts.models import User
    from central.accounts.services import create_token, create_user
    from central.cli import upgrade_database
    from central.core import clock
    from central.demo import DEMO_LOGINS, load_demo
    from central.extensions import db
    from central.frameworks.models import Framework, TaskType
    from central.jobs.runner import run_job
    from central.organisations.models import Organisation
    from central.planning.models import Round, Task

    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        STORAGE_DIR=str(storage),
        STORAGE_URL=storage_url,
    )
    with app.app_context():
        upgrade_database()
        load_demo()
        # Three planning horizons ahead: enough rounds that every crew works rounds of its own.
        for weeks in (0, 4, 8):
            day = clock.today() + timedelta(weeks=weeks)
            for job in ("generate-rounds", "assign-rounds"):
                run = run_job(job, today=day)
                print(f"  prepared {day}: {job} {run.status} {run.counts}", flush=True)
        second = db.session.scalar(
            select(Organisation).where(Organisation.name == "Maatwerkbedrijf Mandel & Leie")
        )
        if db.session.scalar(select(User).where(User.email == "crew@mandelleie.example")) is None:
            create_user(
                email="crew@mandelleie.example",
                role="provider",
                organisation_id=second.id,
                password="load-provider-2026",  # noqa: S106 - a throwaway account
            )
        db.session.flush()
        logins = {role: email for email, _pw, role in DEMO_LOGINS}
        users = {
            "coordinator": [logins["coordinator"]],
            "member": [logins["member"]],
            "provider": [logins["provider"], "crew@mandelleie.example"],
        }
        tokens: dict[str, list[str]] = {}
        provider_tasks: dict[str, list[dict]] = {}
        provider_rounds: dict[str, list[int]] = {}
        checklists = {t.id: t.checklist or [] for t in db.session.scalars(select(TaskType))}
        for role, emails in users.items():
            for email in emails:
                user = db.session.scalar(select(User).where(User.email == email))
                _token, secret = create_token(user, "load")
                tokens.setdefault(role, []).append(secret)
                if role != "provider":
                    continue
                rows = db.session.execute(
                    select(Task.id, Task.round_id, Task.task_type_id)
                    .join(Round, Round.id == Task.round_id)
                    .where(
                        Round.provider_id == user.organisation_id,
                        Round.status.in_(("assigned", "in_progress")),
                        Task.status == "open",
                    )
                    .order_by(Round.id, Task.sequence)
                ).all()
                provider_tasks[secret] = [
                    {"id": r.id, "round_id": r.round_id, "checklist": checklists[r.task_type_id]}
                    for r in rows
                ]
                provider_rounds[secret] = sorted({r.round_id for r in rows})
        member = db.session.scalar(select(User).where(User.email == logins["member"]))
        framework = db.session.scalar(select(Framework).order_by(Framework.id))
        member_rounds = list(
            db.session.scalars(
                select(Round.id).where(Round.member_id == member.organisation_id).limit(50)
            )
        )
        today = clock.today()
        db.session.commit()
        plan = Plan(
            tokens=tokens,
            provider_tasks=provider_tasks,
            provider_rounds=provider_rounds,
            framework_id=framework.id,
            member_id=member.organisation_id,
            member_round_ids=member_rounds,
            year=today.year,
            month=f"{today.year}-{today.month:02d}",
            today=today.isoformat(),
            sessions={
                role: (email, password)
                for email, password, role in DEMO_LOGINS
                if role in ("member", "provider")
            },
        )
        db.engine.dispose()
    return plan


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(url: str, storage: Path, storage_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "STORAGE_URL")}
    if storage_url:
        env["STORAGE_URL"] = storage_url  # with the AWS_* variables of this process
    env.update(
        DATABASE_URL=url,
        CENTRAL_CONFIG="development",
        SECRET_KEY="load-run-secret-key",  # noqa: S106 - a throwaway server on loopback
        STORAGE_DIR=str(storage),
        PYTHONPATH=str(ROOT),
    )
    return env


def start_gunicorn(env: dict[str, str], port: int, workers: int, threads: int, log: Path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        # Longer than a client waits between two requests, as behind a proxy that keeps
        # connections open: no reset races on a connection the server is just closing.
        "--keep-alive",
        "30",
        "wsgi:app",
    ]
    handle = log.open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return server
        time.sleep(0.2)
    stop(server)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log}")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn (the master and its workers: its own process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- the clients ----------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Everything the clients saw, shared between threads under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    errors: list[str] = field(default_factory=list)
    results: dict[int, str] = field(default_factory=dict)  # task id -> result answered 200
    result_keys: set[str] = field(default_factory=set)
    labour: dict[tuple[int, str], str] = field(default_factory=dict)  # (round, day) -> hours
    labour_keys: set[str] = field(default_factory=set)
    assets: set[str] = field(default_factory=set)  # codes an import answered as created
    photos: dict[int, tuple[int, str]] = field(default_factory=dict)  # id -> (task id, sha256)
    photos_read_elsewhere: int = 0
    replays: int = 0
    races: int = 0
    imports: int = 0
    jobs: list[dict] = field(default_factory=list)

    def record(self, endpoint: str, seconds: float, status: int) -> None:
        with self.lock:
            self.timings[endpoint].append(seconds)
            self.statuses[endpoint][status] += 1
            if status >= 500:
                self.errors.append(f"{endpoint}: {status}")

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Client:
    """One simulated user: a requests session on loopback, timing each call."""

    def __init__(
        self, base: str, ledger: Ledger, token: str | None = None, other_base: str | None = None
    ):
        import requests

        self.base, self.ledger = base, ledger
        self.other_base = other_base or base  # another web host, for reading back
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, endpoint: str, base: str | None = None, **kwargs: Any):
        import requests

        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                (base or self.base) + path,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            self.ledger.error(f"{endpoint}: {type(exc).__name__}: {exc}")
            return None
        self.ledger.record(endpoint, time.perf_counter() - started, response.status_code)
        return response

    def sign_in(self, email: str, password: str) -> None:
        import re

        page = self.call("GET", "/login", "GET /login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.call(
            "POST",
            "/login",
            "POST /login",
            data={"email": email, "password": password, "csrf_token": token},
        )


def answers(checklist: list[dict], defect: bool) -> dict[str, Any]:
    """Checklist answers: every item passes, or the first pass/fail item fails for a defect."""
    values: dict[str, Any] = {}
    for item in checklist:
        if item["kind"] == "pass_fail":
            values[item["key"]] = True
        else:
            low, high = item.get("min"), item.get("max")
            values[item["key"]] = (
                (float(low) + float(high)) / 2 if low is not None and high is not None else 1
            )
    if defect:
        for item in checklist:
            if item["kind"] == "pass_fail":
                values[item["key"]] = False
                break
    return values


def provider_loop(
    client: Client, tasks: list[dict], labour_rounds: list[int], plan: Plan, stop_at: float
):
    """Record results, each with its own key (a quarter retried, one in twenty sent twice at
    once); once every task is done, go round again with corrections (new keys, same result, as a
    crew fixing a note would). Then the day's labour of its rounds. Now and then a round is read.
    Each task and labour round belongs to one client, so the last answer is what is stored."""
    ledger, rng = client.ledger, random.Random(id(client))
    photos_sent: dict[int, int] = {}
    chosen = {t["id"]: ("defect" if rng.random() < 0.1 else "ok") for t in tasks}
    n = 0
    while tasks and time.monotonic() < stop_at:
        task = tasks[n % len(tasks)]
        n += 1
        defect = chosen[task["id"]] == "defect"
        body = {
            "result": chosen[task["id"]],
            "notes": f"load run, pass {n // len(tasks) + 1}",
            "defect_category": "lekkage" if defect else "",
            "checklist": answers(task["checklist"], defect),
        }
        key = f"load-result-{uuid.uuid4()}"
        path = f"/api/v1/tasks/{task['id']}/result"
        endpoint = "POST /tasks/{id}/result"
        if rng.random() < 0.05:
            responses = _at_once(client, path, endpoint, body, key)
            with ledger.lock:
                ledger.races += 1
        else:
            responses = [client.call("POST", path, endpoint, json=body, headers=_key(key))]
            if rng.random() < 0.25:
                responses.append(client.call("POST", path, endpoint, json=body, headers=_key(key)))
                with ledger.lock:
                    ledger.replays += 1
        _check_same(ledger, endpoint, key, responses)
        first = responses[0]
        if first is not None and first.status_code == 200:
            with ledger.lock:
                ledger.results[task["id"]] = body["result"]
                ledger.result_keys.add(key)
            if photos_sent.get(task["id"], 0) < PHOTOS_PER_TASK and rng.random() < PHOTO_SHARE:
                photos_sent[task["id"]] = photos_sent.get(task["id"], 0) + 1
                send_photo(client, task["id"], rng)
        elif first is not None:
            ledger.error(f"{endpoint} task {task['id']}: {first.status_code} {first.text[:200]}")
        if n % 10 == 0:
            client.call("GET", f"/api/v1/rounds/{task['round_id']}", "GET /rounds/{id}")
    for round_id in labour_rounds[:3]:
        hours = f"{rng.randint(10, 80) / 10:.2f}"
        # A crew of six: the provider's day adds up every round's hours (24 a day per worker).
        body = {
            "hours": hours,
            "workers": 6,
            "target_group_hours": "1.00",
            "target_group_workers": 1,
        }
        body["work_date"] = plan.today
        key = f"load-labour-{uuid.uuid4()}"
        path, endpoint = f"/api/v1/rounds/{round_id}/labour", "POST /rounds/{id}/labour"
        responses = [client.call("POST", path, endpoint, json=body, headers=_key(key))]
        responses.append(client.call("POST", path, endpoint, json=body, headers=_key(key)))
        _check_same(ledger, endpoint, key, responses)
        if responses[0] is not None and responses[0].status_code in (200, 201):
            with ledger.lock:
                ledger.labour[(round_id, plan.today)] = hours
                ledger.labour_keys.add(key)
        elif responses[0] is not None:
            ledger.error(f"{endpoint}: {responses[0].status_code} {responses[0].text[:200]}")


PHOTO_SHARE = 0.25  # of the results answered, the share followed by a photo of the task
PHOTOS_PER_TASK = 2


def photo_bytes(rng: random.Random) -> bytes:
    """A phone-sized JPEG (1200 x 900, noisy, so that it does not compress to nothing)."""
    from PIL import Image

    image = Image.effect_noise((1200, 900), rng.randint(20, 80)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def send_photo(client: Client, task_id: int, rng: random.Random) -> None:
    """Upload a photo of the task to this client's host (a quarter retried with the same key),
    then read it back from the other host: the same bytes as the first answer stored."""
    import hashlib

    ledger = client.ledger
    data = photo_bytes(rng)
    key = f"load-photo-{uuid.uuid4()}"
    path, endpoint = f"/api/v1/tasks/{task_id}/photos", "POST /tasks/{id}/photos"

    def upload():
        return client.call(
            "POST",
            path,
            endpoint,
            files={"file": ("photo.jpg", data, "image/jpeg")},
            headers=_key(key),
        )

    responses = [upload()]
    if rng.random() < 0.25:
        responses.append(upload())
        with ledger.lock:
            ledger.replays += 1
    _check_same(ledger, endpoint, key, responses)
    first = responses[0]
    if first is None:
        return
    if first.status_code != 201:
        ledger.error(f"{endpoint} task {task_id}: {first.status_code} {first.text[:200]}")
        return
    photo = first.json()
    read = client.call(
        "GET",
        photo["url"],
        "GET /tasks/{id}/photos/{id} (other host)",
        base=client.other_base,
    )
    if read is None or read.status_code != 200:
        ledger.error(
            f"photo {photo['id']} from the other host: {getattr(read, 'status_code', None)}"
        )
        return
    digest = hashlib.sha256(read.content).hexdigest()
    with ledger.lock:
        ledger.photos[photo["id"]] = (task_id, digest)
        ledger.photos_read_elsewhere += 1
    if len(read.content) != photo["size_bytes"]:
        ledger.error(
            f"photo {photo['id']}: {len(read.content)} bytes read, {photo['size_bytes']} stored"
        )


def _key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def _at_once(client: Client, path: str, endpoint: str, body: dict, key: str) -> list:
    """The same request twice at the same moment, over two connections."""
    twin = Client(client.base, client.ledger)
    twin.http.headers.update(client.http.headers)
    out: list = [None, None]
    barrier = threading.Barrier(2)

    def send(i: int, who: Client) -> None:
        barrier.wait()
        out[i] = who.call("POST", path, endpoint, json=body, headers=_key(key))

    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate((client, twin))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _check_same(ledger: Ledger, endpoint: str, key: str, responses: list) -> None:
    """A replayed key answers exactly what it answered the first time."""
    answered = [r for r in responses if r is not None]
    if len({(r.status_code, r.content) for r in answered}) > 1:
        ledger.error(
            f"{endpoint} key {key}: replay differs: "
            + " | ".join(f"{r.status_code} {r.text[:120]}" for r in answered)
        )


def member_loop(client: Client, page_client: Client, number: int, plan: Plan, stop_at: float):
    """Import a small CSV of new hydrants (every third file twice), list rounds, open the
    dashboard."""
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        codes = [f"LD{number:02d}{n:03d}{row:02d}" for row in range(20)]
        csv = "code;kind;street;house_number;postcode;municipality;lat;lon\n" + "".join(
            f"{code};hydrant_pillar;Loadstraat;{row + 1};8870;Izegem;"
            f"{50.91 + row / 2000:.5f};{3.21 + number / 500:.5f}\n".replace(".", ",")
            for row, code in enumerate(codes)
        )
        for attempt in range(2 if n % 3 == 0 else 1):
            response = client.call(
                "POST",
                "/api/v1/assets/import",
                "POST /assets/import",
                files={"file": (f"load-{number}-{n}.csv", csv.encode(), "text/csv")},
            )
            if response is None:
                continue
            if response.status_code != 200:
                client.ledger.error(f"import: {response.status_code} {response.text[:300]}")
                continue
            counts = response.json()
            with client.ledger.lock:
                client.ledger.imports += 1
                if attempt == 0 and counts.get("created") == len(codes):
                    client.ledger.assets.update(codes)
                elif attempt == 1 and counts.get("unchanged") != len(codes):
                    client.ledger.errors.append(f"import twice changed something: {counts}")
                elif attempt == 0:
                    client.ledger.errors.append(f"import created {counts} of {len(codes)}")
        client.call("GET", f"/api/v1/rounds?member_id={plan.member_id}", "GET /rounds")
        page_client.call("GET", "/", "GET / (member dashboard)")


def coordinator_loop(client: Client, plan: Plan, stop_at: float):
    """The reports a coordinator reads, round after round."""
    rng = random.Random(id(client))
    framework = plan.framework_id
    reads = [
        (f"/api/v1/reports/consumption?framework={framework}", "GET /reports/consumption"),
        (
            f"/api/v1/reports/social-impact?framework={framework}&year={plan.year}",
            "GET /reports/social-impact",
        ),
        (
            f"/api/v1/reports/statement?member={plan.member_id}&month={plan.month}",
            "GET /reports/statement",
        ),
        (f"/api/v1/frameworks/{framework}", "GET /frameworks/{id}"),
        ("/api/v1/jobs/runs", "GET /jobs/runs"),
    ]
    while time.monotonic() < stop_at:
        path, endpoint = rng.choice(reads)
        client.call("GET", path, endpoint)
        if plan.member_round_ids:
            client.call(
                "GET", f"/api/v1/rounds/{rng.choice(plan.member_round_ids)}", "GET /rounds/{id}"
            )


def provider_page_loop(page_client: Client, rounds: list[int], stop_at: float):
    """The crew's round page (HTML), as a phone reloads it."""
    rng = random.Random(id(page_client))
    while time.monotonic() < stop_at and rounds:
        page_client.call(
            "GET", f"/field/rounds/{rng.choice(rounds)}", "GET /field/rounds/{id} (round page)"
        )


def job_loop(env: dict[str, str], ledger: Ledger, started: float, stop_at: float) -> None:
    """`central jobs run NAME` beside the web, as the scheduler or an operator would."""
    central = Path(sys.executable).parent / "central"
    for offset, name in JOB_SCHEDULE:
        while time.monotonic() < started + offset:
            if time.monotonic() >= stop_at:
                return
            time.sleep(0.2)
        begun = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
            [str(central), "jobs", "run", name],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        run = {}
        with contextlib.suppress(ValueError):
            run = json.loads(done.stdout[done.stdout.index("{") :])
        entry = {
            "job": name,
            "exit": done.returncode,
            "status": run.get("status"),
            "counts": run.get("counts"),
            "seconds": round(time.perf_counter() - begun, 2),
        }
        with ledger.lock:
            ledger.jobs.append(entry)
        if done.returncode != 0 or run.get("status") not in ("succeeded", "skipped"):
            ledger.error(
                f"job {name}: exit {done.returncode} {done.stdout[-300:]} {done.stderr[-500:]}"
            )


def run_clients(bases: list[str], plan: Plan, env: dict, clients: int, seconds: float) -> Ledger:
    """`clients` threads for `seconds`: 3/8 providers, 1/8 crew round pages, 1/4 members,
    1/4 coordinators (at least one of each), plus the job thread, spread over the web hosts in
    turn. Page clients sign in and every worker answers once before the clock starts."""
    ledger = Ledger()
    hosts = iter(range(10**6))

    def host() -> tuple[str, str]:
        """The next client's host and another host to read back from."""
        n = next(hosts)
        return bases[n % len(bases)], bases[(n + 1) % len(bases)]

    providers = max(1, clients * 3 // 8)
    pages = max(1, clients // 8)
    members = max(1, clients // 4)
    coordinators = max(1, clients - providers - pages - members)
    provider_tokens = plan.tokens["provider"]
    for base in bases:
        warm = Client(base, Ledger())
        for _ in range(clients):
            warm.call("GET", "/login", "warm-up")
    work: list[tuple] = []
    # Each provider client is one crew: whole rounds of its organisation, none shared; the
    # crews are spread over the providers in proportion to their rounds.
    total_rounds = sum(len(r) for r in plan.provider_rounds.values()) or 1
    crews = {
        token: max(1, round(providers * len(rounds) / total_rounds))
        for token, rounds in plan.provider_rounds.items()
        if rounds
    }
    for token, count in crews.items():
        for index in range(count):
            rounds = plan.provider_rounds[token][index::count]
            share = [t for t in plan.provider_tasks[token] if t["round_id"] in set(rounds)]
            base, other = host()
            client = Client(base, ledger, token, other_base=other)
            work.append((provider_loop, client, share, rounds, plan))
    providers = sum(crews.values())
    for _ in range(pages):
        page_client = Client(host()[0], ledger)
        page_client.sign_in(*plan.sessions["provider"])
        work.append((provider_page_loop, page_client, plan.provider_rounds[provider_tokens[0]]))
    for number in range(members):
        base = host()[0]
        page_client = Client(base, ledger)
        page_client.sign_in(*plan.sessions["member"])
        client = Client(base, ledger, plan.tokens["member"][0])
        work.append((member_loop, client, page_client, number, plan))
    for _ in range(coordinators):
        client = Client(host()[0], ledger, plan.tokens["coordinator"][0])
        work.append((coordinator_loop, client, plan))
    print(
        f"  {providers} providers, {pages} crew pages, {members} members, "
        f"{coordinators} coordinators, 1 job runner, {seconds:.0f} s",
        flush=True,
    )
    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=fn, args=(*args, stop_at)) for fn, *args in work]
    threads.append(threading.Thread(target=job_loop, args=(env, ledger, started, stop_at)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT * 4 + 300)
    return ledger


# --- after the run: count in the database --------------------------------------------------------


def verify(url: str, ledger: Ledger, store: Any) -> dict[str, Any]:
    """Each result, labour day, imported asset and photo that was answered as stored is there,
    once; each photo's file is in the store with the bytes both hosts served."""
    import hashlib

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    checks: dict[str, Any] = {}
    with engine.connect() as conn:
        task_ids = list(ledger.results)
        stored: dict[int, tuple[str, str]] = {}
        for chunk in range(0, len(task_ids), 1000):
            part = task_ids[chunk : chunk + 1000]
            rows = conn.execute(
                sa.text("SELECT id, status, result FROM tasks WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": part},
            )
            stored.update({r.id: (r.status, r.result) for r in rows})
        lost = [
            t for t, result in ledger.results.items() if stored.get(t, (None, None))[1] != result
        ]
        reports = conn.execute(
            sa.text("SELECT count(*) FROM task_results WHERE task_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": task_ids or [0]},
        ).scalar()
        keys = conn.execute(
            sa.text("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'load-result-%'")
        ).scalar()
        defect_tasks = [t for t, r in ledger.results.items() if r == "defect"]
        needs = dict(
            conn.execute(
                sa.text(
                    "SELECT task_id, count(*) FROM needs WHERE task_id IN :ids GROUP BY task_id"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": defect_tasks or [0]},
            ).all()
        )
        labour_rows = {
            (r.round_id, r.work_date.isoformat()): f"{r.hours:.2f}"
            for r in conn.execute(sa.text("SELECT round_id, work_date, hours FROM labour_entries"))
        }
        labour_keys = conn.execute(
            sa.text("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'load-labour-%'")
        ).scalar()
        assets = conn.execute(sa.text("SELECT count(*) FROM assets WHERE code LIKE 'LD%'")).scalar()
        distinct = conn.execute(
            sa.text("SELECT count(DISTINCT code) FROM assets WHERE code LIKE 'LD%'")
        ).scalar()
        photo_tasks = sorted({task for task, _digest in ledger.photos.values()})
        photo_rows = conn.execute(
            sa.text("SELECT id, storage_key FROM task_photos WHERE task_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": photo_tasks or [0]},
        ).all()
    engine.dispose()
    stored_photos = {row.id: row.storage_key for row in photo_rows}
    wrong_files = 0
    for photo_id, (_task, digest) in ledger.photos.items():
        key = stored_photos.get(photo_id)
        try:
            ok = key is not None and hashlib.sha256(store.get(key)).hexdigest() == digest
        except LookupError:
            ok = False
        wrong_files += not ok
    checks["photos_answered"] = len(ledger.photos)
    checks["photo_rows"] = len(photo_rows)
    checks["photos_read_from_the_other_host"] = ledger.photos_read_elsewhere
    checks["photo_files_missing_or_different"] = wrong_files
    checks["results_answered"] = len(ledger.results)
    checks["results_lost"] = len(lost)
    checks["result_rows"] = reports
    checks["result_keys_answered"] = len(ledger.result_keys)
    checks["result_keys_stored"] = keys
    checks["defects"] = len(defect_tasks)
    checks["defects_without_one_follow_up_need"] = sum(1 for t in defect_tasks if needs.get(t) != 1)
    checks["labour_days_answered"] = len(ledger.labour)
    checks["labour_days_wrong"] = sum(
        1 for day, hours in ledger.labour.items() if labour_rows.get(day) != hours
    )
    checks["labour_keys_answered"] = len(ledger.labour_keys)
    checks["labour_keys_stored"] = labour_keys
    checks["assets_answered_created"] = len(ledger.assets)
    checks["assets_stored"] = assets
    checks["assets_doubled"] = assets - distinct
    checks["ok"] = (
        not lost
        and reports == len(ledger.results)
        and keys == len(ledger.result_keys)
        and checks["defects_without_one_follow_up_need"] == 0
        and checks["labour_days_wrong"] == 0
        and labour_keys == len(ledger.labour_keys)
        and assets == len(ledger.assets)
        and assets == distinct
        and len(photo_rows) == len(ledger.photos)
        and wrong_files == 0
    )
    return checks


# --- the report -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(ledger: Ledger, checks: dict, config: dict, seconds: float) -> dict:
    endpoints = {}
    for endpoint, values in sorted(ledger.timings.items()):
        endpoints[endpoint] = {
            "requests": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "statuses": dict(sorted(ledger.statuses[endpoint].items())),
        }
    total = sum(e["requests"] for e in endpoints.values())
    # A run passes only when every kind of client got its main work done.
    worked = {
        "results": len(ledger.results),
        "imports": ledger.imports,
        "reports": sum(len(v) for k, v in ledger.timings.items() if "/reports/" in k),
        "round_pages": len(ledger.timings.get("GET /field/rounds/{id} (round page)", [])),
        "dashboards": len(ledger.timings.get("GET / (member dashboard)", [])),
        "jobs": len(ledger.jobs),
        "photos": len(ledger.photos),
    }
    server_errors = sum(
        n for e in endpoints.values() for status, n in e["statuses"].items() if status >= 500
    )
    return {
        "config": config,
        "seconds": round(seconds, 1),
        "requests": total,
        "requests_per_second": round(total / seconds, 1) if seconds else None,
        "server_errors": server_errors,
        "errors": ledger.errors[:50],
        "error_count": len(ledger.errors),
        "replayed_keys": ledger.replays,
        "keys_sent_twice_at_once": ledger.races,
        "imports": ledger.imports,
        "jobs": ledger.jobs,
        "database_checks": checks,
        "endpoints": endpoints,
        "passed": server_errors == 0
        and not ledger.errors
        and checks.get("ok", False)
        and all(n > 0 for n in worked.values()),
        "work_done": worked,
    }


def markdown(summary: dict) -> str:
    config = summary["config"]
    lines = [
        "# Load run",
        "",
        f"{config['clients']} clients for {config['seconds']} s against {config['servers']} web "
        f"host(s) (gunicorn on its own port, {config['workers']} workers x {config['threads']} "
        f"threads each), one PostgreSQL and files in {config['storage']}, all on loopback, "
        f"{config['date']}. Command: `{config['command']}`. Machine load average (1 min) "
        f"{config['load_average_before']} before, {config['load_average_after']} after.",
        "",
        f"**{'PASSED' if summary['passed'] else 'FAILED'}** — {summary['requests']} requests "
        f"({summary['requests_per_second']}/s), {summary['server_errors']} server errors, "
        f"{summary['error_count']} other errors.",
        "",
        "| endpoint | requests | p50 ms | p95 ms | max ms | statuses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for endpoint, e in summary["endpoints"].items():
        statuses = ", ".join(f"{s}: {n}" for s, n in e["statuses"].items())
        lines.append(
            f"| {endpoint} | {e['requests']} | {e['p50_ms']} | {e['p95_ms']} | {e['max_ms']} "
            f"| {statuses} |"
        )
    lines += ["", "Counted in the database afterwards:", ""]
    lines += [f"- {k}: {v}" for k, v in summary["database_checks"].items()]
    lines += ["", "Jobs run with `central jobs run` during the load:", ""]
    lines += [
        f"- {j['job']}: {j['status']} in {j['seconds']} s, counts {j['counts']}"
        for j in summary["jobs"]
    ]
    if summary["errors"]:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in summary["errors"]]
    return "\n".join(lines) + "\n"


def start_s3() -> tuple[Any, str]:
    """A local S3 server (moto) with an empty bucket; the web hosts reach it through boto3's
    environment variables, set here for this process and its children."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{HOST}:{port}",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="central-load",
        AWS_SECRET_ACCESS_KEY="central-load-secret",  # noqa: S106 - a throwaway local server
    )
    boto3.client("s3").create_bucket(
        Bucket="central-load", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return server, "s3://central-load/files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="dropped and recreated")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--servers", type=int, default=2, help="web hosts: gunicorn on N ports")
    parser.add_argument("--workers", type=int, default=2, help="per web host")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--storage", choices=("s3", "folder"), default="s3", help="s3: a local moto server"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "load")
    args = parser.parse_args(argv)
    if args.clients > 64 or args.seconds > 600 or not 1 <= args.servers <= 4:
        raise SystemExit("bounded: at most 64 clients, 600 seconds and 4 web hosts")

    with tempfile.TemporaryDirectory(prefix="central-load-") as tmp:
        storage = Path(tmp) / "storage"
        s3, storage_url = start_s3() if args.storage == "s3" else (None, None)
        print(f"database {args.database}: recreating, migrating, loading the demo", flush=True)
        recreate_database(args.database)
        plan = prepare(args.database, storage, storage_url)
        open_tasks = sum(len(t) for t in plan.provider_tasks.values())
        rounds = [len(r) for r in plan.provider_rounds.values()]
        print(f"  {open_tasks} open tasks in {rounds} rounds of the providers", flush=True)
        env = server_env(args.database, storage, storage_url)
        load_before = os.getloadavg()[0]
        ports = [free_port() for _ in range(args.servers)]
        logs = [Path(tmp) / f"gunicorn-{port}.log" for port in ports]
        servers = []
        try:
            for port, log in zip(ports, logs, strict=True):
                servers.append(start_gunicorn(env, port, args.workers, args.threads, log))
            started = time.monotonic()
            bases = [f"http://{HOST}:{port}" for port in ports]
            ledger = run_clients(bases, plan, env, args.clients, args.seconds)
            elapsed = time.monotonic() - started
        finally:
            for server in servers:
                stop(server)
        log_tail = "".join(log.read_text(errors="replace")[-1500:] for log in logs)
        from central.core.storage import from_settings

        checks = verify(args.database, ledger, from_settings(storage_url, str(storage)))
        if s3 is not None:
            s3.stop()
    config = {
        "clients": args.clients,
        "seconds": args.seconds,
        "servers": args.servers,
        "workers": args.workers,
        "threads": args.threads,
        "storage": "S3 (a local moto server)" if args.storage == "s3" else "a local folder",
        "date": date.today().isoformat(),
        "command": "python bench/load.py"
        + (f" --clients {args.clients}" if args.clients != 32 else "")
        + (f" --seconds {args.seconds:g}" if args.seconds != 60 else "")
        + (f" --servers {args.servers}" if args.servers != 2 else "")
        + (f" --storage {args.storage}" if args.storage != "s3" else ""),
        "open_tasks_at_start": open_tasks,
        # Other work on the machine (2 cores) during the run: latencies rise with it.
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    summary = summarise(ledger, checks, config, elapsed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(summary))
    print(markdown(summary))
    if not summary["passed"]:
        print("gunicorn log (end):\n" + log_tail)
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
