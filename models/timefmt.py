"""Parsing and formatting times the way customers and dispatchers read them, in the company's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Until the company profile has loaded, and when a company has none set.
DEFAULT_TIME_ZONE = "America/Chicago"


def parse_iso(value: str | datetime) -> datetime:
    """An aware datetime from an API value ('2026-11-22T15:00:00Z', '…+00:00', or a datetime); naive → UTC."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def parse_iso_or_none(value: str | datetime | None) -> datetime | None:
    """`parse_iso`, or None for a missing or unreadable value."""
    if value in (None, ""):
        return None
    try:
        return parse_iso(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz or DEFAULT_TIME_ZONE))


def clock_time(dt: datetime, tz: str) -> str:
    """'9:15 AM' (never zero-padded)."""
    return local(dt, tz).strftime("%I:%M %p").lstrip("0")


def day_time(dt: datetime, tz: str, sep: str = ", ") -> str:
    """'Mon, Nov 23, 9:15 AM' (with `sep` between the day and the time)."""
    s = local(dt, tz)
    return f"{s.strftime('%a, %b')} {s.day}{sep}{clock_time(dt, tz)}"


def long_date(dt: datetime, tz: str) -> str:
    """'Monday, November 23'."""
    s = local(dt, tz)
    return f"{s.strftime('%A, %B')} {s.day}"


def today(now: datetime, tz: str) -> date:
    """The company's calendar day at `now`."""
    return local(now, tz).date()


def clock_range(start: datetime, end: datetime, tz: str) -> str:
    """'9:00 AM – 11:00 AM'."""
    return f"{clock_time(start, tz)} – {clock_time(end, tz)}"


def window_text(start: datetime, end: datetime, tz: str) -> str:
    """'Mon, Nov 23 · 9:00 AM – 11:00 AM'."""
    s = local(start, tz)
    return f"{s.strftime('%a, %b')} {s.day} · {clock_range(start, end, tz)}"


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC-aware start and end of a local calendar day (DST-safe)."""
    z = ZoneInfo(tz or DEFAULT_TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=z)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=z)
    return start, end


def time_range(start: datetime, end: datetime, tz: str) -> str:
    """'2:00–4:00 PM' (one AM/PM when both share it), '11:00 AM–1:00 PM', '6:00 PM–midnight', and the end's
    weekday when it falls on a later day."""
    s, e = local(start, tz), local(end, tz)
    a, b = clock_time(start, tz), clock_time(end, tz)
    if e.time() == time.min and e.date() == s.date() + timedelta(days=1):
        return f"{a}–midnight"
    if e.date() != s.date():
        return f"{a} – {e.strftime('%a')} {b}"
    if a[-2:] == b[-2:]:
        return f"{a[:-3]}–{b}"
    return f"{a}–{b}"
