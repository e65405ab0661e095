"""No-show protection (LATE): when a visit counts as late, and the words everyone reads about it."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.enums import AppointmentStatus as S

#: Statuses in which the technician has not arrived yet: LATE applies to these and to no others.
AWAITING_ARRIVAL: frozenset[S] = frozenset({S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE})
#: A window started longer ago than this is not checked any more (yesterday's forgotten visits raise nothing).
LOOKBACK = timedelta(hours=12)

#: The portal and tracker banner while a LATE alert is open.
CUSTOMER_BANNER = "We're checking on your technician now. A team member will follow up shortly."


def awaiting_arrival(status: str | S) -> bool:
    """True while the technician has not arrived (scheduled, dispatched or en route)."""
    try:
        return S(status) in AWAITING_ARRIVAL
    except ValueError:
        return False


def is_overdue(status: str | S, window_start: datetime, now: datetime, threshold_min: int) -> bool:
    """The LATE rule: not arrived `threshold_min` minutes after the window start (within the look-back)."""
    return (awaiting_arrival(status) and window_start <= now - timedelta(minutes=threshold_min)
            and window_start > now - LOOKBACK)


def minutes_overdue(window_start: datetime, now: datetime) -> int:
    return max(0, int((now - window_start).total_seconds() // 60))


def scheduled_notice(scheduled_clock: str) -> str:
    """The tracker's LATE banner: 'Your appointment was scheduled for 9:00 AM. We're checking on …'."""
    return f"Your appointment was scheduled for {scheduled_clock}. {CUSTOMER_BANNER}"


def customer_text(scheduled_clock: str, company_name: str, company_phone: str) -> str:
    """The customer's LATE SMS/email: the tracker's banner plus the company's number."""
    call = f" Call {company_name}: {company_phone}" if company_phone else ""
    return f"{scheduled_notice(scheduled_clock)}{call}"


def alert_message(technician_name: str | None, customer_name: str, overdue_min: int) -> str:
    """The dispatcher's alert line: 'LATE: Marcus Reed has not arrived at Ann Lee — 30 min overdue'."""
    who = technician_name or "The technician (unassigned)"
    return f"LATE: {who} has not arrived at {customer_name} — {overdue_min} min overdue"
