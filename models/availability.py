"""Technicians' availability and the booking-conflict rule (pure: no Qt, no HTTP, no database).

- Working hours: at most one shift per weekday, as minutes after local midnight in the company time zone
  (DST-safe: a shift is wall-clock time, so 8:00 AM–5:00 PM stays that on the days clocks change). A tech
  whose hours were never set is always available and has no capacity figure.
- Time off: aware ranges with a reason ("dentist", "vacation").
- `conflicts(...)` lists, for a proposed (technician, window), every reason the booking clashes: another visit
  that still blocks the tech (scheduled … in progress; cancelled, complete and paused visits don't), a window
  outside the shift, a window during time off, and a job needing skills the tech lacks (empty skills: none).
- `DayIndex` indexes a day's visits per technician once, so checking one drop bisects one tech's list.
- `day_load(...)` gives booked minutes and capacity for a tech's day (row headers, week view).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from models.timefmt import DEFAULT_TIME_ZONE, clock_time, local, parse_iso, time_range

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Statuses in which a visit still occupies the technician; cancelled, complete and paused ones don't.
BLOCKING = frozenset({"scheduled", "dispatched", "en_route", "arrived", "in_progress"})
#: Statuses that count as booked time for the day (everything but a cancelled visit).
NOT_BOOKED = frozenset({"cancelled"})
DAY_MIN = 24 * 60


class ConflictKind(StrEnum):
    OVERLAP = "overlap"
    TIME_OFF = "time_off"
    OUTSIDE_HOURS = "outside_hours"
    MISSING_SKILL = "missing_skill"


@dataclass(frozen=True)
class Shift:
    """One day's working hours: minutes after local midnight, 0 ≤ start < end ≤ 1440."""

    start_min: int
    end_min: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_min < self.end_min <= DAY_MIN:
            raise ValueError("a shift must start before it ends, within one day (00:00–24:00)")

    @classmethod
    def parse(cls, start: str, end: str) -> Shift:
        return cls(parse_hhmm(start), parse_hhmm(end))

    def on(self, day: date, tz: str) -> tuple[datetime, datetime]:
        """The shift on a calendar day as aware datetimes (wall-clock, so DST days keep their hours)."""
        return at_minutes(day, self.start_min, tz), at_minutes(day, self.end_min, tz)

    @property
    def minutes(self) -> int:
        return self.end_min - self.start_min


@dataclass(frozen=True)
class WorkingHours:
    """A technician's week: `days[0]` is Monday; None is a day off."""

    days: tuple[Shift | None, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("working hours need exactly seven days, Monday first")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> WorkingHours | None:
        """From `GET /technicians/{id}/hours` (None when the hours are not set)."""
        if not data.get("set"):
            return None
        days: list[Shift | None] = [None] * 7
        for d in data["days"]:
            if d.get("start") is not None:
                days[int(d["weekday"])] = Shift.parse(d["start"], d["end"])
        return cls(tuple(days))

    def shift(self, day: date) -> Shift | None:
        return self.days[day.weekday()]

    def interval(self, day: date, tz: str) -> tuple[datetime, datetime] | None:
        s = self.shift(day)
        return None if s is None else s.on(day, tz)


@dataclass(frozen=True)
class TimeOff:
    starts_at: datetime
    ends_at: datetime
    reason: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        _utc(self, "starts_at", "ends_at")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TimeOff:
        return cls(parse_iso(data["starts_at"]), parse_iso(data["ends_at"]), data.get("reason") or "", data.get("id"))


@dataclass(frozen=True)
class Visit:
    """What the rule needs of an appointment."""

    id: int
    technician_id: int | None
    start: datetime
    end: datetime
    status: str = "scheduled"
    label: str = ""  # the customer's name, as dispatchers know the visit

    def __post_init__(self) -> None:
        _utc(self, "start", "end")

    @classmethod
    def from_api(cls, a: Mapping[str, Any]) -> Visit:
        """From an appointment as the API lists it (`GET /appointments`, events, search)."""
        return cls(int(a["id"]), a.get("technician_id"), parse_iso(a["window_start"]), parse_iso(a["window_end"]),
                   str(a.get("status") or "scheduled"), str(a.get("customer_name") or ""))

    @property
    def blocks(self) -> bool:
        return self.status in BLOCKING


@dataclass(frozen=True)
class Conflict:
    """One reason a booking clashes, with the words a dispatcher reads and the facts behind them."""

    kind: ConflictKind
    message: str
    appointment_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    minutes: int = 0
    reason: str = ""
    skills: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "appointment_id": self.appointment_id,
                "starts_at": self.starts_at, "ends_at": self.ends_at, "minutes": self.minutes,
                "reason": self.reason, "skills": list(self.skills)}


def _utc(obj: object, *names: str) -> None:
    """Hold datetimes in UTC (aware datetimes sharing a zone compare by wall clock, wrong across DST)."""
    for n in names:
        v = getattr(obj, n)
        if v.tzinfo is None:
            raise ValueError(f"{n} needs a time zone")
        if v.tzinfo is not UTC:
            object.__setattr__(obj, n, v.astimezone(UTC))


def day_rules(entry: Mapping[str, Any], day: date, tz: str) -> tuple[WorkingHours | None, list[TimeOff]]:
    """A tech's hours and time off for one day from their `GET /availability?date=` entry (the console's drag
    and drop checks a day it has loaded): None when hours are not set; otherwise only that weekday's shift."""
    offs = [TimeOff.from_api(o) for o in entry.get("time_off") or []]
    if not entry.get("hours_set"):
        return None, offs
    days: list[Shift | None] = [None] * 7
    shift = entry.get("shift")
    if shift:
        start, end = parse_iso(shift["starts_at"]), parse_iso(shift["ends_at"])
        base = datetime.combine(day, time.min)

        def wall(t: datetime) -> int:
            return round((local(t, tz).replace(tzinfo=None) - base).total_seconds() / 60)

        days[day.weekday()] = Shift(wall(start), wall(end))
    return WorkingHours(tuple(days)), offs


# --- time helpers --------------------------------------------------------------------------------------------
def parse_hhmm(value: str) -> int:
    """'08:30' → 510; '24:00' is the end of the day. ValueError names the expected form."""
    try:
        hh, mm = str(value).strip().split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError(f"'{value}' is not a time; use HH:MM such as 08:00") from None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"'{value}' is not a time of day; use 00:00 to 24:00")
    return h * 60 + m


def fmt_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def at_minutes(day: date, minutes: int, tz: str) -> datetime:
    """The aware datetime `minutes` after local midnight of `day` (1440 is the next midnight)."""
    extra, m = divmod(minutes, DAY_MIN)
    naive = datetime.combine(day + timedelta(days=extra), time(m // 60, m % 60))
    # In UTC: Python compares and subtracts datetimes that share a tzinfo by wall clock, wrong across DST.
    return naive.replace(tzinfo=ZoneInfo(tz or DEFAULT_TIME_ZONE)).astimezone(UTC)


def local_days(start: datetime, end: datetime, tz: str) -> list[date]:
    """The local calendar days a window [start, end) touches."""
    first, last = local(start, tz).date(), local(end - timedelta(microseconds=1), tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _minutes(a: datetime, b: datetime) -> float:
    return (b.timestamp() - a.timestamp()) / 60


def _clip(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> tuple[datetime, datetime] | None:
    s, e = max(a0, b0), min(a1, b1)
    return (s, e) if s < e else None


def _subtract(intervals: list[tuple[datetime, datetime]], cuts: Iterable[tuple[datetime, datetime]]
              ) -> list[tuple[datetime, datetime]]:
    out = list(intervals)
    for c0, c1 in cuts:
        nxt: list[tuple[datetime, datetime]] = []
        for s, e in out:
            if c1 <= s or c0 >= e:
                nxt.append((s, e))
                continue
            if s < c0:
                nxt.append((s, c0))
            if c1 < e:
                nxt.append((c1, e))
        out = nxt
    return out


def duration_words(minutes: float) -> str:
    """'45 min', '1 h', '1 h 15 min'."""
    m = max(1, round(minutes))
    h, r = divmod(m, 60)
    if not h:
        return f"{r} min"
    return f"{h} h" + (f" {r} min" if r else "")


def first_name(name: str) -> str:
    return (name or "").split()[0] if (name or "").split() else "The technician"


def possessive(name: str) -> str:
    return f"{name}'s"


# --- the rule -----------------------------------------------------------------------------------------------
def conflicts(
    tech_name: str,
    start: datetime,
    end: datetime,
    visits: Iterable[Visit],
    *,
    tz: str,
    hours: WorkingHours | None = None,
    time_off: Iterable[TimeOff] = (),
    required_skills: Collection[str] = (),
    offered_skills: Collection[str] = (),
    exclude_id: int | None = None,
) -> list[Conflict]:
    """Every clash of booking `tech_name` for [start, end): overlaps, time off, outside hours, missing skills.

    `visits` are that technician's other visits (any superset: those not overlapping are ignored);
    `exclude_id` is the appointment being moved, which never clashes with itself. `hours` None means the
    tech's hours were never set (no hours conflict). Skills compare case-insensitively; no required skills
    means no skill conflict.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValueError("the window must end after it starts")
    who = first_name(tech_name)
    found: list[Conflict] = []
    for v in sorted(visits, key=lambda v: (v.start, v.id)):
        if v.id == exclude_id or not v.blocks:
            continue
        both = _clip(start, end, v.start, v.end)
        if both is None:
            continue
        mins = _minutes(*both)
        found.append(Conflict(
            ConflictKind.OVERLAP, f"Overlaps {v.label or 'another visit'} {time_range(v.start, v.end, tz)} "
            f"by {duration_words(mins)}", appointment_id=v.id, starts_at=v.start, ends_at=v.end,
            minutes=max(1, round(mins))))
    days = local_days(start, end, tz)
    for off in sorted(time_off, key=lambda o: o.starts_at):
        both = _clip(start, end, off.starts_at, off.ends_at)
        if both is None:
            continue
        whole = off.starts_at <= at_minutes(days[0], 0, tz) and off.ends_at >= at_minutes(days[-1], DAY_MIN, tz)
        when = "" if whole else " " + time_range(off.starts_at, off.ends_at, tz)
        found.append(Conflict(
            ConflictKind.TIME_OFF, f"{who} is off{when}" + (f": {off.reason}" if off.reason else ""),
            starts_at=off.starts_at, ends_at=off.ends_at, minutes=max(1, round(_minutes(*both))),
            reason=off.reason))
    if hours is not None:
        outside = _outside_hours(who, start, end, hours, tz, days)
        if outside is not None:
            found.append(outside)
    missing = missing_skills(required_skills, offered_skills)
    if missing:
        found.append(Conflict(ConflictKind.MISSING_SKILL, f"{who} lacks {_and(missing)}", skills=missing))
    return found


def _outside_hours(who: str, start: datetime, end: datetime, hours: WorkingHours, tz: str,
                   days: list[date]) -> Conflict | None:
    shifts = [iv for d in days if (iv := hours.interval(d, tz)) is not None]
    uncovered = _subtract([(start, end)], shifts)
    if not uncovered:
        return None
    mins = max(1, round(sum(_minutes(s, e) for s, e in uncovered)))
    first = hours.interval(days[0], tz)
    if first is None:
        msg = f"{who} doesn't work on {WEEKDAYS[days[0].weekday()]}s"
    elif len(days) > 1 or (start < first[0] and end > first[1]):
        msg = f"Outside {possessive(who)} hours ({time_range(first[0], first[1], tz)})"
    elif start < first[0]:
        msg = f"Outside {possessive(who)} hours (starts {clock_time(first[0], tz)})"
    else:
        msg = f"Outside {possessive(who)} hours (ends {clock_time(first[1], tz)})"
    return Conflict(ConflictKind.OUTSIDE_HOURS, msg, starts_at=first[0] if first else None,
                    ends_at=first[1] if first else None, minutes=mins)


def missing_skills(required: Collection[str], offered: Collection[str]) -> tuple[str, ...]:
    have = {s.strip().lower() for s in offered}
    return tuple(s for s in dict.fromkeys(x.strip() for x in required) if s and s.lower() not in have)


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- capacity -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayLoad:
    visits: int
    booked_minutes: int
    capacity_minutes: int | None  # None: hours not set

    @property
    def text(self) -> str:
        """'6.5 / 8 h', '2 h booked' (hours not set), 'Off · 1 h booked'."""
        booked = _hours(self.booked_minutes)
        if self.capacity_minutes is None:
            return f"{booked} h booked"
        if self.capacity_minutes == 0:
            return "Off" + (f" · {booked} h booked" if self.booked_minutes else "")
        return f"{booked} / {_hours(self.capacity_minutes)} h"

    @property
    def ratio(self) -> float | None:
        if not self.capacity_minutes:
            return None
        return self.booked_minutes / self.capacity_minutes

    def to_dict(self) -> dict[str, Any]:
        return {"visits": self.visits, "booked_minutes": self.booked_minutes,
                "capacity_minutes": self.capacity_minutes, "text": self.text}


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".")


def available_intervals(day: date, hours: WorkingHours | None, time_off: Iterable[TimeOff], tz: str
                        ) -> list[tuple[datetime, datetime]]:
    """When the tech can work that day: the shift (the whole day if hours are not set) minus time off."""
    day_start, day_end = at_minutes(day, 0, tz), at_minutes(day, DAY_MIN, tz)
    base = [(day_start, day_end)] if hours is None else [iv] if (iv := hours.interval(day, tz)) else []
    return _subtract(base, [(o.starts_at, o.ends_at) for o in time_off])


def unavailable_intervals(day: date, hours: WorkingHours | None, time_off: Iterable[TimeOff], tz: str
                          ) -> list[tuple[datetime, datetime]]:
    """The rest of the local day: what the grid shades."""
    day_start, day_end = at_minutes(day, 0, tz), at_minutes(day, DAY_MIN, tz)
    return _subtract([(day_start, day_end)], available_intervals(day, hours, time_off, tz))


def capacity_minutes(day: date, hours: WorkingHours | None, time_off: Iterable[TimeOff], tz: str) -> int | None:
    """Working minutes that day after time off; None when the tech's hours are not set."""
    if hours is None:
        return None
    return round(sum(_minutes(s, e) for s, e in available_intervals(day, hours, time_off, tz)))


def day_load(day: date, visits: Iterable[Visit], hours: WorkingHours | None, time_off: Iterable[TimeOff],
             tz: str) -> DayLoad:
    """Visits starting that day (as the day's grid lists them; cancelled ones aside) and their booked minutes,
    against capacity."""
    day_start, day_end = at_minutes(day, 0, tz), at_minutes(day, DAY_MIN, tz)
    n, booked = 0, 0.0
    for v in visits:
        if v.status in NOT_BOOKED or not day_start <= v.start < day_end:
            continue
        n += 1
        booked += _minutes(v.start, v.end)
    return DayLoad(n, round(booked), capacity_minutes(day, hours, time_off, tz))


# --- the index ----------------------------------------------------------------------------------------------
@dataclass
class _Lane:
    visits: list[Visit] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    longest_s: float = 0.0


class DayIndex:
    """A day's visits indexed per technician once; `candidates()` bisects one tech's sorted list.

    Keep it current with `upsert`/`remove` as appointments change (no rebuild per drop).
    """

    def __init__(self, visits: Iterable[Visit] = ()):
        self._lanes: dict[int, _Lane] = {}
        self._where: dict[int, int] = {}
        for v in sorted(visits, key=lambda v: (v.start, v.id)):
            if v.technician_id is None:
                continue
            lane = self._lanes.setdefault(v.technician_id, _Lane())
            lane.visits.append(v)
            lane.starts.append(v.start.timestamp())
            lane.longest_s = max(lane.longest_s, (v.end - v.start).total_seconds())
            self._where[v.id] = v.technician_id

    def __len__(self) -> int:
        return len(self._where)

    def visits_of(self, tech_id: int) -> list[Visit]:
        lane = self._lanes.get(tech_id)
        return list(lane.visits) if lane else []

    def candidates(self, tech_id: int, start: datetime, end: datetime) -> list[Visit]:
        """That tech's visits that overlap [start, end) (any status)."""
        lane = self._lanes.get(tech_id)
        if lane is None:
            return []
        lo = bisect.bisect_left(lane.starts, start.timestamp() - lane.longest_s)
        hi = bisect.bisect_left(lane.starts, end.timestamp())
        return [v for v in lane.visits[lo:hi] if v.end > start and v.start < end]

    def remove(self, visit_id: int) -> None:
        tech = self._where.pop(visit_id, None)
        if tech is None:
            return
        lane = self._lanes[tech]
        i = next(i for i, v in enumerate(lane.visits) if v.id == visit_id)
        del lane.visits[i]
        del lane.starts[i]

    def upsert(self, visit: Visit) -> None:
        self.remove(visit.id)
        if visit.technician_id is None:
            return
        lane = self._lanes.setdefault(visit.technician_id, _Lane())
        key = visit.start.timestamp()
        i = bisect.bisect_right(lane.starts, key)
        lane.visits.insert(i, visit)
        lane.starts.insert(i, key)
        lane.longest_s = max(lane.longest_s, (visit.end - visit.start).total_seconds())
        self._where[visit.id] = visit.technician_id
