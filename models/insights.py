"""Insights: what every figure on the Insights panel means, written once (docs/insights.md explains them).

Pure definitions — constants, enums, labels and small time helpers. The backend turns them into SQL
(services/backend/insights_query.py); the console reads the labels and explanations from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.enums import AppointmentStatus as S
from models.status_machine import ORDER

# --- grouping and range -----------------------------------------------------------------------------------


class GroupBy(StrEnum):
    DAY = "day"
    WEEK = "week"
    TECHNICIAN = "technician"


#: The longest range one request may cover (a year and a bit, so "same month last year" fits).
MAX_RANGE_DAYS = 400

# --- visits: arrival, on time, drive time ------------------------------------------------------------------

#: Statuses that record the technician reaching the site: the geofence or "Arrived", or "Start" straight away.
#: A visit's arrival time is the first status change into one of these.
ON_SITE: tuple[S, ...] = (S.ARRIVED, S.IN_PROGRESS)
#: Statuses in which the technician has not reached the site yet.
NOT_ARRIVED: tuple[S, ...] = (S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE)
#: On time "with grace": arrived no later than the window end plus this.
GRACE = timedelta(minutes=15)

# --- backup statusing ---------------------------------------------------------------------------------------

#: The statuses a technician sets from the field app (confirm, On My Way, arrived, Start, Pause, Complete).
#: A forward change into one of these made by a dispatcher is "backup statusing"; automatic changes
#: (geofence) count for neither side, cancellations and backward corrections are the dispatcher's own work.
FIELD_STATUSES: tuple[S, ...] = (S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.PAUSED, S.COMPLETE)
#: Forward order of statuses (a change is forward when the target's rank is higher).
STATUS_RANK: dict[str, int] = {s.value: r for s, r in ORDER.items()}

# --- LATE alerts ------------------------------------------------------------------------------------------


class LateCause(StrEnum):
    """How a LATE alert ended: the first of these that happened while it was open."""

    ARRIVED = "arrived"            # the technician reached the site (arrived, started, paused or completed)
    REASSIGNED = "reassigned"      # a dispatcher gave the visit to another technician (or unassigned it)
    RESCHEDULED = "rescheduled"    # a dispatcher moved the visit's window
    CANCELLED = "cancelled"        # the visit was cancelled
    ACKNOWLEDGED = "acknowledged"  # a dispatcher closed the alert by hand, without any of the above


#: What the panel calls each ending, in the order the stacked bars are drawn; "open" = not ended yet.
LATE_CAUSE_LABELS: dict[str, str] = {
    LateCause.ARRIVED: "Tech arrived",
    LateCause.REASSIGNED: "Reassigned",
    LateCause.RESCHEDULED: "Rescheduled",
    LateCause.CANCELLED: "Cancelled",
    LateCause.ACKNOWLEDGED: "Acknowledged only",
    "open": "Still open",
}


def late_cause_for_status(status: str) -> LateCause:
    """The ending a status change gives an open LATE alert (`cancelled` → cancelled, anything else → arrived)."""
    return LateCause.CANCELLED if status == S.CANCELLED else LateCause.ARRIVED


# --- booking requests ----------------------------------------------------------------------------------------

#: Response-time histogram bins in minutes: (lower bound inclusive, upper bound exclusive or None, label).
RESPONSE_BINS: tuple[tuple[int, int | None, str], ...] = (
    (0, 60, "Under 1 h"),
    (60, 240, "1–4 h"),
    (240, 480, "4–8 h"),
    (480, 1440, "8–24 h"),
    (1440, 2880, "24–48 h"),
    (2880, None, "Over 48 h"),
)
UNANSWERED_BIN = "Waiting"

# --- surveys ------------------------------------------------------------------------------------------------

#: Net Promoter Score on the 0–10 survey: promoters 9–10, detractors 0–6; NPS = % promoters − % detractors.
NPS_PROMOTER_MIN = 9
NPS_DETRACTOR_MAX = 6

# --- percentiles ----------------------------------------------------------------------------------------------


def nearest_rank(count: int, percent: int) -> int:
    """The 1-based rank of the `percent`-th percentile of `count` sorted values (nearest-rank method).

    The median of 4 values is the 2nd, of 5 the 3rd; p90 of 10 values is the 9th. SQL computes the same
    rank as `(count * percent + 99) / 100` in integer arithmetic.
    """
    return max(1, (count * percent + 99) // 100)


# --- explanations (the panel's tooltips and docs/insights.md say the same) -----------------------------------


@dataclass(frozen=True)
class Metric:
    label: str
    explain: str


METRICS: dict[str, Metric] = {
    "on_time_pct": Metric(
        "On time", "Visits the technician reached no later than the end of the arrival window, out of visits "
        "scored. A visit is scored once it has an arrival, or once its window ended more than 15 min ago "
        "without one (it counts as not on time). Cancelled visits and visits closed without an arrival time "
        "are not scored. A visit reassigned while LATE is not on time for the technician it was taken from."),
    "on_time_15_pct": Metric(
        "On time +15 min", "Like on time, but arriving up to 15 minutes after the window end still counts."),
    "late_alerts": Metric(
        "LATE alerts", "Visits not reached 30 minutes after their window start (one alert per visit), counted on "
        "the day of the window they were late for, for the technician who had the visit then."),
    "late_overdue_avg_min": Metric(
        "Minutes overdue", "From the window start to when the wait ended: the technician (or a replacement) "
        "arrived, the visit was rescheduled or cancelled, or a dispatcher closed the alert. Open alerts are left "
        "out."),
    "late_causes": Metric(
        "How LATE alerts ended", "The first of: tech arrived, reassigned, rescheduled, cancelled, or acknowledged "
        "only (a dispatcher closed it without reassigning or rescheduling). Still open: not ended yet."),
    "booking_median_min": Metric(
        "Booking response", "From the customer's submission to the first contractor response (accept, "
        "counter-proposal or decline); median and 90th percentile of answered requests, by submission day."),
    "bookings_within_reminder_pct": Metric(
        "Answered within 48 h", "Requests answered before the 48-hour reminder, out of requests that were "
        "answered or reached 48 hours without an answer. Requests the customer cancelled within 48 hours and "
        "requests younger than 48 hours without an answer are left out."),
    "completed": Metric(
        "Completed / paused", "Visits whose status is now Complete, and visits Paused for a follow-up visit."),
    "on_site_avg_min": Metric(
        "Time on site", "From the arrival clock-in to completion (or pause), for visits clocked out."),
    "drive_avg_min": Metric(
        "Drive time", "From the last On My Way (en route) to arrival, for visits that have both in that order "
        "(a start the dispatcher corrected back does not count)."),
    "backup_pct": Metric(
        "Backup statusing", "Status changes a technician would make in the field app (confirm, On My Way, "
        "arrived, start, pause, complete) that a dispatcher made instead, out of all such changes by people. "
        "A high share means technicians need coaching on the app."),
    "stars_avg": Metric(
        "Survey score", "Average customer rating of the 5-star survey; the 0–10 survey gives the Net Promoter "
        "Score (% promoters 9–10 minus % detractors 0–6)."),
}

# --- calendar buckets in the company's time zone ----------------------------------------------------------------

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the SQL bucket key of a local day)."""
    return (day - EPOCH).days


def day_of(number: int) -> date:
    return EPOCH + timedelta(days=number)


def week_number(day: date) -> int:
    """Monday-based week key: weeks since the Monday 1969-12-29 (1970-01-01 was a Thursday)."""
    return (day_number(day) + 3) // 7


def week_start(number: int) -> date:
    return day_of(number * 7 - 3)


def utc_offsets(tz: str, start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """The company time zone's UTC offset (seconds) as steps over [start, end]: [(None, first offset),
    (change instant, new offset), …]. SQL adds the step's offset to a UTC time to find its local day."""
    z = ZoneInfo(tz)
    start, end = start.astimezone(UTC), end.astimezone(UTC)

    def off(t: datetime) -> int:
        delta = t.astimezone(z).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    steps: list[tuple[datetime | None, int]] = [(None, off(start))]
    t = start
    while t < end:
        nxt = min(t + timedelta(hours=12), end)
        if off(nxt) != steps[-1][1]:
            lo, hi = t, nxt  # the change happens in (lo, hi]: narrow it down to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if off(mid) == steps[-1][1] else (lo, mid)
            hi = hi.replace(microsecond=0)
            steps.append((hi, off(hi)))
        t = nxt
    return steps


def local_range(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """UTC instants of the start of `first` and the end of `last` (inclusive local days)."""
    from models.timefmt import day_bounds

    return day_bounds(first, tz)[0], day_bounds(last, tz)[1]


def group_label(group_by: GroupBy, key: int) -> tuple[str, str]:
    """(key text, label) of a day or week bucket: ('2026-11-03', 'Tue, Nov 3') / ('2026-11-02', 'Week of Nov 2')."""
    if group_by == GroupBy.WEEK:
        d = week_start(key)
        return d.isoformat(), f"Week of {d.strftime('%b')} {d.day}"
    d = day_of(key)
    return d.isoformat(), f"{d.strftime('%a, %b')} {d.day}"


def round1(x: float) -> float:
    """One decimal, halves up (38.75 → 38.8, 73.25 → 73.3), after dropping float noise below a microunit
    (durations come from timestamps as floats: 38.7499999996 is 38.75)."""
    return float(Decimal(repr(round(x, 6))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def pct(part: float, whole: float) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    return round1(100.0 * part / whole) if whole else None


def avg(total: float, count: float) -> float | None:
    return round1(total / count) if count else None
