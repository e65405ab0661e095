"""The booking inbox's item model: requests newest first, unread marks, age ("3 h ago") and the 48-hour flag."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from models.booking_machine import CONSOLE_LABELS
from models.enums import BookingState as B
from models.timefmt import parse_iso_or_none

Index = QModelIndex | QPersistentModelIndex
STALE_S = 48 * 3600
COL_STATE, COL_CUSTOMER, COL_SERVICE, COL_DATES, COL_AGE = range(5)
HEADERS = ["State", "Customer", "Service", "Preferred dates", "Received"]
RequestRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2
StateRole = Qt.ItemDataRole.UserRole + 3
UnreadRole = Qt.ItemDataRole.UserRole + 4
StaleRole = Qt.ItemDataRole.UserRole + 5
STATE_COLORS = {"submitted": "#0b5fa5", "under_review": "#7a4bd1", "counter_proposed": "#b54708",
                "confirmed": "#1a7f4b", "declined": "#8a94a3", "cancelled": "#8a94a3"}


def age_text(seconds: float) -> str:
    """'just now', '12 min ago', '3 h ago', '2 d ago'."""
    s = max(0, int(seconds))
    if s < 60:
        return "just now"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 48 * 3600:
        return f"{s // 3600} h ago"
    return f"{s // 86400} d ago"


def short_date(iso: str) -> str:
    """'Mon, Nov 23' for a date ('2026-11-23')."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{d:%a}, {d:%b} {d.day}"


class BookingModel(QAbstractTableModel):
    """One row per request (newest first). Updates insert or change single rows; never a reset per event."""

    unreadChanged = Signal(int)

    def __init__(self, parent: QObject | None = None, monotonic: Any = time.monotonic):
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._seen_at: dict[int, float] = {}  # monotonic time the server's age_seconds was read
        self._unread: set[int] = set()
        self._opened: set[int] = set()  # opened in this console: never unread again
        self._mono = monotonic

    # --- Qt model API ---
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col, rid = index.column(), int(r["id"])
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_STATE:
                state = r["state"]
                return CONSOLE_LABELS[B(state)] if state in B._value2member_map_ else state
            if col == COL_CUSTOMER:
                return r.get("customer_name", "")
            if col == COL_SERVICE:
                return r.get("service_type", "")
            if col == COL_DATES:
                return ", ".join(short_date(d) for d in r.get("preferred_dates") or [])
            if col == COL_AGE:
                return ("⚠ " if self.is_stale(rid) else "") + age_text(self.age_seconds(rid))
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_AGE and self.is_stale(rid):
            return "No response for more than 48 hours — the customer is waiting."
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == COL_STATE:
                return QColor(STATE_COLORS.get(r["state"], "#1b2430"))
            if col == COL_AGE and self.is_stale(rid):
                return QColor("#b42318")
        if role == Qt.ItemDataRole.FontRole and (rid in self._unread or (col == COL_AGE and self.is_stale(rid))):
            f = QFont()
            f.setBold(True)
            return f
        if role == RequestRole:
            return r
        if role == IdRole:
            return rid
        if role == StateRole:
            return r["state"]
        if role == UnreadRole:
            return rid in self._unread
        if role == StaleRole:
            return self.is_stale(rid)
        return None

    # --- data ---
    def set_requests(self, rows: list[dict[str, Any]]) -> None:
        """Load the whole inbox (start-up or reconnect): submitted ones nobody opened here count as unread."""
        self.beginResetModel()
        self._rows = sorted(rows, key=self._key)
        now = self._mono()
        self._seen_at = {int(r["id"]): now for r in rows}
        keep = {int(r["id"]) for r in rows if r["state"] == B.SUBMITTED}
        self._unread = (self._unread & keep) | {i for i in keep if i not in self._opened}
        self.endResetModel()
        self.unreadChanged.emit(len(self._unread))

    @staticmethod
    def _key(r: dict[str, Any]) -> tuple[float, int]:
        """Newest first (then the higher id first)."""
        created = parse_iso_or_none(r.get("created_at"))
        return (-(created.timestamp() if created else 0.0), -int(r["id"]))

    def upsert(self, r: dict[str, Any], *, unread: bool = False) -> int:
        """Insert a new request at its place or update the row in place; returns the row."""
        rid = int(r["id"])
        self._seen_at[rid] = self._mono()
        row = self.row_of(rid)
        if row >= 0:
            self._rows[row] = r
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
        else:
            key = self._key(r)
            row = next((i for i, x in enumerate(self._rows) if self._key(x) > key), len(self._rows))
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, r)
            self.endInsertRows()
        before = len(self._unread)
        if unread and r["state"] == B.SUBMITTED and rid not in self._opened:
            self._unread.add(rid)
        elif r["state"] != B.SUBMITTED:
            self._unread.discard(rid)
        if len(self._unread) != before:
            self.unreadChanged.emit(len(self._unread))
        return row

    def mark_read(self, rid: int) -> None:
        self._opened.add(rid)
        if rid in self._unread:
            self._unread.discard(rid)
            row = self.row_of(rid)
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
            self.unreadChanged.emit(len(self._unread))

    def tick(self) -> None:
        """Ages move on: repaint the age column only."""
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_AGE), self.index(len(self._rows) - 1, COL_AGE))

    def row_of(self, rid: int) -> int:
        return next((i for i, r in enumerate(self._rows) if int(r["id"]) == rid), -1)

    def request(self, rid: int) -> dict[str, Any] | None:
        row = self.row_of(rid)
        return self._rows[row] if row >= 0 else None

    def ids(self) -> list[int]:
        return [int(r["id"]) for r in self._rows]

    def unread_count(self) -> int:
        return len(self._unread)

    def age_seconds(self, rid: int) -> float:
        r = self.request(rid)
        if r is None:
            return 0.0
        return float(r.get("age_seconds") or 0) + (self._mono() - self._seen_at.get(rid, self._mono()))

    def is_stale(self, rid: int) -> bool:
        r = self.request(rid)
        if r is None or r["state"] not in (B.SUBMITTED, B.UNDER_REVIEW) or r.get("responded_at"):
            return False
        return bool(r.get("stale")) or self.age_seconds(rid) >= STALE_S


class StateFilter(QSortFilterProxyModel):
    """Shows only requests in one state ('' for all)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._state = ""

    def set_state(self, state: str) -> None:
        self.beginFilterChange()
        self._state = state
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._state:
            return True
        idx = self.sourceModel().index(source_row, 0, source_parent)
        return idx.data(StateRole) == self._state
