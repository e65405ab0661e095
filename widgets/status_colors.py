"""Status colours, glyphs and short labels for schedule blocks (the palette itself: models/status_palette.py)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from models.enums import AppointmentStatus as S
from models.status_machine import CONSOLE_LABELS
from models.status_palette import CREW_COLORS, DARK, LATE_COLOR, LIGHT, NOW_LINE_COLOR, SITE_COLORS, StatusStyle

__all__ = [
    "CREW_COLORS", "DARK", "LATE_COLOR", "LIGHT", "NOW_LINE_COLOR", "SITE_COLORS", "StatusStyle",
    "label_for", "qcolor", "style_for",
]


def style_for(status: str, dark: bool = False) -> StatusStyle:
    table = DARK if dark else LIGHT
    try:
        return table[S(status)]
    except ValueError:
        return table[S.SCHEDULED]


def label_for(status: str) -> str:
    try:
        return CONSOLE_LABELS[S(status)]
    except ValueError:
        return status


def qcolor(hex_code: str) -> QColor:
    return QColor(hex_code)
