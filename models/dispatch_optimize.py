"""Optimize a day: a proposal to review, from quick plans, a local search and a vehicle-routing solve (OR-Tools).

- Every technician is a vehicle starting where they are (their latest position, or the site of the visit they are
  on) when they are free (now, their shift start, or when their current visit ends) and ending by their shift end
  (overtime is allowed at a cost, so a plan always exists); partial time off is a break they can't work in.
- Every visit that still can move (scheduled or dispatched, not pinned) may go to any technician with its skills;
  it may not start before its window opens. En route, arrived, in-progress and finished visits are not moved; a
  pinned visit keeps its technician and window.
- The cost of a day: driving seconds + `LATE_COST` × seconds past the promise (window start + the LATE grace) +
  `MISS_COST` per visit past it + `OVERTIME_COST` × seconds past the shift end — a visit outside its window weighs
  like half an hour of driving plus a minute per minute late; a minute of overtime like two of driving.
- Steps: quick plans (the dispatcher's, nearest-free technician, slice-by-slice matching — models/dispatch_seeds.py);
  a local search from the cheapest (models/dispatch_search.py: whole-crew rematches of the rest of the day, tail
  swaps, moves and trades), which never ends with more visits outside their window than the dispatcher's or the
  nearest-free plan; then the routing solver (guided local search) polishes it within the rest of the time limit,
  keeping every visit the search reached on time on time, and places unassigned work ("Assign unassigned") where
  it fits, leaving it unassigned when it would cost more than a long detour.

A visit keeps its window when the new plan reaches it within the promise and after its predecessor's booked
window; otherwise its window moves to the planned arrival (to the next 5 minutes), so the board never shows
two bookings of one tech on top of each other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models.dispatch_rank import ACTIVE, DEFAULT_GRACE_MIN, DayVisit, Drive, Place, play
from models.dispatch_search import Day, score, search
from models.dispatch_seeds import layered, nearest_free, skilled

MOVABLE = ("scheduled", "dispatched")
LATE_COST = 1  # per second past the promise
MISS_COST = 1800  # per visit past the promise
OVERTIME_COST = 2  # per second past the shift end
DROP_ASSIGNED = 10**9  # a visit that has a tech is never dropped (the penalty only lets the solve start anywhere)
DROP_UNASSIGNED = 2 * 10**6
SEED_SLICES = (15, 30, 45, 60)  # minutes per slice of the matched quick plans
SEARCH_SHARE = 0.8  # of the time limit for the local search; the solver gets the rest (half with unassigned work)


@dataclass(frozen=True)
class OptTech:
    id: int
    name: str
    start_place: Place | None
    free_at: datetime  # now, the shift start, or when the current visit ends
    shift_end: datetime | None = None
    breaks: tuple[tuple[datetime, datetime], ...] = ()
    skills: frozenset[str] = frozenset()
    locked: tuple[DayVisit, ...] = ()  # active visits, done before anything else
    start_drive_s: float = 0.0  # driving already needed to finish the locked visits (counted in totals)


@dataclass(frozen=True)
class OptVisit:
    visit: DayVisit
    technician_id: int | None
    version: int = 1
    required_skills: tuple[str, ...] = ()

    @property
    def id(self) -> int:
        return self.visit.id


@dataclass
class Leg:
    visit: OptVisit
    arrive: datetime
    leave: datetime
    late_min: int
    drive_min: float


@dataclass
class Proposal:
    before: dict[int, list[Leg]]
    after: dict[int, list[Leg]]
    changes: list[dict[str, Any]]
    unplaced: list[OptVisit]
    totals_before: dict[str, float]
    totals_after: dict[str, float]
    notes: list[str] = field(default_factory=list)
    solve_s: float = 0.0
    solver_status: str = ""


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def simulate(tech: OptTech, route: Sequence[OptVisit], drive: Drive, grace_min: int) -> list[Leg]:
    """Arrival, departure, lateness and drive for each visit of a route, from the tech's start."""
    grace = timedelta(minutes=grace_min)
    t, loc = tech.free_at, tech.start_place
    legs = []
    for ov in route:
        v = ov.visit
        d = 0.0 if loc is None or v.site is None else max(0.0, drive(loc, v.site))
        arrive = max(t + timedelta(seconds=d), _utc(v.start))
        for b0, b1 in tech.breaks:  # can't work during time off: start after it
            if arrive < b1 and arrive + v.minutes > b0:
                arrive = max(arrive, b1)
        leave = arrive + v.minutes
        legs.append(Leg(ov, arrive, leave, max(0, math.ceil((arrive - (_utc(v.start) + grace)).total_seconds() / 60)),
                        d / 60))
        t, loc = leave, v.site or loc
    return legs


def totals(routes: dict[int, list[Leg]], techs: Iterable[OptTech]) -> dict[str, float]:
    """Drive minutes (with what finishing the locked visits needs), visits past their promise, minutes late,
    visits, and overtime minutes past the shift ends."""
    techs = list(techs)
    legs = [leg for r in routes.values() for leg in r]
    start = sum(t.start_drive_s for t in techs) / 60
    overtime = sum(max(0.0, (routes[t.id][-1].leave - t.shift_end).total_seconds() / 60) for t in techs
                   if t.shift_end is not None and routes.get(t.id))
    return {"drive_min": round(start + sum(leg.drive_min for leg in legs), 1),
            "at_risk": sum(1 for leg in legs if leg.late_min > 0),
            "late_min": sum(leg.late_min for leg in legs), "visits": len(legs), "overtime_min": round(overtime)}


def current_routes(techs: Sequence[OptTech], visits: Sequence[OptVisit]) -> dict[int, list[OptVisit]]:
    """The dispatcher's plan: each tech's movable and pinned visits by window start."""
    out: dict[int, list[OptVisit]] = {t.id: [] for t in techs}
    for v in sorted(visits, key=lambda v: (_utc(v.visit.start), v.id)):
        if v.technician_id in out:
            out[v.technician_id].append(v)
    return out


def optimize(techs: Sequence[OptTech], visits: Sequence[OptVisit], drive: Drive, *,
             grace_min: int = DEFAULT_GRACE_MIN, time_limit_s: float | None = None) -> Proposal:
    """Propose new routes for `techs` covering `visits` (theirs, plus unassigned ones to place)."""
    techs = list(techs)
    by_tech = {t.id: t for t in techs}
    movable = [v for v in visits
               if v.visit.status in MOVABLE and (v.technician_id is None or v.technician_id in by_tech)]
    before_routes = current_routes(techs, movable)
    before = {t.id: simulate(t, before_routes[t.id], drive, grace_min) for t in techs}
    if not techs or not movable:
        return Proposal(before, before, [], [v for v in movable if v.technician_id is None], totals(before, techs),
                        totals(before, techs), ["Nothing to optimize: no technician or no visit that can move."])

    k, n = len(techs), len(movable)
    limit = time_limit_s if time_limit_s is not None else min(11.0, 0.3 + 0.012 * n)
    started = time.perf_counter()
    base = min([t.free_at for t in techs] + [_utc(v.visit.start) for v in movable]) - timedelta(hours=1)

    def sec(dt: datetime) -> int:
        return max(0, int((dt - base).total_seconds()))

    places: list[Place | None] = [t.start_place for t in techs] + [v.visit.site for v in movable]
    service = [0] * k + [int(v.visit.minutes.total_seconds()) for v in movable] + [0]
    travel = [[0] * (k + n + 1) for _ in range(k + n + 1)]  # the last node: where every day ends (free)
    for i, a in enumerate(places):
        for j in range(k, k + n):
            if a is not None and places[j] is not None and i != j:
                travel[i][j] = int(round(drive(a, places[j])))
    unskilled = [v for v in movable if not v.visit.pinned and not any(skilled(t, v) for t in techs)]
    allowed = [_allowed(techs, v) for v in movable]
    day = Day(travel, [float(sec(t.free_at)) for t in techs],
              [None if t.shift_end is None else float(sec(t.shift_end)) for t in techs],
              [[(float(sec(b0)), float(sec(b1))) for b0, b1 in t.breaks] for t in techs],
              [0.0] * k + [float(sec(_utc(v.visit.start))) for v in movable], [float(x) for x in service],
              [set()] * k + allowed, grace_min * 60.0, LATE_COST, MISS_COST, OVERTIME_COST)

    seeds = [{t.id: [v for v in before_routes[t.id] if v.visit.pinned or skilled(t, v) or v in unskilled]
              for t in techs}, nearest_free(techs, movable, drive, grace_min, unskilled)]
    seeds += [layered(techs, movable, drive, grace_min, unskilled, slice_min=m) for m in SEED_SLICES]
    node_of = {v.id: k + j for j, v in enumerate(movable)}
    starts = [[[node_of[v.id] for v in plan[t.id]] for t in techs] for plan in seeds]
    cap = min(score(day, rs)[0] for rs in starts[:2])  # no more misses than the dispatcher's or nearest-free plan
    share = SEARCH_SHARE if all(v.technician_id is not None for v in movable) else SEARCH_SHARE / 2
    found = search(day, min(starts, key=lambda rs: score(day, rs)[1]), limit * share, cap)
    seed = {t.id: [movable[node - k] for node in found[vi]] for vi, t in enumerate(techs)}

    notes = [f"No technician has every skill {v.visit.label or 'a visit'} needs ({', '.join(v.required_skills)}); "
             "it stays where it is." for v in unskilled]
    left = max(0.1, limit - (time.perf_counter() - started))
    solved = _polish(techs, movable, seed, allowed, day, sec, service, grace_min, drive, left)
    solve_s = time.perf_counter() - started
    if solved is None:
        notes.append("The solver found no plan in time; the current plan stays.")
        return Proposal(before, before, [], [], totals(before, techs), totals(before, techs), notes, solve_s, "")
    after_routes, status = solved
    after = {t.id: simulate(t, after_routes[t.id], drive, grace_min) for t in techs}
    placed = {v.id for r in after_routes.values() for v in r}
    unplaced = [v for v in movable if v.id not in placed]
    return Proposal(before, after, _changes(techs, after), unplaced, totals(before, techs), totals(after, techs),
                    notes, solve_s, status)


def _allowed(techs: list[OptTech], v: OptVisit) -> set[int]:
    """The technicians (by index) who may take a visit: a pinned one its own; else those with its skills; when
    nobody has them, its own technician (it stays)."""
    own = {i for i, t in enumerate(techs) if t.id == v.technician_id}
    if v.visit.pinned and own:
        return own
    return {i for i, t in enumerate(techs) if skilled(t, v)} or own


def _polish(techs: list[OptTech], movable: list[OptVisit], seed: dict[int, list[OptVisit]], allowed: list[set[int]],
            day: Day, sec: Any, service: list[int], grace_min: int, drive: Drive, limit_s: float
            ) -> tuple[dict[int, list[OptVisit]], str] | None:
    """The routing solve from `seed`: visits the seed reaches on time stay on time; unassigned ones may join."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    k, n = len(techs), len(movable)
    size = k + n + 1
    mgr = pywrapcp.RoutingIndexManager(size, k, list(range(k)), [k + n] * k)
    routing = pywrapcp.RoutingModel(mgr)
    solver = routing.solver()
    # matrices evaluated inside the solver (a Python callback per arc would spend the time limit in Python)
    transit = [[service[a] + day.travel[a][b] for b in range(size)] for a in range(size)]
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(day.travel))
    routing.AddDimension(routing.RegisterTransitMatrix(transit), 24 * 3600, 4 * 24 * 3600, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for vi, t in enumerate(techs):
        time_dim.CumulVar(routing.Start(vi)).SetMin(sec(t.free_at))
        if t.shift_end is not None:
            time_dim.SetCumulVarSoftUpperBound(routing.End(vi), max(sec(t.shift_end), sec(t.free_at)), OVERTIME_COST)
        ivs = [solver.FixedDurationIntervalVar(sec(b0), sec(b0), max(1, sec(b1) - sec(b0)), False, f"off{vi}")
               for b0, b1 in t.breaks if b1 > t.free_at]
        if ivs:
            time_dim.SetBreakIntervalsOfVehicle(ivs, vi, service)
    on_time = {leg.visit.id for t in techs for leg in simulate(t, seed[t.id], drive, grace_min) if not leg.late_min}
    for j, v in enumerate(movable):
        idx = mgr.NodeToIndex(k + j)
        if not allowed[j]:
            routing.AddDisjunction([idx], 0)
            solver.Add(routing.ActiveVar(idx) == 0)
            continue
        barred = [vi for vi in range(k) if vi not in allowed[j]]
        if barred:
            routing.VehicleVar(idx).RemoveValues(barred)
        ws = sec(_utc(v.visit.start))
        if v.id in on_time:
            time_dim.CumulVar(idx).SetRange(ws, ws + grace_min * 60)
        else:
            time_dim.CumulVar(idx).SetMin(ws)
            time_dim.SetCumulVarSoftUpperBound(idx, ws + grace_min * 60, LATE_COST)
        routing.AddDisjunction([idx], DROP_ASSIGNED if v.technician_id is not None else DROP_UNASSIGNED)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(limit_s * 1000))
    routing.CloseModelWithParameters(params)
    index = {v.id: k + j for j, v in enumerate(movable)}
    initial = routing.ReadAssignmentFromRoutes([[index[v.id] for v in seed[t.id]] for t in techs], True)
    solution = routing.SolveFromAssignmentWithParameters(initial, params) if initial is not None else None
    if solution is None:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    routes: dict[int, list[OptVisit]] = {}
    for vi, t in enumerate(techs):
        idx, route = routing.Start(vi), []
        while not routing.IsEnd(idx):
            idx = solution.Value(routing.NextVar(idx))
            node = mgr.IndexToNode(idx)
            if k <= node < k + n:
                route.append(movable[node - k])
        routes[t.id] = route
    return routes, str(routing.status())


def _ceil5(dt: datetime) -> datetime:
    dt = dt.replace(second=0, microsecond=0) + (timedelta(minutes=1) if dt.second or dt.microsecond else timedelta())
    return dt + timedelta(minutes=(-dt.minute) % 5)


def _changes(techs: Sequence[OptTech], after: dict[int, list[Leg]]) -> list[dict[str, Any]]:
    """What to save: a new tech and/or window per visit that moves (windows as the module docstring says)."""
    out = []
    for t in techs:
        booked_end = max([_utc(v.end) for v in t.locked], default=None)
        for leg in after[t.id]:
            v, ov = leg.visit.visit, leg.visit
            ws, we = _utc(v.start), _utc(v.end)
            keep = v.pinned or (leg.late_min == 0 and (booked_end is None or ws >= booked_end))
            if not keep:
                ws = _ceil5(max(leg.arrive, booked_end or leg.arrive))
                we = ws + (_utc(v.end) - _utc(v.start))
            booked_end = we if booked_end is None else max(booked_end, we)
            if ov.technician_id != t.id or ws != _utc(v.start):
                out.append({"appointment_id": v.id, "version": ov.version, "technician_id": t.id,
                            "window_start": ws, "window_end": we, "from_technician_id": ov.technician_id,
                            "from_window_start": _utc(v.start), "from_window_end": _utc(v.end),
                            "label": v.label, "arrive_at": leg.arrive, "late_min": leg.late_min})
    return out


def prepare_tech(tid: int, name: str, visits: Sequence[DayVisit], position: Place | None, free_from: datetime,
                 now: datetime, drive: Drive, *, shift_end: datetime | None = None,
                 breaks: Sequence[tuple[datetime, datetime]] = (), skills: frozenset[str] = frozenset(),
                 grace_min: int = DEFAULT_GRACE_MIN) -> OptTech:
    """A tech as a vehicle: their active visits played forward give where and when they are free."""
    active = sorted([v for v in visits if v.status in ACTIVE], key=lambda v: (_utc(v.start), v.id))
    stops = play(active, free_from, position, now, drive, timedelta(minutes=grace_min))
    place, free = position, free_from
    start_drive = 0.0
    loc = position
    for s in stops:
        if s.visit.status == "en_route" and loc is not None and s.visit.site is not None:
            start_drive += drive(loc, s.visit.site)
        place, free, loc = s.visit.site or place, max(free, s.leave), s.visit.site or loc
    return OptTech(tid, name, place, free, shift_end, tuple(breaks), skills, tuple(active), start_drive)
