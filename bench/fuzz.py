"""Fuzz the JSON API from its own OpenAPI document (schemathesis), in-process through the WSGI app.

Each operation is called as a coordinator, a member and a provider (Bearer tokens of a small world
of test data), with valid and invalid input (schemathesis' positive and negative generation), and
with path ids both random and real. A response fails when it is a 5xx (or the app raised), when
its status is not one the document lists for the operation, or when an error is not in the API's
error format. No network: requests go straight into the WSGI app.

    python bench/fuzz.py                      # the long run: 200 examples per operation and role
    python bench/fuzz.py --examples 20 --database postgresql+psycopg://postgres@127.0.0.1/central_fuzz

The quick run in the normal suite is tests/test_fuzz.py (the same harness, few examples).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project and its tests (the factories)
    sys.path.insert(0, str(ROOT))

# The admin last: it may deactivate the other roles' users, which would end their tokens.
ROLES = ("coordinator", "member", "provider", "admin")
BASE_URL = "http://localhost/api/v1"


@dataclass
class World:
    """Bearer tokens per role and real ids per path parameter name."""

    tokens: dict[str, str]
    ids: dict[str, list[Any]]


@dataclass(frozen=True)
class Failure:
    role: str
    operation: str
    status: int | None
    problem: str
    request: str

    def line(self) -> str:
        return (
            f"[{self.role}] {self.operation} -> {self.status}: {self.problem}\n    {self.request}"
        )


@dataclass
class Report:
    failures: dict[tuple[str, str, int | None, str], Failure] = field(default_factory=dict)
    calls: int = 0
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, failure: Failure) -> None:
        key = (failure.role, failure.operation, failure.status, failure.problem.splitlines()[0])
        self.failures.setdefault(key, failure)


def build_world() -> World:
    """A lead authority with a coordinator, an active framework (lot, task type, price, award),
    a member with assets, a plan, a need and rounds, and a provider with the round assigned.
    Runs in the caller's session and transaction (the caller commits or rolls back)."""
    from sqlalchemy import select

    from central.accounts.models import ApiToken
    from central.extensions import db
    from central.frameworks.models import Accession
    from central.jobs.registry import jobs
    from central.planning.models import Task
    from tests.factories import (
        make_active_framework,
        make_asset,
        make_framework,
        make_need,
        make_org,
        make_round,
        make_service_plan,
        make_token,
        make_user,
        make_work,
    )

    lead = make_org("authority")
    member = make_org("authority")
    provider = make_org("provider", social_economy_status="lde")
    users = {
        "coordinator": make_user("coordinator", org=lead),
        "member": make_user("member", org=member),
        "provider": make_user("provider", org=provider),
        "admin": make_user("admin"),
    }
    framework = make_active_framework(lead, members=[member, lead], providers=[provider])
    draft = make_framework(lead)
    lot = framework.lots[0]
    assets = [make_asset(member) for _ in range(5)]
    plan = make_service_plan(member, lot)
    need = make_need(member, lot, assets[0])
    open_round = make_round(lot, member, assets[:3], provider=provider)
    done_round = make_work(lot, member, provider, [{"status": "done"}, {}], status="completed")
    tokens = {role: make_token(user, "fuzz") for role, user in users.items()}
    # Tokens that the fuzzer may revoke without locking itself out.
    for user in users.values():
        make_token(user, "spare")
    spare_ids = list(db.session.scalars(select(ApiToken.id).where(ApiToken.name == "spare")))
    task_ids = list(
        db.session.scalars(select(Task.id).where(Task.round_id.in_([open_round.id, done_round.id])))
    )
    ids: dict[str, list[Any]] = {
        "org_id": [lead.id, member.id, provider.id],
        "user_id": [u.id for u in users.values()],
        "token_id": spare_ids,
        "framework_id": [framework.id, draft.id],
        "lot_id": [lot.id],
        "task_type_id": [t.id for t in lot.task_types],
        "accession_id": list(
            db.session.scalars(select(Accession.id).where(Accession.framework_id == framework.id))
        ),
        "asset_id": [a.id for a in assets],
        "plan_id": [plan.id],
        "need_id": [need.id],
        "round_id": [open_round.id, done_round.id],
        "task_id": task_ids,
        "member_id": [member.id, lead.id],
        "year": [2025, 2026],
        "name": sorted(jobs()),
    }
    return World(tokens=tokens, ids={k: v for k, v in ids.items() if v})


def _documented_statuses(operation: Any) -> set[int]:
    return {int(code) for code in operation.definition.raw.get("responses", {}) if code.isdigit()}


def _problem(response: Any, documented: set[int]) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}: {response.text[:300]}"
    if status not in documented:
        return f"status {status} is not documented (documented: {sorted(documented)})"
    if status >= 400 and status != 405:
        try:
            body = json.loads(response.content or b"null")
            error = body["error"]
            if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
                raise ValueError
        except Exception:
            return f"error {status} not in the API error format: {response.text[:200]}"
    return None


def fuzz(
    app: Any,
    world: World,
    *,
    max_examples: int,
    derandomize: bool,
    roles: Iterable[str] = ROLES,
    only: Callable[[str], bool] = lambda label: True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Call every operation of the app's OpenAPI document as each role; collect the failures."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    report = Report()
    operations = [result.ok() for result in schema.get_all_operations()]
    for role in roles:
        headers = {"Authorization": f"Bearer {world.tokens[role]}"}
        for operation in operations:
            label = f"{operation.method.upper()} {operation.path}"
            if not only(label):
                continue
            documented = _documented_statuses(operation)
            names = [p.name for p in operation.path_parameters]
            strategies = [
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            ]
            if names and all(n in world.ids for n in names):
                # The same operation on objects that exist (in reach or not, per role).
                real = st.fixed_dictionaries({n: st.sampled_from(world.ids[n]) for n in names})
                strategies.append(
                    real.flatmap(
                        lambda values, op=operation: op.as_strategy(
                            GenerationMode.POSITIVE, path_parameters=values
                        )
                    )
                )
            run = _case_runner(
                report,
                role,
                label,
                headers,
                documented,
                st.one_of(strategies),
                settings(
                    max_examples=max_examples,
                    deadline=None,
                    database=None,
                    derandomize=derandomize,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate],
                ),
            )
            started = time.monotonic()
            run()
            if progress:
                progress(f"{role:<12} {label:<50} {time.monotonic() - started:5.1f} s")
    return report


def _case_runner(
    report: Report,
    role: str,
    label: str,
    headers: dict[str, str],
    documented: set[int],
    strategy: Any,
    config: Any,
) -> Callable[[], None]:
    """A Hypothesis test that sends each generated case and records what fails."""
    from hypothesis import given

    seen = report.statuses.setdefault(f"{role} {label}", {})

    @config
    @given(case=strategy)
    def run(case: Any) -> None:
        report.calls += 1
        try:
            response = case.call(base_url=BASE_URL, headers=headers)
        except Exception as exc:  # the app raised: a 500 in production
            where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
            problem = "".join(traceback.format_exception_only(exc)).strip()
            report.add(Failure(role, label, 500, f"{problem}\n{where}", _describe(case)))
            return
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        problem = _problem(response, documented)
        if problem:
            report.add(Failure(role, label, response.status_code, problem, _describe(case)))

    return run


def _describe(case: Any) -> str:
    parts = [f"{case.method.upper()} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    if case.body is not None and not isinstance(case.body, type):
        text = repr(case.body)
        parts.append(f"body={text[:300]}")
    if case.headers:
        parts.append(
            f"headers={ {k: v for k, v in case.headers.items() if k != 'Authorization'}!r}"
        )
    return " ".join(parts)


def _app_for(database: str | None, storage: Path) -> Any:
    from central import create_app

    overrides: dict[str, Any] = {"STORAGE_DIR": str(storage)}
    if database:
        overrides["SQLALCHEMY_DATABASE_URI"] = database
    return create_app("testing", **overrides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per operation and role")
    parser.add_argument(
        "--database",
        help="a database of its own (its schema is dropped and rebuilt); default: temporary SQLite",
    )
    parser.add_argument("--role", action="append", choices=ROLES, help="only these roles")
    parser.add_argument("--match", help="only operations whose 'METHOD /path' contains this")
    parser.add_argument("--seed-fixed", action="store_true", help="derandomize (repeatable)")
    parser.add_argument("--out", type=Path, help="write the failures as JSON here")
    args = parser.parse_args(argv)

    import sqlalchemy as sa

    from central.cli import upgrade_database
    from central.extensions import db

    with tempfile.TemporaryDirectory(prefix="central-fuzz-") as tmp:
        database = args.database or f"sqlite:///{tmp}/fuzz.sqlite"
        if database.startswith("postgresql"):
            engine = sa.create_engine(database)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
            engine.dispose()
        app = _app_for(database, Path(tmp) / "storage")
        with app.app_context():
            upgrade_database()
            world = build_world()
            db.session.commit()
        started = time.monotonic()
        report = fuzz(
            app,
            world,
            max_examples=args.examples,
            derandomize=args.seed_fixed,
            roles=args.role or ROLES,
            only=(lambda label: args.match in label) if args.match else (lambda label: True),
            progress=lambda line: print(line, flush=True),
        )
        elapsed = time.monotonic() - started
    failures = list(report.failures.values())
    print(f"\n{report.calls} calls in {elapsed:.0f} s; {len(failures)} distinct failures")
    for failure in failures:
        print(failure.line())
    if args.out:
        args.out.write_text(
            json.dumps(
                {
                    "calls": report.calls,
                    "seconds": round(elapsed, 1),
                    "failures": [f.__dict__ for f in failures],
                    "statuses": report.statuses,
                },
                indent=2,
            )
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
