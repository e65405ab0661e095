"""What a drag on the schedule will change: the sideways snap rule and the words on the drop ghost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen

from models.availability import BLOCKING, first_name, possessive
from models.timefmt import time_range

#: Below this many pixels of horizontal movement a drag onto another technician keeps the start time; the
#: wobble of a hand moving a block up or down must not reschedule it.
MIN_SIDEWAYS_PX = 24.0
#: … or this share of an hour's width, whichever is larger (at 1920 px wide about 50 px, ~22 min).
SIDEWAYS_HOURS = 0.375
#: Moving within the same technician, a few pixels are enough: the drag can only mean a new time.
SAME_LANE_PX = 6.0


def keeps_time(dx: float, pph: float, lane_changed: bool) -> bool:
    """True when a drag that moved `dx` pixels sideways should keep the appointment's start time."""
    limit = max(MIN_SIDEWAYS_PX, pph * SIDEWAYS_HOURS) if lane_changed else SAME_LANE_PX
    return abs(dx) < limit


def ghost_text(*, from_name: str, to_name: str, old_start: float, new_start: float, duration_s: float,
               tz: str) -> str:
    """Exactly what the drop will do, e.g. "Reassign to Elena Torres · keeps 9:00–11:00 AM",
    "Reschedule 9:00–11:00 AM → 10:30 AM–12:30 PM", "Move to Elena Torres · 9:00–11:00 AM → 1:00–3:00 PM"."""
    def window(ts: float) -> str:
        return time_range(datetime.fromtimestamp(ts, UTC), datetime.fromtimestamp(ts + duration_s, UTC), tz)

    lane_changed = from_name != to_name
    time_changed = abs(new_start - old_start) >= 1
    if not lane_changed and not time_changed:
        return "No change — drop to leave it where it was"
    who = ("Unassign" if to_name == "Unassigned" else f"Reassign to {to_name}") if lane_changed else ""
    if lane_changed and not time_changed:
        return f"{who} · keeps {window(old_start)}"
    if not lane_changed:
        return f"Reschedule {window(old_start)} → {window(new_start)}"
    verb = "Unassign" if to_name == "Unassigned" else f"Move to {to_name}"
    return f"{verb} · {window(old_start)} → {window(new_start)}"


def drop_warnings(*, others: Iterable[Any], start: float, end: float, unavailable: Iterable[tuple[float, float, str]],
                  tech_name: str) -> list[str]:
    """What the drop would clash with, as far as this console already knows (the server checks on the drop):
    the row's other visits that still occupy the technician, and the technician's off-hours and time off."""
    out = [f"overlaps {a.data.get('customer_name') or 'a visit'}" for a in others
           if a.status in BLOCKING and a.start < end and start < a.end]
    reasons = list(dict.fromkeys(r or "outside hours" for s, e, r in unavailable if s < end and start < e))
    out += [f"{first_name(tech_name)} is off: {r}" if r != "outside hours" else
            f"outside {possessive(first_name(tech_name))} hours" for r in reasons]
    return out


def paint_label(p: QPainter, ghost: QRectF, text: str, palette: QPalette, font: QFont, top_limit: float) -> QRectF:
    """Draw the ghost's words in a pill above the ghost (below it when there is no room), never clipped by the
    ghost's own width. Returns the pill's rectangle."""
    fm = QFontMetrics(font)
    w, h = fm.horizontalAdvance(text) + 18, fm.height() + 8
    y = ghost.top() - h - 3
    if y < top_limit:
        y = ghost.bottom() + 3
    pill = QRectF(ghost.left(), y, w, h)
    warn = "⚠" in text  # a conflict the drop will ask about: amber, as the conflict strip
    hl = QColor("#E69F00") if warn else palette.color(QPalette.ColorRole.Highlight)
    p.save()
    p.setPen(QPen(hl, 1))
    p.setBrush(hl)
    p.drawRoundedRect(pill, 5, 5)
    p.setPen(QColor("#1F2933") if warn else QColor(palette.color(QPalette.ColorRole.HighlightedText)))
    p.setFont(font)
    p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    p.restore()
    return pill
