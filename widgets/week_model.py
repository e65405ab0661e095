"""The week's load as a table model: rows Unassigned + technicians, columns the seven days, each cell one day's load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
UNASSIGNED = "Unassigned"


@dataclass(frozen=True)
class Cell:
    """One technician's day: visits, booked and capacity minutes (None: hours not set), the load in words."""

    day: date
    visits: int
    booked_minutes: int
    capacity_minutes: int | None
    text: str

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Cell:
        cap = d.get("capacity_minutes")
        return cls(date.fromisoformat(str(d["date"])[:10]), int(d.get("visits") or 0),
                   int(d.get("booked_minutes") or 0), None if cap is None else int(cap), str(d.get("text") or ""))

    @property
    def off(self) -> bool:
        return self.capacity_minutes == 0 and self.visits == 0

    @property
    def share(self) -> float | None:
        """Booked ÷ capacity (may exceed 1: overbooked); None without a capacity."""
        if not self.capacity_minutes:
            return None
        return self.booked_minutes / self.capacity_minutes

    def words(self) -> str:
        n = f"{self.visits} visit{'s' if self.visits != 1 else ''}"
        return f"{n} · {self.text}" if self.text else n


@dataclass(frozen=True)
class Row:
    tech_id: int | None
    name: str
    cells: tuple[Cell, ...]


class WeekModel(QAbstractTableModel):
    """Filled from `GET /schedule/week`; `CellRole` gives the Cell, `TechIdRole` the row's technician (None:
    Unassigned), `DayRole` the column's date."""

    CellRole = Qt.ItemDataRole.UserRole + 1
    TechIdRole = Qt.ItemDataRole.UserRole + 2
    DayRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.days: list[date] = []
        self.rows: list[Row] = []
        self.time_zone = ""

    def set_week(self, data: dict[str, Any]) -> None:
        """Replace the week (a new week or a refresh)."""
        self.beginResetModel()
        self.days = [date.fromisoformat(str(d)[:10]) for d in data.get("days") or []]
        self.time_zone = str(data.get("time_zone") or "")
        rows = [Row(None, UNASSIGNED, tuple(Cell.from_api(c) for c in data.get("unassigned") or []))]
        rows += [Row(int(t["id"]), str(t["name"]), tuple(Cell.from_api(c) for c in t.get("days") or []))
                 for t in data.get("technicians") or []]
        self.rows = rows
        self.endResetModel()

    def cell(self, row: int, col: int) -> Cell | None:
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row].cells):
            return self.rows[row].cells[col]
        return None

    def totals(self) -> tuple[int, int]:
        """Visits and booked minutes over the whole week (every row)."""
        return (sum(c.visits for r in self.rows for c in r.cells),
                sum(c.booked_minutes for r in self.rows for c in r.cells))

    # --- QAbstractTableModel -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.days)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.days):
                d = self.days[section]
                return f"{d:%a} {d.month}/{d.day}"  # "Mon 11/30": fits a column at 1280 px
            return None
        return self.rows[section].name if 0 <= section < len(self.rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        cell = self.cell(index.row(), index.column())
        if cell is None:
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.words()
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{row.name}, {cell.day:%A, %B} {cell.day.day}: {cell.words()}. Click to open the day."
        if role == self.CellRole:
            return cell
        if role == self.TechIdRole:
            return row.tech_id
        if role == self.DayRole:
            return cell.day
        return None
