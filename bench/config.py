"""Benchmark settings: the scales, the fixed business date and seed, and where databases live."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"
# Built databases are cached here (SQLite files, manifests); instance/ is not in git.
DEFAULT_CACHE_DIR = PROJECT_ROOT / "instance" / "bench"
# The PostgreSQL server; the benchmark creates and drops only its own `central_bench*` databases.
DEFAULT_PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")

SEED = 20261125
# The business date every measure runs on (`--today`): a Monday in the spring campaign, when the
# whole of Flanders is due for its yearly hydrant inspection.
TODAY = date(2026, 3, 2)
PASSWORD = "bench-password-1"  # noqa: S105 - every benchmark user's password; local data only


@dataclass(frozen=True)
class Scale:
    name: str
    members: int  # member authorities (the first is the lead authority)
    assets: int
    history_years: int  # every asset was served once a year: tasks = assets × years
    lots: int  # one lot per province, at most five
    providers_per_lot: int
    open_needs: int  # repair requests waiting to be planned
    page_requests: int  # requests per page for p50/p95
    report_repeats: int
    import_rows: int

    @property
    def tasks(self) -> int:
        return self.assets * self.history_years

    def describe(self) -> dict:
        return asdict(self) | {"tasks": self.tasks}


SCALES = {
    "full": Scale(
        name="full",
        members=300,
        assets=400_000,
        history_years=5,
        lots=5,
        providers_per_lot=4,
        open_needs=2_000,
        page_requests=200,
        report_repeats=7,
        import_rows=10_000,
    ),
    "smoke": Scale(
        name="smoke",
        members=5,
        assets=5_000,
        history_years=4,
        lots=2,
        providers_per_lot=2,
        open_needs=50,
        page_requests=10,
        report_repeats=2,
        import_rows=500,
    ),
}
