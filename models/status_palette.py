"""Status colours (Okabe–Ito, colour-blind safe) and glyphs: one palette for the console and the field app."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from models.enums import AppointmentStatus as S
from models.status_machine import CONSOLE_LABELS


@dataclass(frozen=True)
class StatusStyle:
    """How a status looks: fill, border and text colour and a glyph (with its label, never colour alone)."""

    fill: str
    border: str
    text: str
    glyph: str
    dashed: bool = False
    struck: bool = False


# Okabe–Ito hues, lightened for fills so dark text stays readable (WCAG AA on every fill).
LIGHT: dict[S, StatusStyle] = {
    S.SCHEDULED: StatusStyle("#EEF1F5", "#8792A2", "#1F2933", "○", dashed=True),
    S.DISPATCHED: StatusStyle("#D6ECFA", "#56B4E9", "#0B3550", "◐"),
    S.EN_ROUTE: StatusStyle("#FCE7BF", "#E69F00", "#4A3300", "➜"),
    S.ARRIVED: StatusStyle("#C8EDE0", "#009E73", "#00382A", "◉"),
    S.IN_PROGRESS: StatusStyle("#0072B2", "#005A8C", "#FFFFFF", "▶"),
    S.PAUSED: StatusStyle("#F4DCEA", "#CC79A7", "#4D1F38", "‖"),
    S.COMPLETE: StatusStyle("#E3E5E8", "#9AA1AA", "#3E4650", "✓"),
    S.CANCELLED: StatusStyle("#FFFFFF", "#B8BEC6", "#7A828C", "✕", dashed=True, struck=True),
}

DARK: dict[S, StatusStyle] = {
    S.SCHEDULED: StatusStyle("#2C3440", "#8792A2", "#E4E8EE", "○", dashed=True),
    S.DISPATCHED: StatusStyle("#173D57", "#56B4E9", "#E3F3FD", "◐"),
    S.EN_ROUTE: StatusStyle("#4D3A10", "#E69F00", "#FFF1D6", "➜"),
    S.ARRIVED: StatusStyle("#0F4536", "#009E73", "#DDF7EE", "◉"),
    S.IN_PROGRESS: StatusStyle("#0072B2", "#56B4E9", "#FFFFFF", "▶"),
    S.PAUSED: StatusStyle("#4A2A3C", "#CC79A7", "#FBE6F1", "‖"),
    S.COMPLETE: StatusStyle("#30353C", "#6E7681", "#B8C0CA", "✓"),
    S.CANCELLED: StatusStyle("#24282E", "#5A626C", "#8A929C", "✕", dashed=True, struck=True),
}

#: Crew statuses on the map (`models.crew.CREW_LABELS`), and greyed-out markers without a recent fix.
CREW_COLORS: dict[str, str] = {
    "in_progress": LIGHT[S.IN_PROGRESS].fill, "arrived": LIGHT[S.ARRIVED].border, "en_route": LIGHT[S.EN_ROUTE].border,
    "dispatched": LIGHT[S.DISPATCHED].border, "available": "#5B6573", "done": LIGHT[S.COMPLETE].border,
    "stale": "#C3C8CE",
}
#: Job-site rings on the map, by appointment status.
SITE_COLORS: dict[str, str] = {s.value: (LIGHT[s].fill if s == S.IN_PROGRESS else LIGHT[s].border)
                               for s in (S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.PAUSED)}

LATE_COLOR = "#D55E00"  # vermillion: distinct from every status hue for protan/deutan/tritan viewers
NOW_LINE_COLOR = "#D55E00"


def palette_for_web(dark: bool = False) -> dict[str, dict[str, Any]]:
    """Every status's colours, glyph and console label, keyed by the canonical status (for web pages)."""
    table = DARK if dark else LIGHT
    return {s.value: {**asdict(st), "label": CONSOLE_LABELS[s]} for s, st in table.items()}
