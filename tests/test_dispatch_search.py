"""The day optimizer's quick plans and local search, on hand-made days (pure: no server, no Qt)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from models.dispatch_optimize import LATE_COST, MISS_COST, OVERTIME_COST, OptTech, OptVisit, optimize, simulate
from models.dispatch_rank import DayVisit, Place
from models.dispatch_search import Day, run, search
from models.dispatch_seeds import layered, nearest_free

DAY = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 8:00 AM in Austin


def at(h: float) -> datetime:
    return DAY + timedelta(hours=h - 8)


def drive(a: Place, b: Place) -> float:
    """A minute per unit of distance along the street grid."""
    return 60 * (abs(a.lat - b.lat) + abs(a.lng - b.lng))


def tech(tid: int, x: float, **kw) -> OptTech:
    return OptTech(tid, f"Tech {tid}", Place(0, x), at(8), at(17), **kw)


def visit(vid: int, tid: int | None, h: float, x: float, hours: float = 1, **kw) -> OptVisit:
    skills = kw.pop("skills", ())
    return OptVisit(DayVisit(vid, at(h), at(h + hours), "scheduled", f"Customer {vid}", Place(0, x), **kw), tid, 1,
                    skills)


def routes_of(p) -> dict[int, list[int]]:
    return {tid: [leg.visit.id for leg in legs] for tid, legs in p.after.items()}


def cost(techs, plan) -> tuple[int, float]:
    """(visits outside their window, cost in the optimizer's terms) of a plan."""
    misses, total = 0, 0.0
    for t in techs:
        legs = simulate(t, plan[t.id], drive, 30)
        for leg in legs:
            total += leg.drive_min * 60
            if leg.late_min:
                misses += 1
                total += MISS_COST + LATE_COST * leg.late_min * 60
        if legs and legs[-1].leave > t.shift_end:
            total += OVERTIME_COST * (legs[-1].leave - t.shift_end).total_seconds()
    return misses, total


def test_criss_crossing_afternoons_are_swapped_and_windows_kept() -> None:
    west, east = tech(1, 0), tech(2, 40)
    visits = [visit(1, 1, 9, 2), visit(2, 2, 9, 38),  # mornings near home
              visit(3, 1, 13, 39), visit(4, 2, 13, 1)]  # afternoons booked across town
    p = optimize([west, east], visits, drive, grace_min=30, time_limit_s=1)
    assert routes_of(p) == {1: [1, 4], 2: [2, 3]}
    assert p.totals_after["drive_min"] < p.totals_before["drive_min"] / 2
    assert p.totals_after["at_risk"] == 0
    moved = {c["appointment_id"]: c for c in p.changes}
    assert set(moved) == {3, 4}
    assert all(c["window_start"] == c["from_window_start"] for c in moved.values())  # same times, other tech


def test_slice_matching_sees_two_visits_at_once_where_nearest_free_does_not() -> None:
    a, b = tech(1, 0), tech(2, 10)
    v1, v2 = visit(1, 1, 8, 4), visit(2, 2, 8.1, 0)  # v1 is a little nearer A, v2 is at A's door
    greedy = nearest_free([a, b], [v1, v2], drive, 30)
    sliced = layered([a, b], [v1, v2], drive, 30, slice_min=30)
    assert [v.id for v in greedy[1]] == [1] and [v.id for v in greedy[2]] == [2]  # 4 + 10 minutes of driving
    assert [v.id for v in sliced[1]] == [2] and [v.id for v in sliced[2]] == [1]  # 0 + 6 minutes
    assert cost([a, b], sliced)[1] < cost([a, b], greedy)[1]


def test_skills_pins_and_time_off_are_respected() -> None:
    epa = tech(1, 0, skills=frozenset({"HVAC", "EPA 608"}))
    plain = tech(2, 30, skills=frozenset({"HVAC"}), breaks=((at(12), at(14)),))
    visits = [visit(1, 2, 9, 1, skills=("EPA 608",)),  # booked on the tech who lacks the skill
              visit(2, 1, 9, 29, pinned=True),  # across town from its tech, but pinned
              visit(3, 1, 12.5, 31)]  # near the plain tech, during their time off
    p = optimize([epa, plain], visits, drive, grace_min=30, time_limit_s=1)
    r = routes_of(p)
    assert 1 in r[1] and 2 in r[1]
    for leg in p.after[2]:
        assert leg.leave <= at(12) or leg.arrive >= at(14)
    assert not any(c["appointment_id"] == 2 for c in p.changes)


def _random_day(rnd: random.Random, n_techs: int, n_visits: int) -> tuple[list[OptTech], list[OptVisit]]:
    techs = [tech(i + 1, rnd.uniform(0, 60)) for i in range(n_techs)]
    visits, vid = [], 0
    for t in techs:
        h = 8.0
        while vid < n_visits and h < 16:
            vid += 1
            visits.append(visit(vid, t.id, h, rnd.uniform(0, 60), hours=rnd.choice([0.75, 1, 1.5])))
            h += visits[-1].visit.minutes.total_seconds() / 3600 + rnd.choice([0.25, 0.5, 1])
    return techs, visits


def test_the_proposal_is_never_worse_than_nearest_free_nor_has_more_misses() -> None:
    rnd = random.Random(5)
    for _ in range(3):
        techs, visits = _random_day(rnd, 6, 40)
        p = optimize(techs, visits, drive, grace_min=30, time_limit_s=0.8)
        after = {t.id: [leg.visit for leg in p.after[t.id]] for t in techs}
        greedy = nearest_free(techs, visits, drive, 30)
        assert sorted(v.id for r in after.values() for v in r) == sorted(v.id for v in visits)
        mine, theirs = cost(techs, after), cost(techs, greedy)
        assert mine[0] <= theirs[0]
        assert mine[1] <= theirs[1] + 60  # rounding of the solver's whole seconds


def test_search_never_trades_a_visit_outside_its_window_for_driving_beyond_its_cap() -> None:
    # A lives next to V1, B far from V2; A could do V2 after V1 with 40 minutes less driving, but 60 minutes late
    travel = [[0, 0, 0, 1800], [0, 0, 6000, 4200], [0, 0, 0, 1800], [0, 0, 1800, 0]]
    day = Day(travel, [0.0, 0.0], [None, None], [[], []], [0.0, 0.0, 3600.0, 3600.0], [0.0, 0.0, 3600.0, 3600.0],
              [set(), set(), {0, 1}, {0, 1}], 1800.0, 0.0, 0.0, 0.0)  # lateness free: only the cap says no
    assert search(day, [[2], [3]], 0.3) == [[2], [3]]
    assert search(day, [[2], [3]], 0.3, cap=1) == [[2, 3], []]


def test_time_off_pushes_the_arrival_after_it() -> None:
    travel = [[0, 600], [600, 0]]
    day = Day(travel, [0.0], [None], [[(0.0, 3600.0)]], [0.0, 0.0], [0.0, 1800.0], [set(), {0}], 1800.0,
              1.0, 1800.0, 2.0)
    t, _, miss, cost_ = run(day, 0, [1])
    assert t == 3600 + 1800 and miss == 1 and cost_ == 600 + 1800 + (3600 - 1800)
