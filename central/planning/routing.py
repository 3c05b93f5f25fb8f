"""Rounds on the map: group due points into compact crew-day rounds and order each along a short
route (SPEC rule 12). Pure numpy, no database.

Grouping is a recursive bisection along the principal axis of the points: every split cuts the
set in two compact halves sized in proportion to the rounds each half will hold, so that nearby
hydrants end up in one round and no round is spread over the town.

Routing starts each round seven times (greedy from the point farthest from its centre, from the
point nearest to it and from the outermost point of each quarter around it, and a sweep along its
principal axis), improves each start by 2-opt and Or-opt (moving a run of 1–3 stops, either way
round, to another place in the route) until neither shortens it, and polishes the shortest with
Or-opt on longer runs too (a whole village's stops driven at another moment, either way round):
2-opt alone stops at orders that moving a short run of stops elsewhere still shortens by hundreds
of metres, and a local optimum depends on where it starts, above all on where an open route
begins and ends (measured against OR-Tools in bench.route_quality: with three starts and no
polish the worst round was 7.5 % longer, with these under 2.5 %). All of it is vectorised
over many rounds at once (all rounds of the same size form one batch of distance matrices, whose
starts are improved in two threads), not a Python loop per round.
Routes are open paths (a crew does not return to its first hydrant); a zero-cost dummy node
turns the open path into a closed tour. A route is never longer than the order the points came
in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088
CHUNK_ROUNDS = 2048  # rounds routed together: bounded memory, still vectorised
# Starting tours are improved in threads: numpy releases the GIL in its loops, so both cores work.
ROUTING_THREADS = min(2, os.cpu_count() or 1)
MAX_2OPT_PASSES = 200
MAX_OR_OPT_PASSES = 200
MAX_ALTERNATIONS = 20  # 2-opt then Or-opt, again while Or-opt still improves
SHORT_RUNS = (1, 2, 3)  # lengths of the runs of stops that Or-opt moves first
SECTOR_STARTS = 4  # greedy starts from the outermost point of each sector around the centre
LONGEST_RUN = 25  # the polish moves runs of up to this many stops
OR_OPT_TABLE = 16_000_000  # moves weighed at once (float32, 64 MB): long rounds go in parts


@dataclass(frozen=True)
class Route:
    """A round's points in route order (indices into the round's input) and the route length."""

    order: np.ndarray
    km: float


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def route_length_km(lat: np.ndarray, lon: np.ndarray) -> float:
    """Length of the open path through the points in the given order (unknown places skipped)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    known = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[known], lon[known]
    if lat.size < 2:
        return 0.0
    return float(haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())


# Grouping


def group_points(lat: np.ndarray, lon: np.ndarray, max_size: int) -> list[np.ndarray]:
    """Split the points into ceil(n / max_size) compact groups of at most `max_size` each.

    Returns index arrays into the input; neighbouring groups are neighbours on the map. Points
    without coordinates are grouped last, in their input order.
    """
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    known = np.isfinite(lat) & np.isfinite(lon)
    located = np.flatnonzero(known)
    groups: list[np.ndarray] = []
    if located.size:
        # Local planar coordinates in km (accurate enough over a municipality for splitting).
        lat0 = np.radians(np.mean(lat[located]))
        xy = np.column_stack(
            (
                np.radians(lon[located]) * np.cos(lat0) * EARTH_RADIUS_KM,
                np.radians(lat[located]) * EARTH_RADIUS_KM,
            )
        )
        stack = [(np.arange(located.size), -(-located.size // max_size))]
        while stack:
            members, rounds = stack.pop()
            if rounds <= 1:
                groups.append(located[members])
                continue
            first_rounds = rounds // 2
            second_rounds = rounds - first_rounds
            n = members.size
            cut = round(n * first_rounds / rounds)
            cut = min(max(cut, n - second_rounds * max_size), first_rounds * max_size)
            along = _principal_projection(xy[members])
            split = np.argpartition(along, cut - 1) if 0 < cut < n else np.argsort(along)
            # Pushed second first, so that groups come out in sweep order.
            stack.append((members[split[cut:]], second_rounds))
            stack.append((members[split[:cut]], first_rounds))
    unlocated = np.flatnonzero(~known)
    groups.extend(unlocated[i : i + max_size] for i in range(0, unlocated.size, max_size))
    return groups


def _principal_projection(xy: np.ndarray) -> np.ndarray:
    """Each point's position along the direction in which the points spread the most (the
    principal axis of their 2×2 covariance, in closed form)."""
    centred = xy - xy.mean(axis=0)
    x, y = centred[:, 0], centred[:, 1]
    angle = 0.5 * np.arctan2(2.0 * np.dot(x, y), np.dot(x, x) - np.dot(y, y))
    return x * np.cos(angle) + y * np.sin(angle)


# Routing


def route_rounds(rounds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[Route]:
    """Order each round (its points' lat and lon arrays) along a short open route.

    Points without coordinates go last, in their input order; `km` counts the located ones.
    """
    located: list[np.ndarray | None] = []  # None: every point of the round is located
    coords: list[tuple[np.ndarray, np.ndarray]] = []
    by_size: dict[int, list[int]] = {}
    for r, (lat, lon) in enumerate(rounds):
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        known = np.isfinite(lat) & np.isfinite(lon)
        if known.all():
            located.append(None)
        else:
            located.append(np.flatnonzero(known))
            lat, lon = lat[known], lon[known]
        coords.append((lat, lon))
        by_size.setdefault(lat.size, []).append(r)
    results: list[Route] = [None] * len(rounds)  # type: ignore[list-item]
    batches = []
    with ThreadPoolExecutor(max_workers=ROUTING_THREADS) as pool:
        for size, members in by_size.items():
            for start in range(0, len(members), CHUNK_ROUNDS):
                chunk = members[start : start + CHUNK_ROUNDS]
                lat = np.stack([coords[r][0] for r in chunk]).reshape(len(chunk), size)
                lon = np.stack([coords[r][1] for r in chunk]).reshape(len(chunk), size)
                if size > 3:
                    d = _distance_matrices(lat, lon)
                    improving = [pool.submit(_improve, d, tours) for tours in _starts(d, lat, lon)]
                    batches.append((chunk, lat, lon, d, improving))
                else:
                    batches.append((chunk, lat, lon, None, _small_orders(lat, lon)))
        # The best start of each round is polished with longer runs moved (in parts, so that
        # both threads work).
        for b, (chunk, lat, lon, d, work) in enumerate(batches):
            if d is not None:
                tours = [future.result() for future in work]
                best = _best_tours(d, tours)
                parts = [
                    (part, pool.submit(_improve, d[part], best[part], long_runs=True))
                    for part in np.array_split(np.arange(len(chunk)), ROUTING_THREADS)
                ]
                batches[b] = (chunk, lat, lon, d, (tours, best, parts))
        for chunk, lat, lon, d, work in batches:
            if d is None:
                orders = work
            else:
                tours, best, parts = work
                for part, future in parts:
                    best[part] = future.result()
                orders = _shortest(lat, lon, d, [t[:, 1:] - 1 for t in (best, *tours)])
            kms = _path_lengths(lat, lon, orders) if lat.shape[1] > 1 else np.zeros(len(chunk))
            for r, order, km in zip(chunk, orders, kms, strict=True):
                where = located[r]
                if where is not None:
                    unknown = np.flatnonzero(~np.isin(np.arange(len(rounds[r][0])), where))
                    order = np.concatenate((where[order], unknown))
                results[r] = Route(order=order, km=float(km))
    return results


def _small_orders(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Three points or fewer: the best open path is the best choice of the middle point."""
    batch, size = lat.shape
    identity = np.tile(np.arange(size), (batch, 1))
    if size < 3:
        return identity
    candidates = np.stack(
        (identity, np.tile([1, 0, 2], (batch, 1)), np.tile([0, 2, 1], (batch, 1)))
    )
    lengths = np.stack([_path_lengths(lat, lon, c) for c in candidates])
    choice = np.argmin(lengths, axis=0)  # a tie keeps the given order
    return candidates[choice, np.arange(batch)]


def _distance_matrices(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(B, m+1, m+1) distances in km with a dummy node 0 at distance zero from every point.

    Planar distances on each round's local projection (float32): within a round (a few km)
    they differ from great-circle distances by far less than a metre, and they are fast.
    """
    batch, size = lat.shape
    lat0 = np.radians(lat.mean(axis=1, keepdims=True))
    x = np.radians(lon - lon.mean(axis=1, keepdims=True)) * np.cos(lat0) * EARTH_RADIUS_KM
    y = np.radians(lat - lat.mean(axis=1, keepdims=True)) * EARTH_RADIUS_KM
    x = x.astype(np.float32)
    y = y.astype(np.float32)
    dx = x[:, :, None] - x[:, None, :]
    dy = y[:, :, None] - y[:, None, :]
    d = np.zeros((batch, size + 1, size + 1), dtype=np.float32)
    d[:, 1:, 1:] = np.sqrt(dx * dx + dy * dy)
    return d


def _path_lengths(lat: np.ndarray, lon: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Exact (great-circle) length of each round's open path in the given orders."""
    la = np.take_along_axis(lat, orders, axis=1)
    lo = np.take_along_axis(lon, orders, axis=1)
    return haversine_km(la[:, :-1], lo[:, :-1], la[:, 1:], lo[:, 1:]).sum(axis=1)


def _starts(d: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> list[np.ndarray]:
    """Starting tours per round, each improved apart: greedy from the point farthest from the
    centre, greedy from the point nearest to it, a sweep along the principal axis, and greedy
    from the outermost point of each of `SECTOR_STARTS` sectors around the centre (an open route
    mostly begins at an outer point). A local optimum depends on where it starts; these rarely
    all share a bad one. The same for a round whatever it is routed with."""
    centre = haversine_km(
        lat, lon, lat.mean(axis=1, keepdims=True), lon.mean(axis=1, keepdims=True)
    )
    starts = [
        _nearest_neighbour_tours(d, np.argmax(centre, axis=1) + 1),
        _nearest_neighbour_tours(d, np.argmin(centre, axis=1) + 1),
        _sweep_tours(lat, lon),
    ]
    lat0 = np.radians(lat.mean(axis=1, keepdims=True))
    x = (lon - lon.mean(axis=1, keepdims=True)) * np.cos(lat0)
    y = lat - lat.mean(axis=1, keepdims=True)
    turn = (np.arctan2(y, x) + np.pi) / (2 * np.pi)  # 0..1 counter-clockwise from the west
    sector = np.minimum((turn * SECTOR_STARTS).astype(np.intp), SECTOR_STARTS - 1)
    reach = np.hypot(x, y)
    # The first start already begins at the outermost point of its sector: that sector's next
    # one begins instead.
    reach[np.arange(lat.shape[0]), np.argmax(centre, axis=1)] = -0.5
    for k in range(SECTOR_STARTS):
        outermost = np.argmax(np.where(sector == k, reach, -1.0), axis=1)
        starts.append(_nearest_neighbour_tours(d, outermost + 1))
    return starts


def _shortest(
    lat: np.ndarray, lon: np.ndarray, d: np.ndarray, candidates: list[np.ndarray]
) -> np.ndarray:
    """Each round's shortest candidate order (indices 0..m-1), never longer than the order the
    points came in: where that order is better, it is improved instead, and kept as it is if
    even that does not help."""
    lengths = np.stack([_path_lengths(lat, lon, c) for c in candidates])
    best = np.argmin(lengths, axis=0)
    rows = np.arange(lat.shape[0])
    orders = np.stack(candidates)[best, rows]
    shortest = lengths[best, rows]
    identity = np.tile(np.arange(lat.shape[1]), (lat.shape[0], 1))
    given = _path_lengths(lat, lon, identity)
    worse = np.flatnonzero(shortest > given)
    if worse.size:
        tours = np.tile(np.arange(lat.shape[1] + 1), (worse.size, 1))
        retry = _improve(d[worse], tours)[:, 1:] - 1
        still = _path_lengths(lat[worse], lon[worse], retry) > given[worse]
        orders[worse] = np.where(still[:, None], identity[worse], retry)
    return orders


def _sweep_tours(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Tours (dummy node first) that visit each round's points along its principal axis."""
    lat0 = np.radians(lat.mean(axis=1, keepdims=True))
    x = (lon - lon.mean(axis=1, keepdims=True)) * np.cos(lat0)
    y = lat - lat.mean(axis=1, keepdims=True)
    angle = 0.5 * np.arctan2(2 * (x * y).sum(axis=1), (x * x).sum(axis=1) - (y * y).sum(axis=1))
    along = x * np.cos(angle)[:, None] + y * np.sin(angle)[:, None]
    order = np.argsort(along, axis=1, kind="stable") + 1
    return np.concatenate((np.zeros((lat.shape[0], 1), dtype=np.intp), order), axis=1)


def _nearest_neighbour_tours(d: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Greedy tours (dummy node first) from each round's point `first` (a node number, 1..m)."""
    batch, nodes = d.shape[0], d.shape[1]
    rows = np.arange(batch)
    current = first
    tours = np.zeros((batch, nodes), dtype=np.intp)
    tours[:, 1] = current
    visited = np.zeros((batch, nodes), dtype=bool)
    visited[:, 0] = True
    visited[rows, current] = True
    for step in range(2, nodes):
        candidates = np.where(visited, np.inf, d[rows, current])
        current = np.argmin(candidates, axis=1)
        tours[:, step] = current
        visited[rows, current] = True
    return tours


def _in_tour_order(d: np.ndarray, rows: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """The distance matrices `d[rows]` with rows and columns in tour order: `dp[b, i, j] =
    d[rows[b], tours[b, i], tours[b, j]]`.

    Two gathers of whole rows and a transpose, several times faster than indexing each element:
    the matrices are symmetric, so the rows of the transposed first gather are its columns.
    """
    batch, nodes = tours.shape
    first = np.take(d.reshape(-1, nodes), rows[:, None] * nodes + tours, axis=0)
    columns = first.transpose(0, 2, 1).reshape(-1, nodes)  # columns[b, k, i] = d(t[i], k)
    return np.take(columns, np.arange(batch)[:, None] * nodes + tours, axis=0)


def _two_opt(d: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """Best-improvement 2-opt on closed tours whose node 0 (the dummy) stays first.

    Every pass evaluates all segment reversals of every still-improving tour at once and applies
    each tour's best one; tours that no longer improve drop out of the batch.
    """
    tours = tours.copy()
    nodes = tours.shape[1]
    positions = np.arange(nodes)
    following = np.roll(positions, -1)
    # Reverse positions i..j with 1 <= i < j <= nodes-1: the dummy at position 0 never moves.
    i_grid, j_grid = np.meshgrid(np.arange(1, nodes), positions, indexing="ij")
    forbidden = np.where(j_grid > i_grid, 0, np.inf).astype(d.dtype)
    active = np.arange(tours.shape[0])
    for _ in range(MAX_2OPT_PASSES):
        if active.size == 0:
            break
        dp = _in_tour_order(d, active, tours[active])
        edge = dp[:, positions, following]  # edge[k] = d(t[k], t[k+1])
        # Reversing i..j replaces edges (i-1, i) and (j, j+1) by (i-1, j) and (i, j+1).
        delta = dp[:, :-1, :] + np.concatenate((dp[:, 1:, 1:], dp[:, 1:, :1]), axis=2)
        delta -= edge[:, :-1, None]
        delta -= edge[:, None, :]
        delta += forbidden
        flat = delta.reshape(active.size, -1)
        best = np.argmin(flat, axis=1)
        improving = flat[np.arange(active.size), best] < -1e-6
        if not improving.any():
            break
        chosen = active[improving]
        low = (best[improving] // nodes + 1)[:, None]
        high = (best[improving] % nodes)[:, None]
        inside = (positions >= low) & (positions <= high)
        source = np.where(inside, low + high - positions, positions)
        tours[chosen] = np.take_along_axis(tours[chosen], source, axis=1)
        active = chosen
    return tours


def _best_tours(d: np.ndarray, tours: Sequence[np.ndarray]) -> np.ndarray:
    """Each round's shortest of the given tours (by the distance matrices)."""
    stacked = np.stack(tours)  # (tours, rounds, nodes)
    nxt = np.roll(stacked, -1, axis=2)
    rows = np.arange(d.shape[0])[None, :, None]
    lengths = d[rows, stacked, nxt].sum(axis=2)
    return stacked[np.argmin(lengths, axis=0), np.arange(d.shape[0])]


def _improve(d: np.ndarray, tours: np.ndarray, *, long_runs: bool = False) -> np.ndarray:
    """2-opt, then Or-opt on runs of 1–3 stops, alternately, until neither shortens a route
    (each round apart). With `long_runs`, a route neither shortens any more then tries Or-opt
    on longer runs (a village's stops driven elsewhere, either way round), and all again if that
    shortened it."""
    tours = _two_opt(d, tours)
    longest = min(LONGEST_RUN, tours.shape[1] - 3)
    longer = tuple(range(SHORT_RUNS[-1] + 1, longest + 1)) if long_runs else ()
    active = np.arange(tours.shape[0])
    for _ in range(MAX_ALTERNATIONS):
        moved, changed = _or_opt(d[active], tours[active], SHORT_RUNS)
        settled = np.flatnonzero(~changed)
        if settled.size and longer:
            rows = active[settled]
            moved[settled], changed[settled] = _or_opt(d[rows], tours[rows], longer)
        if not changed.any():
            break
        active = active[changed]
        tours[active] = _two_opt(d[active], moved[changed])
    return tours


def _or_opt(
    d: np.ndarray, tours: np.ndarray, lengths: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Best-improvement Or-opt on closed tours whose node 0 (the dummy) stays first: every pass
    evaluates, for every still-improving tour at once, moving each run of consecutive stops of
    the given lengths (forwards or reversed) between any two other neighbours, and applies each
    tour's best move.

    Returns the tours and which of them changed.
    """
    tours = tours.copy()
    batch, nodes = tours.shape
    changed = np.zeros(batch, dtype=bool)
    positions = np.arange(nodes)
    following = np.roll(positions, -1)
    # Every move at once: a run starts at position i (1 <= i, i + run - 1 <= nodes - 1, so the
    # dummy never moves) and goes between positions j and j + 1 outside it (j from i - 1 to
    # i + run - 1 would touch the run itself).
    runs = [r for r in lengths if r <= nodes - 3]
    if not runs:
        return tours, changed
    part = max(1, OR_OPT_TABLE // (sum(nodes - r for r in runs) * nodes))
    if batch > part:  # each tour apart: the same moves, in bounded memory
        parts = [_or_opt(d[i : i + part], tours[i : i + part], runs) for i in range(0, batch, part)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    run = np.concatenate([np.full(nodes - r, r) for r in runs])
    starts = np.concatenate([np.arange(1, nodes - r + 1) for r in runs])
    ends = starts + run - 1
    after = (ends + 1) % nodes
    allowed = (positions[None, :] < starts[:, None] - 1) | (positions[None, :] > ends[:, None])
    forbidden = np.flatnonzero(~allowed)  # in each tour's flattened (move, j) table
    active = np.arange(batch)
    for _ in range(MAX_OR_OPT_PASSES):
        if active.size == 0:
            break
        dp = _in_tour_order(d, active, tours[active])
        dn = np.concatenate((dp[:, :, 1:], dp[:, :, :1]), axis=2)  # dn[a, j] = d(t[a], t[j+1])
        edge = np.diagonal(dn, axis1=1, axis2=2).copy()  # edge[k] = d(t[k], t[k+1])
        # Taking the run out joins its neighbours: gain (removed edges minus the new one).
        gain = edge[:, starts - 1] + edge[:, ends] - dp[:, starts - 1, after]
        # In between j and j+1: forwards (j, first) + (last, j+1), or reversed (j, last) +
        # (first, j+1), the cheaper of the two, less the edge (j, j+1) they replace. The runs of
        # one length start at positions 1, 2, ... and end at run, run + 1, ...: slices of the
        # matrices, not copies.
        dn -= edge[:, None, :]
        inserted = np.empty((active.size, starts.size, nodes), dtype=d.dtype)
        offset = 0
        for length in runs:
            count = nodes - length
            block = inserted[:, offset : offset + count]
            np.add(dp[:, 1 : count + 1], dn[:, length:nodes], out=block)
            np.minimum(block, dp[:, length:nodes] + dn[:, 1 : count + 1], out=block)
            offset += count
        inserted -= gain[:, :, None]
        flat = inserted.reshape(active.size, -1)
        flat[:, forbidden] = np.inf
        best = np.argmin(flat, axis=1)
        rows = np.arange(active.size)
        improving = flat[rows, best] < -1e-6
        if not improving.any():
            break
        chosen = active[improving]
        move, j = np.divmod(best[improving], nodes)
        r, first, last, nxt = rows[improving], starts[move], ends[move], following[j]
        forwards = dp[r, first, j] + dp[r, last, nxt]
        reversed_ = (dp[r, last, j] + dp[r, first, nxt] < forwards)[:, None]
        length, start, j = run[move][:, None], starts[move][:, None], j[:, None]
        # New order by sort keys: stops keep their position, the run goes just after j (keys
        # j + 0.5 .. j + 0.9 in the order it is driven).
        offset = positions[None, :] - start
        inside = (offset >= 0) & (offset < length)
        step = np.where(reversed_, length - 1 - offset, offset)
        keys = np.where(inside, j + 0.5 + 0.4 * step / length, positions[None, :])
        source = np.argsort(keys, axis=1, kind="stable")
        tours[chosen] = np.take_along_axis(tours[chosen], source, axis=1)
        changed[chosen] = True
        active = chosen
    return tours, changed


def plan_rounds(lat: np.ndarray, lon: np.ndarray, max_size: int) -> list[Route]:
    """Group the points into compact rounds and route each; orders index the input points."""
    groups = group_points(lat, lon, max_size)
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    routes = route_rounds([(lat[g], lon[g]) for g in groups])
    return [Route(order=g[r.order], km=r.km) for g, r in zip(groups, routes, strict=True)]
