"""Formatting times the way customers and dispatchers read them, in the company's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def clock_time(dt: datetime, tz: str) -> str:
    """'9:15 AM'."""
    return local(dt, tz).strftime("%I:%M %p").lstrip("0")


def window_text(start: datetime, end: datetime, tz: str) -> str:
    """'Mon, Nov 23 · 9:00 AM – 11:00 AM'."""
    s = local(start, tz)
    return f"{s.strftime('%a, %b')} {s.day} · {clock_time(start, tz)} – {clock_time(end, tz)}"


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC-aware start and end of a local calendar day (DST-safe)."""
    z = ZoneInfo(tz)
    start = datetime.combine(day, time.min, tzinfo=z)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=z)
    return start, end
