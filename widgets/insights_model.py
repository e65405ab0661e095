"""The Insights panel's data side: date-range presets, number formats, and the table model behind every chart."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from models.insights import METRICS

Index = QModelIndex | QPersistentModelIndex

#: (key, label) of the date-range presets, in menu order.
PRESETS: list[tuple[str, str]] = [("today", "Today"), ("week", "This week"), ("7", "Last 7 days"),
                                  ("30", "Last 30 days"), ("custom", "Custom range")]
#: Ranges up to this many days are drawn per day, longer ones per week.
DAILY_UP_TO = 45


def preset_range(key: str, today: date) -> tuple[date, date]:
    """The first and last local day of a preset ('custom' keeps today)."""
    if key == "week":
        return today - timedelta(days=today.weekday()), today
    if key in ("7", "30"):
        return today - timedelta(days=int(key) - 1), today
    return today, today


def group_for(first: date, last: date) -> str:
    return "day" if (last - first).days + 1 <= DAILY_UP_TO else "week"


def fmt_pct(v: Any) -> str:
    return "—" if v is None else f"{v:.1f} %"


def fmt_min(v: Any) -> str:
    """35 min · 2 h 50 min · 1 d 10 h (for waits of days)."""
    if v is None:
        return "—"
    m = int(round(float(v)))
    if m < 60:
        return f"{m} min"
    if m < 48 * 60:
        h, rest = divmod(m, 60)
        return f"{h} h {rest} min" if rest else f"{h} h"
    d, rest = divmod(m, 24 * 60)
    return f"{d} d {rest // 60} h" if rest // 60 else f"{d} d"


def fmt_score(v: Any) -> str:
    return "—" if v is None else f"{v:.2f} ★"


def fmt_int(v: Any) -> str:
    return "—" if v is None else f"{int(v):,}"


FORMATS = {"text": lambda v: "" if v is None else str(v), "int": fmt_int, "pct": fmt_pct, "min": fmt_min,
           "score": fmt_score}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "int"  # text | int | pct | min | score

    @property
    def tip(self) -> str:
        m = METRICS.get(self.key)
        return m.explain if m else ""


def cols(*spec: tuple[str, str, str] | tuple[str, str]) -> list[Column]:
    return [Column(*s) for s in spec]


ON_TIME_BY_DAY = cols(("label", "Day", "text"), ("visits", "Visits"), ("scored", "Scored"), ("on_time", "On time"),
                      ("on_time_pct", "On time %", "pct"), ("on_time_15", "On time +15"),
                      ("on_time_15_pct", "On time +15 %", "pct"), ("never_arrived", "Never arrived"),
                      ("cancelled", "Cancelled"))
BY_TECHNICIAN = cols(("label", "Technician", "text"), ("visits", "Visits"), ("scored", "Scored"),
                     ("on_time_pct", "On time %", "pct"), ("on_time_15_pct", "On time +15 %", "pct"),
                     ("late_alerts", "LATE alerts"), ("late_overdue_avg_min", "Avg. overdue", "min"),
                     ("completed", "Completed"), ("paused", "Paused"), ("drive_avg_min", "Avg. drive", "min"),
                     ("on_site_avg_min", "Avg. on site", "min"), ("backup_pct", "Backup statusing %", "pct"),
                     ("stars_avg", "Survey", "score"))
LATE_BY_GROUP = cols(("label", "Period", "text"), ("late_alerts", "LATE alerts"), ("late_arrived", "Tech arrived"),
                     ("late_reassigned", "Reassigned"), ("late_rescheduled", "Rescheduled"),
                     ("late_cancelled", "Cancelled"), ("late_acknowledged", "Acknowledged only"),
                     ("late_open", "Still open"), ("late_overdue_avg_min", "Avg. overdue", "min"))
RESPONSE_BINS = cols(("bucket", "First response after", "text"), ("requests", "Requests"))
ON_SITE_BY_SERVICE = cols(("service_type", "Service", "text"), ("visits", "Visits"), ("avg_min", "Average", "min"),
                          ("median_min", "Median", "min"), ("p90_min", "90th percentile", "min"))
BACKUP_BY_TECHNICIAN = cols(("label", "Technician", "text"), ("status_changes", "Field-app changes"),
                            ("backup_changes", "Made by dispatch"), ("backup_pct", "Backup statusing %", "pct"))


class FigureTable(QAbstractTableModel):
    """Rows of figures (dicts) under named columns: formatted for people, raw values under UserRole."""

    def __init__(self, columns: list[Column], parent: Any = None):
        super().__init__(parent)
        self.columns = columns
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        """Show a new result (a whole new query answer, not an update)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        col, value = self.columns[index.column()], self.rows[index.row()].get(self.columns[index.column()].key)
        if role == Qt.ItemDataRole.DisplayRole:
            return FORMATS[col.kind](value)
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            left = Qt.AlignmentFlag.AlignLeft if col.kind == "text" else Qt.AlignmentFlag.AlignRight
            return int(left | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip or None
        return None

    def csv_text(self) -> str:
        """The table as CSV: the column titles, then raw numbers (percentages and minutes with one decimal)."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow([c.title for c in self.columns])
        for row in self.rows:
            w.writerow(["" if row.get(c.key) is None else row.get(c.key) for c in self.columns])
        return out.getvalue()
