"""Dispatcher alerts: the order they are listed in (most urgent first)."""

from __future__ import annotations

from models.enums import AlertKind

#: Lower is more urgent; unknown kinds sort last.
SEVERITY: dict[AlertKind, int] = {
    AlertKind.LATE: 0,
    AlertKind.BOOKING_STALE: 1,
    AlertKind.CUSTOMER_NOTE: 2,
    AlertKind.CHANGE_REQUEST: 3,
    AlertKind.ESTIMATE_APPROVED: 4,
}


def severity(kind: str | AlertKind) -> int:
    try:
        return SEVERITY.get(AlertKind(kind), len(SEVERITY))
    except ValueError:
        return len(SEVERITY)
