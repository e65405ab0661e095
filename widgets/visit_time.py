"""The date, arrival time and duration fields of a visit, as the New appointment and follow-up dialogs show them."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import QComboBox, QDateEdit, QTimeEdit

from models.availability import duration_words

DURATIONS = (30, 60, 90, 120, 180, 240, 360, 480)  # minutes offered; a visit's own length is added when different


def visit_time_fields(local_start: datetime, minutes: int) -> tuple[QDateEdit, QTimeEdit, QComboBox]:
    """A date picker, an arrival time and a duration list set to `local_start` (company time) and `minutes`."""
    day = QDateEdit(QDate(local_start.year, local_start.month, local_start.day), calendarPopup=True)
    day.setDisplayFormat("ddd, MMM d, yyyy")
    start = QTimeEdit(QTime(local_start.hour, local_start.minute))
    start.setDisplayFormat("h:mm AP")
    duration = QComboBox()
    for m in sorted(set(DURATIONS) | {minutes}):
        duration.addItem(duration_words(m), m)
    duration.setCurrentIndex(duration.findData(minutes))
    return day, start, duration
