"""Local search over a day of booked windows, before the routing solver polishes it.

Booked windows make a day rigid in time: what can change is who does which visit. Three moves do that well:

- **rematch**: cut every technician's day at one time of day and give each morning the best afternoon of all
  (a min-cost assignment of the tails to the heads — every "swap the rest of your day" at once);
- **tail swap** between two technicians at any visit (the 2-opt* move of vehicle routing with time windows);
- **move / trade**: one visit to another technician at its place by window start, or two visits traded.

A day's cost is driving + `late_cost` × seconds past the promise (window start + the LATE grace) +
`miss_cost` per visit past it + `overtime_cost` × seconds past the shift end. A change is kept when it lowers the
cost and the day has no more visits past their promise than the plan the search started from (`cap`). After the
descent, an iterated local search shakes two random tails and descends again until the time budget is spent.
Works on the optimizer's node numbering (technicians 0..k-1, visits k..k+n-1) and its drive matrix (seconds).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

Routes = list[list[int]]


@dataclass
class Day:
    """The fixed facts of a day, in seconds from a common origin."""
    travel: Sequence[Sequence[int]]
    free: list[float]  # per technician: free from
    shift_end: list[float | None]
    breaks: list[list[tuple[float, float]]]
    window: list[float]  # per node: window start (technicians: 0)
    service: list[float]  # per node: minutes on site, in seconds
    allowed: list[set[int]]  # per node: the technicians who may take it
    grace: float
    late_cost: float
    miss_cost: float
    overtime_cost: float


def run(day: Day, p: int, route: Sequence[int], state: tuple[float, int, int, float] | None = None
        ) -> tuple[float, int, int, float]:
    """Play technician p's route (from `state`, default their start): (free at, where, misses, cost so far)."""
    t, loc, miss, cost = state if state is not None else (day.free[p], p, 0, 0.0)
    for node in route:
        arrive = max(t + day.travel[loc][node], day.window[node])
        for b0, b1 in day.breaks[p]:
            if arrive < b1 and arrive + day.service[node] > b0:
                arrive = b1
        late = arrive - day.window[node] - day.grace
        if late > 0:
            miss += 1
            cost += day.late_cost * late + day.miss_cost
        cost += day.travel[loc][node]
        t, loc = arrive + day.service[node], node
    return t, loc, miss, cost


def finish(day: Day, p: int, state: tuple[float, int, int, float]) -> tuple[int, float]:
    """(misses, cost) of a played route, with the overtime past p's shift end."""
    t, _, miss, cost = state
    end = day.shift_end[p]
    return miss, cost + (day.overtime_cost * (t - end) if end is not None and t > end else 0.0)


def score(day: Day, routes: Routes) -> tuple[int, float]:
    """(visits past their promise, cost) of the whole day."""
    parts = [finish(day, p, run(day, p, r)) for p, r in enumerate(routes)]
    return sum(m for m, _ in parts), sum(c for _, c in parts)


def search(day: Day, routes: Routes, budget_s: float, cap: int | None = None, seed: int = 1) -> Routes:
    """The best day found within `budget_s` seconds, with no more visits past their promise than `cap` (default,
    and at least: as many as `routes` has)."""
    deadline = time.perf_counter() + budget_s
    s = _Search(day, [list(r) for r in routes], cap)
    s.descend(deadline, None)
    best, best_score = [list(r) for r in s.routes], s.total()
    rnd = random.Random(seed)
    k = len(best)
    while time.perf_counter() < deadline and k > 1:
        s = _Search(day, [list(r) for r in best], cap=s.cap)
        shaken = {p for _ in range(2) for p in s.shake(rnd)}
        s.pairs(deadline, shaken)
        now = s.total()
        if now[0] <= s.cap and now[1] < best_score[1]:
            s.descend(deadline, None)  # a new best: polish it with the rematch sweeps too
            best, best_score = [list(r) for r in s.routes], s.total()
    return best


class _Search:
    def __init__(self, day: Day, routes: Routes, cap: int | None = None) -> None:
        self.day, self.routes = day, routes
        self.scores = [finish(day, p, run(day, p, r)) for p, r in enumerate(routes)]
        self.misses = sum(m for m, _ in self.scores)
        self.cap = self.misses if cap is None else max(cap, self.misses)

    def total(self) -> tuple[int, float]:
        return self.misses, sum(c for _, c in self.scores)

    def shake(self, rnd: random.Random) -> tuple[int, int]:
        """Swap two random tails (when both technicians may take them), whatever it costs."""
        a, b = rnd.sample(range(len(self.routes)), 2)
        ra, rb = self.routes[a], self.routes[b]
        i = rnd.randint(0, len(ra))
        j = self._cut(rb, self.day.window[ra[i]] if i < len(ra) else float("inf"))
        self._try(a, b, ra[:i] + rb[j:], rb[:j] + ra[i:], force=True)
        return a, b

    def descend(self, deadline: float, focus: set[int] | None) -> None:
        """Rematch sweeps and pair moves until neither helps (or the deadline)."""
        day = self.day
        cuts = sorted({day.window[n] for r in self.routes for n in r})
        while time.perf_counter() < deadline:
            swept = any([self.rematch(c) for c in cuts[1:] if time.perf_counter() < deadline])
            moved = self.pairs(deadline, focus)
            if not swept and not moved:
                return
            focus = None

    def pairs(self, deadline: float, focus: set[int] | None) -> bool:
        """Pair moves, pass after pass over the pairs whose days changed; whether anything changed."""
        k = len(self.routes)
        active = set(range(k)) if focus is None else set(focus)
        any_change = False
        while active and time.perf_counter() < deadline:
            changed: set[int] = set()
            for a in range(k):
                for b in range(a + 1, k):
                    if (a in active or b in active) and time.perf_counter() < deadline and self._pair(a, b):
                        changed |= {a, b}
            any_change |= bool(changed)
            active = changed
        return any_change

    def _cut(self, route: list[int], at: float) -> int:
        return sum(1 for n in route if self.day.window[n] < at)

    def _try(self, a: int, b: int, na: list[int], nb: list[int], force: bool = False) -> bool:
        day = self.day
        if not (all(a in day.allowed[n] for n in na) and all(b in day.allowed[n] for n in nb)):
            return False
        sa, sb = finish(day, a, run(day, a, na)), finish(day, b, run(day, b, nb))
        misses = self.misses - self.scores[a][0] - self.scores[b][0] + sa[0] + sb[0]
        if not force and (misses > self.cap or sa[1] + sb[1] >= self.scores[a][1] + self.scores[b][1] - 1):
            return False
        self.routes[a], self.routes[b], self.scores[a], self.scores[b], self.misses = na, nb, sa, sb, misses
        return True

    def _pair(self, a: int, b: int) -> bool:
        """The first helpful tail swap, move or trade between technicians a and b."""
        day = self.day
        ra, rb = self.routes[a], self.routes[b]
        for i in range(len(ra) + 1):
            j0 = self._cut(rb, day.window[ra[i]] if i < len(ra) else float("inf"))
            for j in (j0 - 1, j0, j0 + 1):
                if 0 <= j <= len(rb) and not (i == len(ra) and j == len(rb)) and \
                        self._try(a, b, ra[:i] + rb[j:], rb[:j] + ra[i:]):
                    return True
        for src, dst, flip in ((ra, rb, False), (rb, ra, True)):
            for i, x in enumerate(src):
                at = self._cut(dst, day.window[x] + 0.5)
                rest, grown = src[:i] + src[i + 1:], dst[:at] + [x] + dst[at:]
                if self._try(a, b, *((grown, rest) if flip else (rest, grown))):
                    return True
        for i, x in enumerate(ra):
            for j, y in enumerate(rb):
                if abs(day.window[x] - day.window[y]) <= 3600:
                    na = sorted(ra[:i] + ra[i + 1:] + [y], key=lambda n: day.window[n])
                    nb = sorted(rb[:j] + rb[j + 1:] + [x], key=lambda n: day.window[n])
                    if self._try(a, b, na, nb):
                        return True
        return False

    def rematch(self, cut: float) -> bool:
        """Give every technician's day before `cut` the best of all the days' rests after it."""
        from ortools.graph.python import linear_sum_assignment

        day, k = self.day, len(self.routes)
        heads = [r[:self._cut(r, cut)] for r in self.routes]
        tails = [r[len(h):] for r, h in zip(self.routes, heads, strict=True)]
        states = [run(day, p, h) for p, h in enumerate(heads)]
        lsa = linear_sum_assignment.SimpleLinearSumAssignment()
        cost: dict[tuple[int, int], tuple[int, float]] = {}
        for p in range(k):
            for q in range(k):
                if all(p in day.allowed[n] for n in tails[q]):
                    cost[p, q] = finish(day, p, run(day, p, tails[q], states[p]))
                    lsa.add_arc_with_cost(p, q, int(cost[p, q][1]))
        if lsa.solve() != lsa.OPTIMAL:
            return False
        mate = [lsa.right_mate(p) for p in range(k)]
        new = [cost[p, mate[p]] for p in range(k)]
        misses = sum(m for m, _ in new)
        if misses > self.cap or sum(c for _, c in new) >= sum(c for _, c in self.scores) - 1:
            return False
        self.routes = [heads[p] + tails[mate[p]] for p in range(k)]
        self.scores, self.misses = new, misses
        return True
