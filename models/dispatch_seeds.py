"""Quick plans the day optimizer starts from; it keeps the cheapest and improves it.

- `nearest_free`: visits by window start, each to the allowed technician who keeps the promise with the shortest
  drive from where they are — one visit at a time.
- `layered`: the day cut into slices of window starts (e.g. 30 minutes); the visits of a slice are matched to the
  technicians all at once (a min-cost assignment: driving from where each technician will be, plus lateness,
  plus a fixed charge for a visit that would miss its promise), so two visits of a slice are not handed out
  in an order that sends one technician across town while another drives past. Technicians' states (free at,
  where) move forward slice by slice; a slice with more visits than free technicians is matched in rounds.

Pinned visits stay with their technician; a visit no technician has the skills for stays with its own;
unassigned visits are left to the solver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.dispatch_optimize import OptTech, OptVisit

Plan = dict[int, list["OptVisit"]]
MISS_CHARGE_S = 3600  # a visit matched past its promise costs like an hour of driving, on top of its lateness


def skilled(tech: OptTech, v: OptVisit) -> bool:
    have = {s.lower() for s in tech.skills}
    return all(s.lower() in have for s in v.required_skills)


def may_take(tech: OptTech, v: OptVisit, stay: Sequence[OptVisit]) -> bool:
    """Whether a starting plan may give `v` to `tech`: pinned and unplaceable visits keep their technician."""
    if v.visit.pinned or v in stay:
        return tech.id == v.technician_id
    return skilled(tech, v)


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _drive(drive: Callable, a, b) -> float:
    return 0.0 if a is None or b is None else max(0.0, drive(a, b))


def nearest_free(techs: Sequence[OptTech], visits: Sequence[OptVisit], drive: Callable, grace_min: int,
                 stay: Sequence[OptVisit] = ()) -> Plan:
    """One visit at a time, by window start, to the allowed tech who keeps the promise with the shortest drive."""
    grace = timedelta(minutes=grace_min)
    state = {t.id: (t.free_at, t.start_place) for t in techs}
    routes: Plan = {t.id: [] for t in techs}
    for v in sorted(visits, key=lambda v: (_utc(v.visit.start), v.id)):
        if v.technician_id is None:
            continue
        best: tuple[tuple[int, float], OptTech, datetime] | None = None
        for t in techs:
            if not may_take(t, v, stay):
                continue
            free, loc = state[t.id]
            d = _drive(drive, loc, v.visit.site)
            arrive = max(free + timedelta(seconds=d), _utc(v.visit.start))
            key = (0, d) if arrive <= _utc(v.visit.start) + grace else (1, arrive.timestamp())
            if best is None or key < best[0]:
                best = (key, t, arrive)
        if best is None:
            continue
        _, t, arrive = best
        routes[t.id].append(v)
        state[t.id] = (arrive + v.visit.minutes, v.visit.site or state[t.id][1])
    return routes


def layered(techs: Sequence[OptTech], visits: Sequence[OptVisit], drive: Callable, grace_min: int,
            stay: Sequence[OptVisit] = (), *, slice_min: int = 30, late_cost: int = 5) -> Plan:
    """Slice by slice of window starts, the slice's visits matched to the technicians at once."""
    state = {t.id: (t.free_at.timestamp(), t.start_place) for t in techs}
    routes: Plan = {t.id: [] for t in techs}
    todo = sorted((v for v in visits if v.technician_id is not None), key=lambda v: (_utc(v.visit.start), v.id))
    i = 0
    while i < len(todo):
        edge = _utc(todo[i].visit.start) + timedelta(minutes=slice_min)
        batch = []
        while i < len(todo) and _utc(todo[i].visit.start) < edge:
            batch.append(todo[i])
            i += 1
        while batch:
            left = _match_slice(techs, batch, state, routes, drive, grace_min, stay, late_cost)
            if len(left) == len(batch):  # nobody may take them (can't happen with `stay` honoured): keep them out
                break
            batch = left
    return routes


def _match_slice(techs: Sequence[OptTech], batch: list[OptVisit], state: dict, routes: Plan, drive: Callable,
                 grace_min: int, stay: Sequence[OptVisit], late_cost: int) -> list[OptVisit]:
    """Match one slice (each technician takes at most one of its visits); returns the visits left over."""
    from ortools.graph.python import min_cost_flow

    k, n = len(techs), len(batch)
    src, sink = 0, 1
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs = []
    for p, t in enumerate(techs):
        mcf.add_arc_with_capacity_and_unit_cost(src, 2 + p, 1, 0)
        free, loc = state[t.id]
        for j, v in enumerate(batch):
            if not may_take(t, v, stay):
                continue
            d = _drive(drive, loc, v.visit.site)
            ws = _utc(v.visit.start).timestamp()
            arrive = max(free + d, ws)
            late = max(0.0, arrive - ws - grace_min * 60)
            cost = d + late_cost * late + (MISS_CHARGE_S if late else 0)
            arcs.append((mcf.add_arc_with_capacity_and_unit_cost(2 + p, 2 + k + j, 1, int(cost)), t, j, arrive))
    for j in range(n):
        mcf.add_arc_with_capacity_and_unit_cost(2 + k + j, sink, 1, 0)
    mcf.set_node_supply(src, n)
    mcf.set_node_supply(sink, -n)
    if mcf.solve_max_flow_with_min_cost() != mcf.OPTIMAL:
        return batch
    done = set()
    for arc, t, j, arrive in arcs:
        if mcf.flow(arc):
            v = batch[j]
            routes[t.id].append(v)
            state[t.id] = (arrive + v.visit.minutes.total_seconds(), v.visit.site or state[t.id][1])
            done.add(j)
    return [v for j, v in enumerate(batch) if j not in done]
