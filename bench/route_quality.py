"""Route quality against OR-Tools (SPEC §7.5), one command:

    python -m bench.route_quality [--rounds 240] [--seconds 2] [--cpu] [--reuse]

builds rounds of 20–25 hydrants the way generate-rounds does (municipalities of villages, split
by `group_points` into rounds of at most 25), routes them with `route_rounds`, and routes each
again with OR-Tools' guided local search (`seconds` per round, open path, haversine distances in
whole metres). Its time limit is wall-clock time, so on a busy machine it searches for less:
`--cpu` counts the CPU time of its own thread instead (a fair comparison on a loaded machine,
capped at ten times the limit in wall-clock time). Prints the ratio ours / OR-Tools (mean,
percentiles, worst) as a markdown table and writes the figures (with OR-Tools' route lengths,
which `--reuse` compares again after a change to our routing, without solving again) to
bench/results/route_quality.json. OR-Tools is in the `bench` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from bench.config import BENCH_DIR
from central.planning.routing import group_points, haversine_km, route_rounds

KM_PER_DEGREE = 111.2
SEED = 20261205
MIN_STOPS, MAX_STOPS = 20, 25
RESULTS_FILE = BENCH_DIR / "results" / "route_quality.json"
CPU_WALL_CAP = 10  # with --cpu, OR-Tools stops anyway after this many times its limit


def sample_rounds(count: int, seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` rounds of 20–25 stops, taken from generated municipalities as generate-rounds
    groups them (a few villages around a centre in West and East Flanders)."""
    rng = np.random.default_rng(seed)
    rounds: list[tuple[np.ndarray, np.ndarray]] = []
    while len(rounds) < count:
        size = int(rng.integers(300, 1500))
        c_lat, c_lon = rng.uniform(50.75, 51.2), rng.uniform(2.6, 4.2)
        radius = 2.0 + 3.0 * np.sqrt(size / 1333)
        villages = 1 + min(int(rng.poisson(2)), 5)
        v_dx = np.concatenate(([0.0], rng.uniform(-radius, radius, villages - 1)))
        v_dy = np.concatenate(([0.0], rng.uniform(-radius, radius, villages - 1)))
        weights = np.concatenate(([0.5], np.full(villages - 1, 0.5 / max(villages - 1, 1))))
        which = rng.choice(villages, size=size, p=weights / weights.sum())
        sigma = np.where(which == 0, radius * 0.35, radius * 0.15)
        dx = v_dx[which] + rng.normal(0, 1, size) * sigma
        dy = v_dy[which] + rng.normal(0, 1, size) * sigma
        lat = np.round(c_lat + dy / KM_PER_DEGREE, 6)
        lon = np.round(c_lon + dx / (KM_PER_DEGREE * np.cos(np.radians(c_lat))), 6)
        # Lots differ in max_tasks_per_round: rounds of 20 to 25 stops.
        for group in group_points(lat, lon, int(rng.integers(MIN_STOPS, MAX_STOPS + 1))):
            if MIN_STOPS <= group.size <= MAX_STOPS and len(rounds) < count:
                rounds.append((lat[group], lon[group]))
    return rounds


def ortools_length_km(lat: np.ndarray, lon: np.ndarray, seconds: float, cpu: bool = False) -> float:
    """The open path OR-Tools finds with guided local search in `seconds` (haversine metres as
    integers; a dummy depot at distance zero from every stop makes the tour an open path);
    with `cpu`, seconds of CPU time of this thread rather than of the wall clock."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = lat.size
    metres = np.rint(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * 1000)
    matrix = np.zeros((n + 1, n + 1), dtype=np.int64)
    matrix[1:, 1:] = metres.astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n + 1, 1, 0)
    model = pywrapcp.RoutingModel(manager)
    rows = matrix.tolist()

    def distance(from_index: int, to_index: int) -> int:
        return rows[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(distance))
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(int(seconds * 1000 * (CPU_WALL_CAP if cpu else 1)))
    if cpu:
        started = time.thread_time()

        def stop_when_spent() -> None:  # called at every solution the search accepts
            if time.thread_time() - started >= seconds:
                model.solver().FinishCurrentSearch()

        model.AddAtSolutionCallback(stop_when_spent)
    solution = model.SolveWithParameters(parameters)
    order = []
    index = model.Start(0)
    while not model.IsEnd(index):
        node = manager.IndexToNode(index)
        if node:
            order.append(node - 1)
        index = solution.Value(model.NextVar(index))
    order = np.array(order)
    return float(
        haversine_km(lat[order][:-1], lon[order][:-1], lat[order][1:], lon[order][1:]).sum()
    )


def measure(count: int, seconds: float, reuse: dict | None = None, cpu_limit: bool = False) -> dict:
    """Ours against OR-Tools on `count` sample rounds; `reuse`: an earlier result of the same
    sample and time limit, whose OR-Tools routes are compared again instead of solved again;
    `cpu_limit`: OR-Tools' limit counts its CPU time, not the wall clock's."""
    rounds = sample_rounds(count)
    started = time.perf_counter()
    ours = np.array([r.km for r in route_rounds(rounds)])
    ours_seconds = time.perf_counter() - started
    if reuse is not None:
        theirs = np.array(reuse["ortools_km"])
        theirs_seconds, theirs_cpu = reuse["ortools_seconds"], reuse["ortools_cpu_seconds"]
        load = reuse["load_average"]
    else:
        started, cpu = time.perf_counter(), time.process_time()
        theirs = np.array([ortools_length_km(lat, lon, seconds, cpu_limit) for lat, lon in rounds])
        theirs_seconds = time.perf_counter() - started
        # A wall-clock limit: on a busy machine OR-Tools searches for less CPU time.
        theirs_cpu = time.process_time() - cpu
        load = [round(x, 1) for x in os.getloadavg()]
    ratio = ours / theirs
    return {
        "rounds": count,
        "stops": [int(min(r[0].size for r in rounds)), int(max(r[0].size for r in rounds))],
        "ortools_seconds_per_round": seconds,
        "ortools_limit": "cpu" if cpu_limit else "wall-clock",
        "ours_seconds": round(ours_seconds, 3),
        "ortools_seconds": round(theirs_seconds, 1),
        "ortools_cpu_seconds": round(theirs_cpu, 1),
        "load_average": load,
        "mean_km_ours": round(float(ours.mean()), 3),
        "mean_km_ortools": round(float(theirs.mean()), 3),
        "ratio_mean": round(float(ratio.mean()), 4),
        "ratio_p50": round(float(np.percentile(ratio, 50)), 4),
        "ratio_p95": round(float(np.percentile(ratio, 95)), 4),
        "ratio_worst": round(float(ratio.max()), 4),
        "ratio_best": round(float(ratio.min()), 4),
        "rounds_within_1_percent": int((ratio <= 1.01).sum()),
        "ortools_km": [round(float(km), 4) for km in theirs],
    }


def table(figures: dict) -> str:
    f = figures
    return "\n".join(
        [
            "| measure | target | measured |",
            "|---|---|---|",
            f"| mean ratio route length / OR-Tools | ≤ 1.01 | {f['ratio_mean']:.4f} |",
            f"| worst ratio | ≤ 1.05 | {f['ratio_worst']:.4f} |",
            f"| median / 95th percentile ratio | (info) | {f['ratio_p50']:.4f} / "
            f"{f['ratio_p95']:.4f} |",
            f"| rounds within 1 % of OR-Tools | (info) | {f['rounds_within_1_percent']} of "
            f"{f['rounds']} |",
            f"| mean route, ours / OR-Tools | (info) | {f['mean_km_ours']:.3f} km / "
            f"{f['mean_km_ortools']:.3f} km |",
            f"| time for all {f['rounds']} rounds, ours / OR-Tools | (info) | "
            f"{f['ours_seconds']:.2f} s / {f['ortools_seconds']:.0f} s (CPU "
            f"{f['ortools_cpu_seconds']:.0f} s) |",
        ]
    )


def _limit(figures: dict) -> str:
    if figures.get("ortools_limit") == "cpu":
        return "CPU time (`--cpu`)"
    return "wall-clock"


def _flag(figures: dict) -> str:
    return " --cpu" if figures.get("ortools_limit") == "cpu" else ""


def section() -> str:
    """The route-quality table of the last `python -m bench.route_quality` run, for
    bench/results.md (empty when it never ran)."""
    if not RESULTS_FILE.exists():
        return ""
    f = json.loads(RESULTS_FILE.read_text())
    return "\n".join(
        [
            "## Route quality against OR-Tools (SPEC 7.5)",
            "",
            f"Command: `python -m bench.route_quality{_flag(f)}` ({f['rounds']} rounds of "
            f"{f['stops'][0]}–{f['stops'][1]} stops; OR-Tools guided local search, "
            f"{f['ortools_seconds_per_round']:g} s a round, haversine metres, open path). "
            f"Load average {f['load_average'][0]:.1f} while OR-Tools ran: its time limit is "
            f"{_limit(f)}, and it had {f['ortools_cpu_seconds']:.0f} s of CPU for all rounds.",
            "",
            table(f),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=240)
    parser.add_argument("--seconds", type=float, default=2.0, help="OR-Tools time per round")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="OR-Tools' limit counts its CPU time (fair on a busy machine), not the wall clock's",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="compare again with the OR-Tools routes of the last run (same rounds and limit)",
    )
    args = parser.parse_args(argv)
    reuse = None
    if args.reuse:
        reuse = json.loads(RESULTS_FILE.read_text())
        limit = "cpu" if args.cpu else "wall-clock"
        if (
            reuse["rounds"],
            reuse["ortools_seconds_per_round"],
            reuse.get("ortools_limit", "wall-clock"),
        ) != (args.rounds, args.seconds, limit):
            parser.error("the last run measured other rounds or another time limit")
    figures = measure(args.rounds, args.seconds, reuse, cpu_limit=args.cpu)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(figures, indent=2) + "\n")
    print(table(figures))


if __name__ == "__main__":
    main()
