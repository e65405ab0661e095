""""Who is best" for a job: when each technician can really be there, and what it costs (pure rule).

For each candidate the rule plays their day forward from `now` (`timeline`): the visit they are on or driving to
ends when its ETA plus its duration says (arrived / in progress: the time left of it), and every later visit
starts when the tech can reach it but not before its window opens. The job goes in after the visit that
precedes it (the current one, or the last one starting before the job's window); from there:

- **can be there at** = when that visit ends (or now / the shift start when free) + the drive from its site (or
  from the tech's latest position), and not before the job's window opens;
- **warnings**: the customer's window missed (arrival later than the window start + the LATE grace, by how much),
  the booked window overlapping another visit, outside working hours or during time off, missing skills, no
  known location, and the knock-on effect: later visits of that tech that would become late, and by how much;
- **top pick**: no warnings and the earliest arrival. When every candidate misses the window (a LATE job) the
  window warning alone does not disqualify.

Drive times come from a function `drive(a, b) -> seconds` (services/drive_times.py fills it from the configured
ETA provider). Visit durations are their windows' lengths unless given.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from models.availability import (
    BLOCKING,
    ConflictKind,
    TimeOff,
    Visit,
    WorkingHours,
    conflicts,
    duration_words,
    missing_skills,
)
from models.timefmt import clock_time, local

#: A visit the tech has already started or is driving to: it comes first in their day, whatever its window.
ACTIVE = ("en_route", "arrived", "in_progress")
DEFAULT_GRACE_MIN = 30  # the LATE threshold: after it the customer is told we are checking on the technician


@dataclass(frozen=True)
class Place:
    lat: float
    lng: float


Drive = Callable[[Place, Place], float]


@dataclass(frozen=True)
class DayVisit:
    """One visit on a technician's day as the rule needs it."""

    id: int
    start: datetime  # window start: the time promised to the customer
    end: datetime
    status: str = "scheduled"
    label: str = ""
    site: Place | None = None
    started_at: datetime | None = None  # arrival (arrived / in progress)
    eta_at: datetime | None = None  # en route: the current ETA
    duration: timedelta | None = None  # default: the window's length
    pinned: bool = False

    @property
    def minutes(self) -> timedelta:
        return self.duration if self.duration is not None else self.end - self.start


@dataclass(frozen=True)
class Tech:
    id: int
    name: str
    visits: tuple[DayVisit, ...] = ()
    position: Place | None = None
    hours: WorkingHours | None = None
    time_off: tuple[TimeOff, ...] = ()
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class JobToPlace:
    window_start: datetime
    window_end: datetime
    site: Place | None = None
    duration: timedelta | None = None
    required_skills: tuple[str, ...] = ()
    label: str = ""
    appointment_id: int | None = None  # the visit being placed (left out of every tech's day)

    @property
    def minutes(self) -> timedelta:
        return self.duration if self.duration is not None else self.window_end - self.window_start


@dataclass(frozen=True)
class Stop:
    """A visit as the day will play out: arrival, departure and lateness past the promise (minutes, ≥ 0)."""

    visit: DayVisit
    arrive: datetime
    leave: datetime
    late_min: int


@dataclass(frozen=True)
class Warning:
    kind: str  # window | overlap | outside_hours | time_off | missing_skill | knock_on | no_location
    message: str
    minutes: int = 0


@dataclass
class Suggestion:
    technician_id: int
    name: str
    arrive_at: datetime
    free_at: datetime
    drive_min: int
    after: str  # the visit they come from ("" when free)
    reason: str
    warnings: list[Warning] = field(default_factory=list)
    window_late_min: int = 0
    knock_on: list[dict[str, Any]] = field(default_factory=list)
    top_pick: bool = False
    rank: int = 0
    start_from: Place | None = None  # where they drive to the job from (a map draws it)

    def to_dict(self) -> dict[str, Any]:
        return {"technician_id": self.technician_id, "name": self.name, "arrive_at": self.arrive_at,
                "free_at": self.free_at, "drive_min": self.drive_min, "after": self.after, "reason": self.reason,
                "warnings": [{"kind": w.kind, "message": w.message, "minutes": w.minutes} for w in self.warnings],
                "window_late_min": self.window_late_min, "knock_on": self.knock_on, "top_pick": self.top_pick,
                "rank": self.rank,
                "from": {"lat": self.start_from.lat, "lng": self.start_from.lng} if self.start_from else None}


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _mins(td: timedelta) -> int:
    return max(0, round(td.total_seconds() / 60))


def ordered(visits: Iterable[DayVisit]) -> list[DayVisit]:
    """The tech's blocking visits in the order they will do them: active ones first, then by window start."""
    blocking = [v for v in visits if v.status in BLOCKING]
    return sorted(blocking, key=lambda v: (v.status not in ACTIVE, _utc(v.start), v.id))


def day_start(tech: Tech, now: datetime, tz: str) -> datetime:
    """When the tech can start moving: now, or their shift start if later that day."""
    if tech.hours is not None:
        iv = tech.hours.interval(local(now, tz).date(), tz)
        if iv is not None and iv[0] > now:
            return iv[0]
    return now


def _drive_s(drive: Drive, a: Place | None, b: Place | None) -> float:
    return 0.0 if a is None or b is None else max(0.0, float(drive(a, b)))


def play(visits: Sequence[DayVisit], start_at: datetime, start_place: Place | None, now: datetime, drive: Drive,
         grace: timedelta) -> list[Stop]:
    """Play `visits` (already in order) forward: when each starts and ends, and how late past its promise."""
    t, loc = start_at, start_place
    out: list[Stop] = []
    for v in visits:
        if v.status in ("arrived", "in_progress"):
            arrive = v.started_at or min(now, _utc(v.start))
            leave = max(arrive + v.minutes, now)
        elif v.status == "en_route":
            arrive = v.eta_at if v.eta_at is not None and v.eta_at >= now else \
                now + timedelta(seconds=_drive_s(drive, loc, v.site))
            leave = arrive + v.minutes
        else:
            arrive = max(t + timedelta(seconds=_drive_s(drive, loc, v.site)), _utc(v.start))
            leave = arrive + v.minutes
        out.append(Stop(v, arrive, leave, _mins(arrive - (_utc(v.start) + grace))))
        t, loc = leave, v.site or loc
    return out


def timeline(tech: Tech, now: datetime, drive: Drive, tz: str, grace_min: int = DEFAULT_GRACE_MIN,
             exclude_id: int | None = None) -> list[Stop]:
    """The tech's day as it will play out from `now` (blocking visits only)."""
    visits = [v for v in ordered(tech.visits) if v.id != exclude_id]
    return play(visits, day_start(tech, now, tz), tech.position, now, drive, timedelta(minutes=grace_min))


def evaluate(tech: Tech, job: JobToPlace, now: datetime, drive: Drive, tz: str,
             grace_min: int = DEFAULT_GRACE_MIN) -> Suggestion:
    """One candidate: when they can be there, why, and every warning."""
    grace = timedelta(minutes=grace_min)
    visits = [v for v in ordered(tech.visits) if v.id != job.appointment_id]
    t0 = day_start(tech, now, tz)
    before = play(visits, t0, tech.position, now, drive, grace)
    ws = _utc(job.window_start)
    i = 0
    while i < len(visits) and (visits[i].status in ACTIVE or _utc(visits[i].start) <= ws):
        i += 1
    prev = before[i - 1] if i else None
    free_at, from_place = (prev.leave, prev.visit.site or tech.position) if prev else (t0, tech.position)
    drive_s = _drive_s(drive, from_place, job.site)
    arrive = max(free_at + timedelta(seconds=drive_s), ws)
    leave = arrive + job.minutes
    after = play(visits[i:], leave, job.site or from_place, now, drive, grace)

    warnings: list[Warning] = []
    late = _mins(arrive - (ws + grace))
    if late:
        warnings.append(Warning("window", f"misses the window by {duration_words(late)}", late))
    booked = [Visit(v.id, tech.id, v.start, v.end, v.status, v.label) for v in visits]
    seen: set[str] = set()
    for start, end in ((job.window_start, job.window_end), (arrive, leave)):
        for c in conflicts(tech.name, start, end, booked, tz=tz, hours=tech.hours, time_off=tech.time_off):
            if c.kind == ConflictKind.OVERLAP and (start, end) != (job.window_start, job.window_end):
                continue  # real-time overlaps are the knock-on effect below
            if c.kind.value in seen:
                continue
            seen.add(c.kind.value)
            label = next((v.label for v in visits if v.id == c.appointment_id), "")
            msg = f"overlaps {label or 'another visit'}" if c.kind == ConflictKind.OVERLAP else c.message
            warnings.append(Warning(c.kind.value, msg, c.minutes))
    lacking = missing_skills(job.required_skills, tech.skills)
    if lacking:
        warnings.append(Warning("missing_skill", "lacks " + _and(lacking)))
    knock = []
    for old, new in zip(before[i:], after, strict=True):
        if new.late_min > old.late_min:
            knock.append({"appointment_id": old.visit.id, "label": old.visit.label,
                          "late_min": new.late_min - old.late_min})
    if knock:
        if len(knock) == 1:
            k = knock[0]
            msg = f"makes {k['label'] or 'the next visit'} {duration_words(k['late_min'])} late"
        else:
            msg = f"makes {len(knock)} later visits late (up to {duration_words(max(k['late_min'] for k in knock))})"
        warnings.append(Warning("knock_on", msg, max(k["late_min"] for k in knock)))
    if from_place is None or job.site is None:
        warnings.append(Warning("no_location", "no known location: drive time not counted" if job.site else
                                "the job has no location: drive time not counted"))

    drive_min = round(drive_s / 60)
    drive_words = f"{duration_words(drive_min)} drive" if drive_min else "no drive"
    if prev is not None:
        reason = f"free at {clock_time(free_at, tz)} after {prev.visit.label or 'their previous visit'}, {drive_words}"
    elif local(ws, tz).date() > local(max(free_at, now), tz).date():
        reason = f"nothing booked before it that day, {drive_words}"
    elif free_at > now:
        reason = f"starts {clock_time(free_at, tz)}, {drive_words}"
    else:
        reason = f"free now, {drive_words}"
    if arrive > free_at + timedelta(seconds=drive_s) and arrive == ws:
        reason += f"; there when the window opens ({clock_time(ws, tz)})"
    return Suggestion(tech.id, tech.name, arrive, free_at, drive_min, prev.visit.label if prev else "", reason,
                      warnings, late, knock, start_from=from_place)


def rank(job: JobToPlace, techs: Iterable[Tech], now: datetime, drive: Drive, tz: str, *,
         grace_min: int = DEFAULT_GRACE_MIN, exclude_unskilled: bool = False) -> list[Suggestion]:
    """Every candidate, best first; `top_pick` marks the one to choose (none when each has a real warning)."""
    out = []
    for tech in techs:
        if exclude_unskilled and missing_skills(job.required_skills, tech.skills):
            continue
        out.append(evaluate(tech, job, now, drive, tz, grace_min))
    everyone_late = bool(out) and all(s.window_late_min for s in out)

    def group(s: Suggestion) -> int:
        kinds = {w.kind for w in s.warnings}
        if not kinds or (everyone_late and kinds == {"window"}):
            return 0
        if kinds == {"window"}:
            return 1
        return 2 + sum(k in ("overlap", "missing_skill", "outside_hours", "time_off") for k in kinds)

    out.sort(key=lambda s: (group(s), s.arrive_at, s.drive_min, s.name))
    for n, s in enumerate(out, 1):
        s.rank = n
    if out and group(out[0]) == 0:
        out[0].top_pick = True
    return out


def _and(items: Collection[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
