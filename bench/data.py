"""The Flanders-size data set, generated deterministically from a seed (numpy), as rows ready for
bulk insertion: one lead authority that is also a member, member authorities spread over the
provinces (one lot each), social-economy providers, an expired and a running hydrant framework
with lots, task types, indexed prices, awards, beneficiaries and approved accessions; assets
clustered per municipality around its villages; one yearly inspection plan per member; and
years of history: every asset inspected once a year in the spring campaign, in routed rounds of
25 that were done and accepted, with results, labour, and the defects they raised.

Rows are tuples of plain values: integers, floats, booleans, None and text for dates, timestamps,
decimals and JSON (both SQLite and PostgreSQL's COPY take text for those), so that generation is
shared by both loaders. Timestamps are written by a `ts` function that the loader chooses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from secrets import token_urlsafe
from zoneinfo import ZoneInfo

import numpy as np

from bench.config import PASSWORD, SEED, TODAY, Scale
from central.core.validators import kbo_with_check_digits
from central.planning.routing import group_points, route_rounds

BRUSSELS = ZoneInfo("Europe/Brussels")
KM_PER_DEGREE = 111.2

# name, NIS prefix, municipalities (of 300), latitude and longitude ranges, postcodes, water
# company: a rough box per province, enough for plausible coordinates and routes.
PROVINCES = [
    ("West-Vlaanderen", "3", 64, (50.74, 51.33), (2.56, 3.45), 8000, "De Watergroep"),
    ("Oost-Vlaanderen", "4", 60, (50.76, 51.28), (3.45, 4.28), 9000, "Farys"),
    ("Antwerpen", "1", 69, (51.02, 51.46), (4.26, 5.20), 2000, "Water-link"),
    ("Vlaams-Brabant", "2", 65, (50.72, 50.99), (3.96, 5.10), 3000, "De Watergroep"),
    ("Limburg", "7", 42, (50.70, 51.24), (5.05, 5.86), 3500, "Pidpa"),
]
STEMS = [
    "Roe", "Ize", "Mer", "Lich", "Sta", "Har", "Ber", "Kor", "Wa", "Deer", "Ma", "Bree", "Hou",
    "Lo", "Ee", "Ze", "Kaster", "Wer", "Ode", "Hul", "Anze", "Ruis", "Gis", "Pit",
]  # fmt: skip
ROOTS = [
    "kerke", "zele", "hove", "gem", "dijk", "beke", "hout", "loo", "rode", "meer", "donk",
    "veld", "laar", "brugge", "dam", "bos", "berg",
]  # fmt: skip
STREETS = [
    "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat", "Schoolstraat",
    "Kapelstraat", "Hoogstraat", "Beekstraat", "Kouter", "Markt", "Lindenlaan", "Veldstraat",
    "Broekstraat", "Meersstraat", "Heirweg", "Bosstraat", "Vijverstraat", "Ridderstraat",
    "Zandstraat", "Kasteelstraat", "Leiestraat", "Processiestraat", "Kloosterstraat",
    "Groenstraat", "Eikenlaan", "Berkenlaan", "Kortrijkstraat", "Brugsesteenweg", "Dreef",
]  # fmt: skip
PROVIDER_NAMES = [
    "De Schakel", "Mariasteen", "Waak", "Ryhove", "Vitale Vlaanderen", "Levanto", "Wonen en Werken",
    "Natuurwerk", "Groep Intro", "De Ploeg", "Kringwinkel Netwerk", "Den Azalee", "Eco-Forte",
    "Buurtdiensten", "Stroom", "Weerwerk", "Maatwerk Kempen", "Lde Leiedal", "Wijkwerk", "Opstap",
]  # fmt: skip
SOCIAL_STATUSES = ("maatwerkbedrijf", "lde", "sociale_inschakeling")

ROUND_SIZE = 25
# The defaults (§7.5): 25 inspections of 15 minutes and the drive between them fit a crew-day.
CREW_DAY_MINUTES, TRAVEL_KMH, SERVICE_MINUTES = 450, 30, 15
INSPECTION = "hydrant_inspection"
REPAIR = "minor_repair"
RESULTS = ("ok", "defect", "inaccessible", "not_found")
RESULT_P = (0.957, 0.03, 0.01, 0.003)
AWARD_SHARE = (0.4, 0.3, 0.2, 0.1, 0.05, 0.05)
CHECKLIST = [
    {"key": "lid_frame", "label": "Lid and frame", "kind": "pass_fail"},
    {"key": "signage_plate", "label": "Signage plate", "kind": "pass_fail"},
    {"key": "visibility", "label": "Visible and clear", "kind": "pass_fail"},
    {"key": "valve_operation", "label": "Valve operation", "kind": "pass_fail"},
    {"key": "drainage", "label": "Drainage", "kind": "pass_fail"},
    {"key": "static_pressure", "label": "Static pressure (bar)", "kind": "reading", "min": "1.5",
     "max": "10"},
]  # fmt: skip
REPAIR_CHECKLIST = [
    {"key": "repaired", "label": "Defect repaired", "kind": "pass_fail"},
    {"key": "tested", "label": "Operation tested", "kind": "pass_fail"},
]

Rows = Iterable[tuple]
TimestampFormat = Callable[[datetime], str]


def money(value: float) -> str:
    return f"{value:.2f}"


@dataclass
class Table:
    """Rows for one table, in the column order given."""

    name: str
    columns: tuple[str, ...]
    rows: Rows
    count: int


@dataclass
class Dataset:
    """The generated data set; `tables(ts)` yields it in foreign-key order."""

    scale: Scale
    today: date = TODAY
    seed: int = SEED
    manifest: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self._plan()

    # --- the plan: everything but the bulk rows -----------------------------------------------

    def _plan(self) -> None:
        scale, rng, today = self.scale, self.rng, self.today
        provinces = PROVINCES[: scale.lots]
        shares = np.array([p[2] for p in provinces], dtype=float)
        counts = np.floor(shares / shares.sum() * scale.members).astype(int)
        counts = np.maximum(counts, 1)
        while counts.sum() < scale.members:
            counts[np.argmax(shares / shares.sum() * scale.members - counts)] += 1
        while counts.sum() > scale.members:
            counts[np.argmax(counts)] -= 1
        self.province_of = np.repeat(np.arange(len(provinces)), counts)
        self.provinces = provinces

        names = [s + r for s in STEMS for r in ROOTS]
        order = rng.permutation(len(names))
        prefixes = ["", "Sint-", "Oost", "West", "Neder", "Over"]
        towns: list[str] = []
        for prefix in prefixes:
            keep_case = not prefix or prefix.endswith("-")
            towns += [prefix + (names[i] if keep_case else names[i].lower()) for i in order]
        towns[0] = "Roeselare"  # the lead authority
        self.towns = towns[: scale.members]

        sizes = rng.lognormal(0.0, 0.6, scale.members)
        sizes = np.maximum(1, np.floor(sizes / sizes.sum() * scale.assets)).astype(int)
        sizes[np.argmax(sizes)] += scale.assets - sizes.sum()
        self.sizes = sizes

        # Organisation ids: members 1..M (1 is the lead), then providers.
        self.member_ids = np.arange(1, scale.members + 1)
        n_providers = scale.lots * scale.providers_per_lot
        self.provider_ids = np.arange(scale.members + 1, scale.members + 1 + n_providers)
        # Frameworks: 1 expired, 2 running (the current four-year term started two years ago).
        current_start = date(today.year - 2, 1, 1)
        self.frameworks = [
            {
                "id": 1,
                "reference": f"VL-{current_start.year - 4}-BK-01",
                "start": date(current_start.year - 4, 1, 1),
                "end": current_start - timedelta(days=1),
                "status": "expired",
            },
            {
                "id": 2,
                "reference": f"VL-{current_start.year}-BK-01",
                "start": current_start,
                "end": date(current_start.year + 4, 1, 1) - timedelta(days=1),
                "status": "active",
            },
        ]
        n_lots = scale.lots
        # lot id of (framework index, province index); task type ids of (lot id, code)
        self.lot_id = {(f, p): f * n_lots + p + 1 for f in range(2) for p in range(n_lots)}
        self.task_type_id = {}
        next_id = 1
        for f in range(2):
            for p in range(n_lots):
                for code in (REPAIR, INSPECTION):
                    self.task_type_id[(self.lot_id[(f, p)], code)] = next_id
                    next_id += 1
        # Award ranks: providers_per_lot providers per province, the last one of every lot in an
        # unreserved lot a regular company.
        self.awards: dict[int, list[int]] = {}
        for p in range(n_lots):
            self.awards[p] = list(
                self.provider_ids[p * scale.providers_per_lot : (p + 1) * scale.providers_per_lot]
            )
        # Users: 1 admin, 2 the lead's coordinator, then one per other member and per provider.
        self.coordinator_user = 2
        self.member_user = {int(m): 1 + int(m) for m in self.member_ids[1:]}
        self.member_user[1] = self.coordinator_user
        first_provider_user = 2 + scale.members
        self.provider_user = {
            int(pid): first_provider_user + i for i, pid in enumerate(self.provider_ids)
        }
        self.years = list(range(today.year - scale.history_years, today.year))

    # --- helpers ------------------------------------------------------------------------------

    def framework_of_year(self, year: int) -> int:
        """Index of the framework whose term holds `year`."""
        return 0 if year < self.frameworks[1]["start"].year else 1

    def price(self, year: int, code: str) -> str:
        """The unit price in force in `year` (indexed by 3 % a year from 31.00)."""
        base = 31.0 if code == INSPECTION else 118.0
        return money(base * 1.03 ** (year - self.years[0]))

    def price_lines(self) -> list[tuple[int, int, str, date]]:
        """(lot id, task type id, unit price, valid from) of every price line."""
        lines = []
        for f, fw in enumerate(self.frameworks):
            for p in range(self.scale.lots):
                lot = self.lot_id[(f, p)]
                for year in range(fw["start"].year, min(fw["end"].year, self.today.year) + 1):
                    for code in (INSPECTION, REPAIR):
                        lines.append(
                            (lot, self.task_type_id[(lot, code)], self.price(year, code),
                             date(year, 1, 1))
                        )  # fmt: skip
        return lines

    def campaign_days(self, year: int) -> list[date]:
        """The weekdays of a year's inspection campaign: the four weeks from the benchmark's
        date (2 March) on. A year later every asset is due again within the planning horizon,
        spread over those four weeks."""
        day = self.today.replace(year=year)
        last, days = day + timedelta(days=25), []
        while day <= last:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        return days

    @staticmethod
    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)

    # --- geography ------------------------------------------------------------------------------

    def _assets(self) -> None:
        rng = self.rng
        lat = np.empty(self.scale.assets)
        lon = np.empty(self.scale.assets)
        member = np.repeat(self.member_ids, self.sizes)
        start = 0
        for m, size in enumerate(self.sizes):
            _name, _nis, _n, (la0, la1), (lo0, lo1), _pc, _water = self.provinces[
                self.province_of[m]
            ]
            c_lat, c_lon = rng.uniform(la0, la1), rng.uniform(lo0, lo1)
            if m == 0:
                c_lat, c_lon = 50.9469, 3.1227  # Roeselare
            radius = 2.0 + 3.0 * np.sqrt(size / 1333)
            villages = 1 + min(int(rng.poisson(2)), 5)
            v_dx = np.concatenate(([0.0], rng.uniform(-radius, radius, villages - 1)))
            v_dy = np.concatenate(([0.0], rng.uniform(-radius, radius, villages - 1)))
            weights = np.concatenate(([0.5], np.full(villages - 1, 0.5 / max(villages - 1, 1))))
            weights /= weights.sum()
            which = rng.choice(villages, size=size, p=weights)
            sigma = np.where(which == 0, radius * 0.35, radius * 0.15)
            dx = v_dx[which] + rng.normal(0, 1, size) * sigma
            dy = v_dy[which] + rng.normal(0, 1, size) * sigma
            lat[start : start + size] = c_lat + dy / KM_PER_DEGREE
            lon[start : start + size] = c_lon + dx / (KM_PER_DEGREE * np.cos(np.radians(c_lat)))
            start += size
        self.asset_member = member
        self.asset_lat = np.round(lat, 6)
        self.asset_lon = np.round(lon, 6)
        # Rounds: the same compact groups of 25 every year (a member's districts), routed once.
        groups: list[np.ndarray] = []
        group_member: list[int] = []
        start = 0
        for m, size in enumerate(self.sizes):
            idx = np.arange(start, start + size)
            for g in group_points(self.asset_lat[idx], self.asset_lon[idx], ROUND_SIZE):
                groups.append(idx[g])
                group_member.append(m)
            start += size
        routes = route_rounds([(self.asset_lat[g], self.asset_lon[g]) for g in groups])
        self.groups = [g[r.order] for g, r in zip(groups, routes, strict=True)]
        self.group_km = np.array([r.km for r in routes])
        self.group_member = np.array(group_member)

    # --- the tables -------------------------------------------------------------------------------

    def tables(self, ts: TimestampFormat) -> Iterator[Table]:
        """Every table's rows, parents first. `ts` writes an aware UTC datetime as text."""
        self._assets()
        scale, today, rng = self.scale, self.today, self.rng
        created = ts(self.at(date(self.years[0] - 1, 11, 2), 9))
        n_members = scale.members

        # organisations
        rows = []
        for m in range(n_members):
            name, nis, *_ = self.provinces[self.province_of[m]]
            town = self.towns[m]
            kind_name = "Stad" if m == 0 else "Gemeente"
            rows.append(
                (int(self.member_ids[m]), f"{kind_name} {town}", "authority",
                 kbo_with_check_digits(f"0{2070000 + m * 13:07d}"),
                 f"{nis}{m + 1:04d}"[:5], "none", f"info@{town.lower().replace('-', '')}.be",
                 created)
            )  # fmt: skip
        for i, pid in enumerate(self.provider_ids):
            p = i // scale.providers_per_lot
            rank = i % scale.providers_per_lot
            regular = rank == scale.providers_per_lot - 1 and p % 2 == 1
            status = "none" if regular else SOCIAL_STATUSES[i % 3]
            label = PROVIDER_NAMES[i % len(PROVIDER_NAMES)]
            if i >= len(PROVIDER_NAMES):
                label += f" {i // len(PROVIDER_NAMES) + 1}"
            label = f"{label} {'bv' if regular else 'vzw'}"
            rows.append(
                (int(pid), label, "provider",
                 kbo_with_check_digits(f"0{4550000 + i * 79:07d}"), None, status,
                 f"planning{i + 1}@provider.example", created)
            )  # fmt: skip
        # Every organisation invoices under the default prefix and is registered for VAT.
        rows = [(*row, "CEN-", True) for row in rows]
        yield Table(
            "organisations",
            ("id", "name", "kind", "enterprise_number", "nis_code", "social_economy_status",
             "email", "created_at", "invoice_prefix", "vat_registered"),
            rows, len(rows),
        )  # fmt: skip

        # users
        from werkzeug.security import generate_password_hash

        password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        users = [(1, "admin@bench.example", "admin", None), (2, "coordinator@bench.example",
                  "coordinator", 1)]  # fmt: skip
        for m in range(1, n_members):
            users.append((self.member_user[m + 1], f"member{m + 1}@bench.example", "member",
                          m + 1))  # fmt: skip
        for pid, uid in self.provider_user.items():
            users.append((uid, f"provider{pid}@bench.example", "provider", pid))
        yield Table(
            "users",
            ("id", "email", "password_hash", "role", "organisation_id", "active", "locale",
             "failed_logins", "session_version", "created_at"),
            [(u, e, password_hash, r, o, True, "en", 0, 1, created) for u, e, r, o in users],
            len(users),
        )  # fmt: skip

        # frameworks, lots, task types, prices, awards, beneficiaries, accessions
        fw_rows = []
        # SPEC 7.2: each procured in an open procedure published in the OJEU.
        cpv_codes = json.dumps(["50413200-5"])
        for f, fw in enumerate(self.frameworks):
            max_value = scale.assets * 45.0 * 4 * (1 + f)
            fw_rows.append(
                (fw["id"], fw["reference"],
                 f"Inspection and maintenance of fire hydrants in Flanders {fw['start'].year}",
                 1, False, fw["start"].isoformat(), fw["end"].isoformat(),
                 date(fw["start"].year + 4, 1, 1).isoformat(), None, money(max_value * 0.8),
                 money(max_value), "30.00", fw["status"], ts(self.at(fw["start"], 9)), None, None,
                 created, "open", cpv_codes, json.dumps([f"{500000 + f}-{fw['start'].year - 1}"]),
                 (fw["start"] - timedelta(days=45)).isoformat(),
                 (fw["start"] - timedelta(days=29)).isoformat())
            )  # fmt: skip
        yield Table(
            "frameworks",
            ("id", "reference", "title", "lead_organisation_id", "reserved", "start_date",
             "end_date", "max_end_date", "term_justification", "estimated_value", "max_value",
             "social_target_percent", "status", "activated_at", "terminated_at",
             "termination_reason", "created_at", "procedure", "cpv_codes", "notice_references",
             "award_decision_date", "standstill_end"),
            fw_rows, len(fw_rows),
        )  # fmt: skip
        lots = []
        for (f, p), lot_id in sorted(self.lot_id.items(), key=lambda kv: kv[1]):
            lot_assets = int(self.sizes[self.province_of == p].sum())
            lots.append(
                (lot_id, f + 1, p + 1, f"Hydrants {self.provinces[p][0]}", "hydrant_maintenance",
                 p % 2 == 0, money(max(lot_assets, 100) * 45.0 * 4 * 1.5 * (1 + f)),
                 ROUND_SIZE, 28, 7, CREW_DAY_MINUTES, TRAVEL_KMH, created)
            )  # fmt: skip
        yield Table(
            "lots",
            ("id", "framework_id", "number", "title", "service_type", "reserved", "max_value",
             "max_tasks_per_round", "planning_horizon_days", "urgent_days", "crew_day_minutes",
             "travel_kmh", "created_at"),
            lots, len(lots),
        )  # fmt: skip
        checklist = json.dumps(CHECKLIST)
        repair_checklist = json.dumps(REPAIR_CHECKLIST)
        types = []
        for (lot_id, code), type_id in sorted(self.task_type_id.items(), key=lambda kv: kv[1]):
            follow = self.task_type_id[(lot_id, REPAIR)] if code == INSPECTION else None
            types.append(
                (type_id, lot_id, code,
                 "Inspection of a hydrant" if code == INSPECTION else "Minor repair of a hydrant",
                 checklist if code == INSPECTION else repair_checklist, follow, SERVICE_MINUTES,
                 created)
            )  # fmt: skip
        yield Table(
            "task_types",
            ("id", "lot_id", "code", "name", "checklist", "follow_up_task_type_id",
             "service_minutes", "created_at"),
            types, len(types),
        )  # fmt: skip
        prices = [
            (i + 1, lot, type_id, None, "piece", price, "21.00", valid.isoformat(), False, created)
            for i, (lot, type_id, price, valid) in enumerate(self.price_lines())
        ]
        # SPEC 7.2: in the current framework every lot's rank-2 provider tendered its own, lower
        # inspection price, so that assign-rounds prices its rounds again (the re-pricing measured).
        current = len(self.frameworks) - 1
        start = self.frameworks[current]["start"]
        for p in range(scale.lots):
            if len(self.awards[p]) < 2:
                continue
            lot = self.lot_id[(current, p)]
            own = money(float(self.price(start.year, INSPECTION)) * 0.95)
            prices.append(
                (len(prices) + 1, lot, self.task_type_id[(lot, INSPECTION)], int(self.awards[p][1]),
                 "piece", own, "21.00", start.isoformat(), True, created)
            )  # fmt: skip
        yield Table(
            "price_lines",
            ("id", "lot_id", "task_type_id", "provider_id", "unit", "unit_price", "vat_rate",
             "valid_from", "as_tendered", "created_at"),
            prices, len(prices),
        )  # fmt: skip
        awards = []
        for (_f, p), lot_id in sorted(self.lot_id.items(), key=lambda kv: kv[1]):
            lot_assets = int(self.sizes[self.province_of == p].sum())
            shares = AWARD_SHARE[: scale.providers_per_lot]
            for rank, pid in enumerate(self.awards[p], start=1):
                # Crews enough for the campaign in two and a half weeks: the rounds that hold an
                # asset left over from last year (due at once) may not all fit in the first.
                share = shares[rank - 1] / sum(shares)
                capacity = max(25, int(lot_assets * share / 2.5 / 25) * 25)
                awards.append((len(awards) + 1, lot_id, int(pid), rank, capacity, created))
        yield Table(
            "awards",
            ("id", "lot_id", "provider_id", "rank", "weekly_capacity", "created_at"),
            awards, len(awards),
        )  # fmt: skip
        # SPEC 7.3 (Ghent): in the current framework every lot's first award subcontracts its
        # inspections to the lot's second provider from the framework's start, so that the
        # social-impact report's subcontracting question runs over the whole year's tasks.
        current = len(self.frameworks) - 1
        first_award = {lot: award for award, lot, _p, rank, _c, _t in awards if rank == 1}
        subcontractors, subcontracted = [], []
        for p in range(scale.lots):
            if len(self.awards[p]) < 2:
                continue
            lot = self.lot_id[(current, p)]
            award = first_award[lot]
            sub_id = len(subcontractors) + 1
            subcontractors.append(
                (sub_id, award, int(self.awards[p][1]), "maatwerkbedrijf",
                 self.frameworks[current]["start"].isoformat(), None, created, None, None, None)
            )  # fmt: skip
            inspection = self.task_type_id[(lot, INSPECTION)]
            subcontracted.append((sub_id, sub_id, award, inspection, True))
        yield Table(
            "award_subcontractors",
            ("id", "award_id", "organisation_id", "social_economy_status", "started_on",
             "ended_on", "created_at", "created_by_id", "ended_at", "ended_by_id"),
            subcontractors, len(subcontractors),
        )  # fmt: skip
        yield Table(
            "subcontracted_task_types",
            ("id", "subcontractor_id", "award_id", "task_type_id", "active"),
            subcontracted, len(subcontracted),
        )  # fmt: skip
        yield Table(
            "framework_beneficiaries",
            ("framework_id", "organisation_id", "created_at"),
            [(fw["id"], int(m), created) for fw in self.frameworks for m in self.member_ids],
            2 * n_members,
        )
        accessions, accession_lots = [], []
        for f, fw in enumerate(self.frameworks):
            decided = ts(self.at(fw["start"] + timedelta(days=10), 11))
            for m in range(n_members):
                acc_id = len(accessions) + 1
                accessions.append(
                    (acc_id, fw["id"], m + 1, f"BUD/{fw['start'].year}/0610-{m + 1:03d}",
                     "approved", None, decided, self.member_user[m + 1], decided,
                     self.coordinator_user)
                )  # fmt: skip
                accession_lots.append(
                    (acc_id, self.lot_id[(f, int(self.province_of[m]))], m + 1, True)
                )
        yield Table(
            "accessions",
            ("id", "framework_id", "member_id", "order_reference", "status", "reason",
             "requested_at", "requested_by_id", "decided_at", "decided_by_id"),
            accessions, len(accessions),
        )  # fmt: skip
        yield Table(
            "accession_lots",
            ("accession_id", "lot_id", "member_id", "covering"),
            accession_lots,
            len(accession_lots),
        )

        # assets
        yield self._asset_table(ts, created)

        # service plans: a yearly inspection of every hydrant, under the running framework
        plans = [
            (m + 1, m + 1, self.lot_id[(1, int(self.province_of[m]))], INSPECTION, None, 12,
             None, True, created, created)
            for m in range(n_members)
        ]  # fmt: skip
        yield Table(
            "service_plans",
            ("id", "member_id", "lot_id", "task_type", "asset_kind", "interval_months",
             "season_months", "active", "created_at", "updated_at"),
            plans, len(plans),
        )  # fmt: skip

        # history: rounds, tasks, labour, results, the needs defects raised
        yield from self._history(ts)

        # budgets
        budgets = []
        for m in range(n_members):
            for year in [*self.years, today.year]:
                amount = round(float(self.sizes[m]) * 55 * rng.uniform(0.9, 1.1), -2)
                budgets.append((len(budgets) + 1, m + 1, year, money(amount), created, None))
        yield Table(
            "maintenance_budgets",
            ("id", "member_id", "year", "amount", "updated_at", "updated_by_id"),
            budgets, len(budgets),
        )  # fmt: skip

        self.manifest = self._manifest()

    def _asset_table(self, ts: TimestampFormat, created: str) -> Table:
        rng = self.rng
        n = self.scale.assets
        kinds = np.where(rng.random(n) < 0.85, "hydrant_underground", "hydrant_pillar")
        streets = rng.integers(0, len(STREETS), n)
        numbers = rng.integers(1, 240, n)
        diameters = rng.choice([80, 100, 150], size=n, p=[0.3, 0.55, 0.15])
        seq = np.zeros(n, dtype=int)
        start = 0
        for size in self.sizes:
            seq[start : start + size] = np.arange(1, size + 1)
            start += size
        member = self.asset_member.tolist()
        lat, lon = self.asset_lat.tolist(), self.asset_lon.tolist()
        town = {m + 1: self.towns[m] for m in range(self.scale.members)}
        post = {
            m + 1: str(self.provinces[self.province_of[m]][5] + (m * 37) % 1000)
            for m in range(self.scale.members)
        }
        water = {m + 1: self.provinces[self.province_of[m]][6] for m in range(self.scale.members)}

        def rows() -> Iterator[tuple]:
            for i in range(n):
                m = member[i]
                yield (
                    i + 1, m, f"BK-{seq[i]:05d}", str(kinds[i]), STREETS[streets[i]],
                    str(numbers[i]), post[m], town[m], lat[i], lon[i], water[m],
                    int(diameters[i]), None, "active", created, created, None,
                    # About one hydrant in a hundred is out of service (SPEC 7.4).
                    "out_of_service" if i % 97 == 0 else "in_service", token_urlsafe(24),
                )  # fmt: skip

        return Table(
            "assets",
            ("id", "member_id", "code", "kind", "street", "house_number", "postcode",
             "municipality", "lat", "lon", "water_company", "diameter_mm", "notes", "status",
             "created_at", "updated_at", "retired_at", "service_status", "public_token"),
            rows(), n,
        )  # fmt: skip

    def _history(self, ts: TimestampFormat) -> Iterator[Table]:
        rng, scale = self.rng, self.scale
        n_groups = len(self.groups)
        group_sizes = np.array([len(g) for g in self.groups])
        task_asset = np.concatenate(self.groups) + 1  # asset ids in route order, per group
        task_group = np.repeat(np.arange(n_groups), group_sizes)
        task_seq = np.concatenate([np.arange(1, s + 1) for s in group_sizes])
        n_year = len(task_asset)
        years = self.years

        # Per round (year-major): its day, provider, framework and lot.
        r_day: list[date] = []
        r_provider: list[int] = []
        r_lot: list[int] = []
        r_framework: list[int] = []
        r_accept_delay = rng.integers(3, 13, n_groups * len(years)).tolist()
        for year in years:
            days = self.campaign_days(year)
            for m in range(scale.members):
                mine = np.flatnonzero(self.group_member == m)
                offset = int(rng.integers(0, len(days)))
                # Groups are contiguous per member, so rounds follow the group order.
                for k in range(len(mine)):
                    r_day.append(days[(k * len(days) // len(mine) + offset) % len(days)])
        # providers per round, by award share
        for year in years:
            f = self.framework_of_year(year)
            for g in range(n_groups):
                p = int(self.province_of[self.group_member[g]])
                r_lot.append(self.lot_id[(f, p)])
                r_framework.append(f + 1)
            shares = np.array(AWARD_SHARE[: scale.providers_per_lot])
            ranks = rng.choice(len(shares), size=n_groups, p=shares / shares.sum())
            for g in range(n_groups):
                p = int(self.province_of[self.group_member[g]])
                r_provider.append(int(self.awards[p][ranks[g]]))

        # rounds
        round_rows = []
        labour_rows = []
        # One labour day per provider and date (§7.1): hours added up, the crew counted once.
        labour_days: dict[tuple[int, date], list] = {}
        round_ts: list[tuple[str, str, str]] = []
        for r in range(n_groups * len(years)):
            g = r % n_groups
            day = r_day[r]
            member_id = int(self.group_member[g]) + 1
            planned = ts(self.at(day - timedelta(days=30), 4, 10))
            done = ts(self.at(day, 15, 30))
            accepted = ts(self.at(day + timedelta(days=r_accept_delay[r]), 10))
            round_ts.append((planned, done, accepted))
            monday = day - timedelta(days=day.weekday())
            round_rows.append(
                (r + 1, r_framework[r], r_lot[r], member_id, r_provider[r], "accepted",
                 (day + timedelta(days=(4 - day.weekday()) % 7 + 7)).isoformat(),
                 monday.isoformat(), money(float(self.group_km[g])), planned, planned, done,
                 accepted, None)
            )  # fmt: skip
            hours = round(float(group_sizes[g]) * 0.6 * float(rng.uniform(0.85, 1.2)), 2)
            tg_hours = round(hours * float(rng.uniform(0.55, 0.85)), 2)
            workers = int(rng.integers(2, 4))
            day_key = (r_provider[r], day)
            if day_key not in labour_days:
                labour_days[day_key] = [len(labour_days) + 1, 0.0, 0, 0.0, 0, done]
            totals = labour_days[day_key]
            totals[1] += hours
            totals[3] += tg_hours
            totals[4] = max(totals[4], workers, math.ceil(totals[3] / 24))
            totals[2] = max(totals[2], totals[4], math.ceil(totals[1] / 24))
            labour_rows.append(
                (r + 1, totals[0], r + 1, day.isoformat(), money(hours), max(workers, 1),
                 money(tg_hours), workers, self.provider_user[r_provider[r]], done, done)
            )  # fmt: skip
        yield Table(
            "rounds",
            ("id", "framework_id", "lot_id", "member_id", "provider_id", "status", "due_date",
             "scheduled_date", "route_km", "created_at", "assigned_at", "completed_at",
             "accepted_at", "cancelled_at"),
            round_rows, len(round_rows),
        )  # fmt: skip
        yield Table(
            "labour_days",
            ("id", "provider_id", "work_date", "hours", "workers", "target_group_hours",
             "target_group_workers", "created_at", "updated_at"),
            [
                (d[0], provider, day.isoformat(), money(d[1]), d[2], money(d[3]), d[4], d[5], d[5])
                for (provider, day), d in labour_days.items()
            ],
            len(labour_days),
        )  # fmt: skip
        yield Table(
            "labour_entries",
            ("id", "labour_day_id", "round_id", "work_date", "hours", "workers",
             "target_group_hours", "target_group_workers", "recorded_by_id", "created_at",
             "updated_at"),
            labour_rows, len(labour_rows),
        )  # fmt: skip

        # tasks, their results and the defects they raised
        results = rng.choice(len(RESULTS), size=n_year * len(years), p=RESULT_P)
        pressures = rng.integers(0, 40, n_year * len(years))
        failed_item = rng.integers(0, 5, n_year * len(years))
        price = {(year, code): self.price(year, code) for year in years for code in (INSPECTION,)}
        type_of_lot = {lot: self.task_type_id[(lot, INSPECTION)] for lot in set(r_lot)}
        ok_json = [
            json.dumps({**{c["key"]: True for c in CHECKLIST[:5]}, "static_pressure": 2 + k / 8})
            for k in range(40)
        ]
        defect_json = [
            (
                json.dumps(
                    {**{c["key"]: c["key"] != CHECKLIST[i]["key"] for c in CHECKLIST[:5]},
                     "static_pressure": 3.5}
                ),
                json.dumps([CHECKLIST[i]["key"]]),
            )
            for i in range(5)
        ]  # fmt: skip
        asset_list = task_asset.tolist()
        group_list = task_group.tolist()
        seq_list = task_seq.tolist()
        result_list = results.tolist()
        pressure_list = pressures.tolist()
        failed_list = failed_item.tolist()
        defects: list[tuple[int, int, int, int, str]] = []  # task, asset, member, lot, created

        def task_rows() -> Iterator[tuple]:
            t = 0
            for y, year in enumerate(years):
                for i in range(n_year):
                    r = y * n_groups + group_list[i]
                    lot = r_lot[r]
                    planned, done, accepted = round_ts[r]
                    res = RESULTS[result_list[t]]
                    yield (
                        t + 1, r + 1, seq_list[i], asset_list[i], None, type_of_lot[lot],
                        INSPECTION, "1.00", "piece", price[(year, INSPECTION)],
                        price[(year, INSPECTION)], "21.00",
                        round_rows[r][6], "accepted", res, r_day[r].isoformat(), done, accepted,
                        None, planned,
                    )  # fmt: skip
                    if res == "defect":
                        member = int(self.group_member[group_list[i]]) + 1
                        defects.append((t + 1, asset_list[i], member, lot, done))
                    t += 1

        n_tasks = n_year * len(years)
        yield Table(
            "tasks",
            ("id", "round_id", "sequence", "asset_id", "need_id", "task_type_id", "task_type",
             "quantity", "unit", "unit_price", "amount", "vat_rate", "due_date", "status",
             "result", "done_on", "done_at", "accepted_at", "cancelled_at", "created_at"),
            task_rows(), n_tasks,
        )  # fmt: skip

        def result_rows() -> Iterator[tuple]:
            t = 0
            for y in range(len(years)):
                for i in range(n_year):
                    r = y * n_groups + group_list[i]
                    done = round_ts[r][1]
                    res = result_list[t]
                    if res == 0:
                        checklist, failed, category = ok_json[pressure_list[t]], "[]", ""
                    elif res == 1:
                        checklist, failed = defect_json[failed_list[t]]
                        category = CHECKLIST[failed_list[t]]["key"]
                    else:
                        checklist, failed, category = "{}", "[]", ""
                    yield (
                        t + 1, "", category, checklist, failed,
                        self.provider_user[r_provider[r]], done, done,
                    )  # fmt: skip
                    t += 1

        yield Table(
            "task_results",
            ("task_id", "notes", "defect_category", "checklist", "failed_items",
             "recorded_by_id", "recorded_at", "updated_at"),
            result_rows(), n_tasks,
        )  # fmt: skip

        # needs: every historic defect raised one (repaired since: done); some member requests
        # are open now, waiting for generate-rounds.
        need_rows = []
        for task_id, asset_id, member_id, lot, done in defects:
            need_rows.append(
                (len(need_rows) + 1, member_id, lot, asset_id, None, None, None, REPAIR,
                 "Defect found during the inspection", "normal", "done", "defect", task_id, None,
                 done, done)
            )  # fmt: skip
        open_assets = rng.choice(self.scale.assets, size=self.scale.open_needs, replace=False)
        for a in open_assets.tolist():
            member_id = int(self.asset_member[a])
            lot = self.lot_id[(1, int(self.province_of[member_id - 1]))]
            logged = ts(self.at(self.today - timedelta(days=int(rng.integers(1, 22))), 10))
            urgent = rng.random() < 0.1
            need_rows.append(
                (len(need_rows) + 1, member_id, lot, a + 1, None, None, None, REPAIR,
                 "Hydrant damaged by a vehicle" if urgent else "Signage plate missing",
                 "urgent" if urgent else "normal", "open", "member", None,
                 self.member_user[member_id], logged, logged)
            )  # fmt: skip
        yield Table(
            "needs",
            ("id", "member_id", "lot_id", "asset_id", "lat", "lon", "address", "task_type",
             "description", "priority", "status", "source", "task_id", "created_by_id",
             "created_at", "updated_at"),
            need_rows, len(need_rows),
        )  # fmt: skip
        self.history = {
            "rounds": len(round_rows),
            "tasks": n_tasks,
            "rounds_per_year": n_groups,
            "defect_needs": len(defects),
        }

    def _manifest(self) -> dict:
        """What the measures need to know about the data set."""
        by_size = np.argsort(-self.sizes)
        return {
            "scale": self.scale.describe(),
            "seed": self.seed,
            "today": self.today.isoformat(),
            "password": PASSWORD,
            "years": self.years,
            "framework_id": 2,
            "expired_framework_id": 1,
            "current_lot_ids": [self.lot_id[(1, p)] for p in range(self.scale.lots)],
            "coordinator": "coordinator@bench.example",
            "lead_id": 1,
            "members": [
                {
                    "id": int(m) + 1,
                    "email": self._user_email(int(m) + 1),
                    "assets": int(self.sizes[m]),
                }
                for m in by_size
            ],  # fmt: skip
            "providers": [
                {"id": int(pid), "email": f"provider{int(pid)}@bench.example"}
                for pid in self.provider_ids
            ],
            "history": self.history,
        }

    def _user_email(self, member_id: int) -> str:
        if member_id == 1:
            return "coordinator@bench.example"
        return f"member{member_id}@bench.example"
