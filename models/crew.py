"""A technician's live standing from their day's appointments: current job, next job, crew status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from models.timefmt import parse_iso

#: Crew statuses shown on the map and in the reassign list, most engaged first.
CREW_LABELS: dict[str, str] = {
    "in_progress": "Working",
    "arrived": "On site",
    "en_route": "En route",
    "dispatched": "Dispatched",
    "available": "Available",
    "done": "Done for today",
}
STALE_FIX_S = 300.0  # a fix older than five minutes is shown greyed out

_CURRENT = ("in_progress", "arrived", "en_route")
_UPCOMING = ("dispatched", "scheduled")


def _start(a: Mapping[str, Any]) -> datetime:
    return parse_iso(a["window_start"])


def crew_standing(appointments: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """From one technician's appointments (dicts with id, status, window_start): status, current and next job.

    Current: the visit in progress, else on site, else en route. Next job: the visit they are driving to
    (en route), else the earliest dispatched or scheduled one. Status `dispatched` means a confirmed next job
    and nothing under way; `available` an unconfirmed one; `done` nothing left today.
    """
    appts = sorted(appointments, key=_start)
    current = next((a for s in _CURRENT for a in appts if a["status"] == s), None)
    if current is not None and current["status"] == "en_route":
        nxt: Mapping[str, Any] | None = current
    else:
        nxt = next((a for a in appts if a["status"] in _UPCOMING), None)
    if current is not None:
        status = str(current["status"])
    elif nxt is not None and nxt["status"] == "dispatched":
        status = "dispatched"
    elif nxt is not None:
        status = "available"
    else:
        status = "done"
    return {"status": status, "status_label": CREW_LABELS[status], "current": current, "next": nxt}
