"""The appointment card's words: status buttons, the questions it asks, history and changes as sentences."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QInputDialog, QWidget

from models.enums import AppointmentStatus as S
from models.timefmt import clock_time, local, parse_iso
from widgets.reason_dialog import ask_reason
from widgets.status_colors import label_for

#: Button text (with mnemonic) and shortcut for each target status.
STATUS_ACTIONS: dict[str, tuple[str, str]] = {
    "scheduled": ("Back to Sc&heduled", "Alt+H"),
    "dispatched": ("&Dispatched", "Alt+D"),
    "en_route": ("En &Route", "Alt+R"),
    "arrived": ("&Arrived", "Alt+A"),
    "in_progress": ("&In Progress", "Alt+I"),
    "paused": ("&Pause…", "Alt+P"),
    "complete": ("&Complete", "Alt+C"),
    "cancelled": ("Cancel visit…", "Alt+X"),
}
FINAL = (S.COMPLETE, S.CANCELLED)
SOURCES = {"field_app": "in the field app", "console": "in the console", "geofence": "by GPS (geofence)",
           "watchdog": "by the watchdog"}


class Prompts:
    """The questions the card asks; tests replace these with scripted answers."""

    def __init__(self, parent: QWidget):
        self.parent = parent

    def reason(self, current: str, target: str) -> str | None:
        return ask_reason(self.parent, "Reason for the correction",
                          f"Moving back from {label_for(current)} to {label_for(target)} is a correction. "
                          "Say why (kept in the audit):")

    def customer_message(self) -> str | None:
        text, ok = QInputDialog.getMultiLineText(
            self.parent, "Pause — message to the customer",
            "The customer sees this message in their schedule (e.g. 'Part ordered; we'll call to book the "
            "follow-up.'):")
        return text.strip() if ok and text.strip() else None

    def cancel_reason(self, who: str) -> str | None:
        """Why the visit is cancelled (kept in the history and the audit); None: not cancelled."""
        text, ok = QInputDialog.getText(self.parent, "Cancel this visit?", f"Cancel the visit for {who}? The "
                                        "customer's tracker link expires; this cannot be undone.\nReason:")
        return text.strip() if ok and text.strip() else None


def history_sentence(h: dict[str, Any], tz: str) -> str:
    """One status change in words: '9:05 AM — Marcus Reed (technician) moved it from Dispatched to En Route…'."""
    when = parse_iso(h["created_at"])
    day = local(when, tz)
    stamp = f"{day.strftime('%b')} {day.day}, {clock_time(when, tz)}"
    actor = h.get("actor") or "system"
    name = h.get("actor_name") or ("The system" if actor == "system" else actor.title())
    who = name if actor == "system" else f"{name} ({actor})"
    frm = label_for(h["from_status"]) if h.get("from_status") else None
    to = label_for(h["to_status"])
    verb = f"moved it from {frm} to {to}" if frm else f"set it to {to}"
    src = SOURCES.get(h.get("source", ""), "")
    text = f"{stamp} — {who} {verb}{' ' + src if src else ''}."
    if h.get("reason"):
        text += f" Reason: “{h['reason']}”."
    if h.get("customer_message"):
        text += f" Told the customer: “{h['customer_message']}”."
    return text


def describe_changes(before: dict[str, Any], after: dict[str, Any], tz: str) -> list[str]:
    """What someone else changed between two versions, in words."""
    out: list[str] = []
    if before.get("status") != after.get("status"):
        out.append(f"status {label_for(before.get('status', ''))} → {label_for(after.get('status', ''))}")
    if before.get("technician_id") != after.get("technician_id"):
        out.append(f"technician {before.get('technician_name') or 'Unassigned'} → "
                   f"{after.get('technician_name') or 'Unassigned'}")
    if (before.get("window_start"), before.get("window_end")) != (after.get("window_start"), after.get("window_end")):
        def w(d: dict[str, Any]) -> str:
            return f"{clock_time(parse_iso(d['window_start']), tz)}–{clock_time(parse_iso(d['window_end']), tz)}"
        out.append(f"window {w(before)} → {w(after)}")
    return out or ["details"]


def time_on_site(entry: dict[str, Any] | None, tz: str, status: str = "scheduled") -> str:
    """The arrival clock-in in words: "On site since 9:12 AM (34 min)" or "9:12 AM – 10:40 AM (1 h 28 min)"."""
    if not entry:
        if status in (S.ARRIVED, S.IN_PROGRESS, S.PAUSED, S.COMPLETE):
            return "No arrival clock-in was recorded for this visit."
        return "Not on site yet."
    minutes = int(entry.get("minutes_on_site") or 0)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    start = clock_time(parse_iso(entry["started_at"]), tz)
    if entry.get("ended_at"):
        return f"{start} – {clock_time(parse_iso(entry['ended_at']), tz)} ({span})"
    return f"On site since {start} ({span} so far)"
