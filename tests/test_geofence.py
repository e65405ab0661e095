"""Geofence evidence rule (models/geo.py, docs/geofence.md) on recorded-style GPS tracks."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.geo import ArrivalEvidence, GeoState, distance_m

SITE = (30.2650, -97.7440)
R, MAX_ACC = 91.44, 100.0
T0 = datetime(2030, 5, 4, 14, 0, tzinfo=UTC)
MPH = 0.44704


@dataclass
class Fix:
    lat: float
    lng: float
    accuracy_m: float
    t: datetime
    speed: float | None = None


def offset(east_m: float, north_m: float) -> tuple[float, float]:
    lat = SITE[0] + north_m / 111_320.0
    return lat, SITE[1] + east_m / (111_320.0 * math.cos(math.radians(SITE[0])))


def drive(points: list[tuple[float, float, float]], every_s: float, *, acc: float = 8.0, noise: float = 4.0,
          seed: int = 1, start: datetime = T0, report_speed: bool = False) -> list[Fix]:
    """Fixes along (east_m, north_m, speed_mps) waypoints, sampled every `every_s` with GPS noise."""
    rng = random.Random(seed)
    fixes, t = [], start
    for (x0, y0, v), (x1, y1, _) in zip(points, points[1:], strict=False):
        seg = math.hypot(x1 - x0, y1 - y0)
        n = max(1, int(seg / max(v, 0.1) / every_s))
        for i in range(n):
            f = i / n
            lat, lng = offset(x0 + (x1 - x0) * f + rng.gauss(0, noise), y0 + (y1 - y0) * f + rng.gauss(0, noise))
            fixes.append(Fix(lat, lng, acc, t, v if report_speed else None))
            t += timedelta(seconds=every_s)
    return fixes


def park(x: float, y: float, seconds: float, every_s: float, *, acc: float = 8.0, noise: float = 4.0,
         seed: int = 2, start: datetime = T0) -> list[Fix]:
    rng = random.Random(seed)
    return [Fix(*offset(x + rng.gauss(0, noise), y + rng.gauss(0, noise)), acc,
                start + timedelta(seconds=i * every_s)) for i in range(int(seconds / every_s))]


def run(fixes: list[Fix], state: GeoState | None = None) -> list[tuple[Fix, ArrivalEvidence]]:
    """Feed fixes to the rule the way the server does (in recorded order, remembering accepted fixes)."""
    state = state or GeoState()
    out = []
    for f in fixes:
        v = state.observe(1, *SITE, f.lat, f.lng, f.accuracy_m, f.t, radius=R, max_accuracy=MAX_ACC, speed_mps=f.speed)
        out.append((f, v))
        if f.accuracy_m <= MAX_ACC:
            state.remember(f.lat, f.lng, f.t)
    return out


def arrivals(verdicts: list[tuple[Fix, ArrivalEvidence]]) -> list[Fix]:
    return [f for f, v in verdicts if v is ArrivalEvidence.ARRIVED]


def test_clean_approach_arrives_once_soon_after_parking() -> None:
    road = drive([(0, -2000, 13.4), (0, -300, 11.0), (0, -60, 4.0), (0, -25, 0)], every_s=5)
    parked_at = road[-1].t + timedelta(seconds=5)
    track = road + park(0, -25, 120, 5, start=parked_at)
    got = arrivals(run(track))
    assert len(got) >= 1
    first = got[0]
    assert distance_m(*SITE, first.lat, first.lng) <= R
    assert (first.t - parked_at).total_seconds() <= 25  # within a dwell of parking (or at once when certain)


def test_drive_by_at_40_mph_never_arrives() -> None:
    for seed in range(20):
        for every_s in (1, 2, 5):
            for report_speed in (False, True):
                track = drive([(-1500, -30, 40 * MPH), (1500, -30, 40 * MPH)], every_s=every_s, seed=seed,
                              acc=6, noise=3, report_speed=report_speed)
                inside = [f for f in track if distance_m(*SITE, f.lat, f.lng) <= R]
                assert inside, "the drive-by passes through the fence"
                assert not arrivals(run(track)), (seed, every_s, report_speed)


def test_jitter_at_the_edge_arrives_once_and_does_not_flap() -> None:
    """Parked 80 m out (inside, near the 91 m edge) with ±25 m jitter and 20–45 m accuracy: fixes fall in and
    out of the circle, yet the visit is detected, and the departure rule never fires while they are parked."""
    rng = random.Random(5)
    track = [Fix(*offset(80 + rng.gauss(0, 25), rng.gauss(0, 25)), rng.uniform(20, 45), T0 + timedelta(seconds=5 * i))
             for i in range(60)]
    assert any(distance_m(*SITE, f.lat, f.lng) > R for f in track), "jitter crosses the edge"
    state = GeoState()
    verdicts = run(track, state)
    got = arrivals(verdicts)
    assert got and (got[0].t - T0).total_seconds() <= 90
    # After arrival the tech is "at the site": edge jitter must not look like leaving it.
    left = [f for f in track if state.left_site(f.lat, f.lng, f.accuracy_m, radius=R, max_accuracy=MAX_ACC)]
    assert not left


def test_parked_down_the_block_does_not_arrive() -> None:
    rng = random.Random(9)
    track = [Fix(*offset(220 + rng.gauss(0, 20), rng.gauss(0, 20)), rng.uniform(10, 30), T0 + timedelta(seconds=5 * i))
             for i in range(120)]
    assert not arrivals(run(track))


def test_inaccurate_fixes_are_ignored() -> None:
    """Indoors or on cell towers only (accuracy 150 m): even fixes that land on the site prove nothing."""
    track = [Fix(*offset(0, 0), 150.0, T0 + timedelta(seconds=10 * i)) for i in range(30)]
    verdicts = run(track)
    assert {v for _, v in verdicts} == {ArrivalEvidence.IGNORED}


def test_phone_goes_silent_then_reports_from_the_driveway() -> None:
    """Last fix 600 m out at speed, four minutes of silence, then the phone wakes up parked in the driveway."""
    road = drive([(0, -2500, 13.4), (0, -600, 13.4)], every_s=5)
    wake = road[-1].t + timedelta(minutes=4)
    track = road + park(0, -15, 30, 5, start=wake, acc=5)
    got = arrivals(run(track))
    assert got and got[0].t <= wake + timedelta(seconds=5), "one certain, slow fix in the driveway is enough"


def test_phone_goes_silent_mid_drive_by_does_not_arrive_later() -> None:
    """One fix inside during a 40 mph pass, then silence, then the next fix is far away: no arrival."""
    track = [Fix(*offset(-40, -20), 8, T0, 17.9), Fix(*offset(-2000, -20), 8, T0 + timedelta(minutes=3))]
    assert not arrivals(run(track))


def test_single_inside_fix_then_silence_waits_for_more_evidence() -> None:
    """An uncertain inside fix (accuracy 40 m at 70 m) alone is not an arrival; the next one 30 s later is."""
    state = GeoState()
    first = run([Fix(*offset(70, 0), 40, T0)], state)
    assert arrivals(first) == []
    later = run([Fix(*offset(65, 5), 35, T0 + timedelta(seconds=30))], state)
    assert len(arrivals(later)) == 1


def test_departure_from_previous_site_is_detected_once() -> None:
    state = GeoState()
    state.mark_at_site(99, *SITE)
    track = drive([(0, 0, 2), (0, 100, 8), (0, 600, 13)], every_s=5, noise=3)
    left = [f for f in track if state.left_site(f.lat, f.lng, f.accuracy_m, radius=R, max_accuracy=MAX_ACC)]
    assert len(left) == 1
    assert distance_m(*SITE, left[0].lat, left[0].lng) > 1.5 * R
