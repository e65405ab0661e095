"""Unassigned work of the grid's day in a dock: sortable by priority, window and age; drag a row onto a technician's
row of the grid to assign it (the grid shows where it will land)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import clock_range, parse_iso_or_none
from services.api_client import ApiClient
from widgets.tasks import next_turn

if TYPE_CHECKING:
    from console.store import Store

Index = QModelIndex | QPersistentModelIndex
MIME = "application/x-dispatch-appointment"
COLUMNS = ["Priority", "Customer — service", "Window", "Waiting"]
PRIORITY_WORDS = {0: "Urgent", 1: "Soon", 2: "Normal"}
SORTS = {"Priority": 0, "Window": 2, "Age": 3}


def priority(appt: dict[str, Any], now: datetime) -> int:
    """How soon it needs a technician: 0 urgent (LATE, or its window has begun), 1 soon (starts within 2 h),
    2 normal."""
    start = parse_iso_or_none(appt.get("window_start"))
    if appt.get("late") or (start is not None and start <= now):
        return 0
    if start is not None and (start - now).total_seconds() <= 2 * 3600:
        return 1
    return 2


def waiting_text(seconds: float) -> str:
    m = max(0, int(seconds // 60))
    if m < 60:
        return f"{m} min"
    if m < 48 * 60:
        return f"{m // 60} h {m % 60:02d} min"
    return f"{m // 1440} days"


class UnassignedModel(QAbstractTableModel):
    """The grid day's Unassigned lane as rows; `SortRole` gives each column's sort key."""

    SortRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.rows: list[dict[str, Any]] = []

    def refresh(self) -> None:
        lanes = self.store.model.lanes
        ids = lanes[0].ids if lanes and lanes[0].tech_id is None else []
        rows = [self.store.model.appts[i].data for i in ids
                if self.store.model.appts[i].status not in ("cancelled", "complete")]
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        mime = QMimeData()
        if indexes:
            mime.setData(MIME, QByteArray(str(self.rows[indexes[0].row()]["id"]).encode()))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        a, col = self.rows[index.row()], index.column()
        now = self.store.server_now()
        start, end = parse_iso_or_none(a.get("window_start")), parse_iso_or_none(a.get("window_end"))
        created = parse_iso_or_none(a.get("created_at"))
        if role == self.IdRole:
            return int(a["id"])
        if role == self.SortRole:
            return [(priority(a, now), start.timestamp() if start else 0.0),
                    str(a.get("customer_name") or "").lower(),
                    start.timestamp() if start else 0.0,
                    created.timestamp() if created else now.timestamp()][col]  # longest waiting first
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return ("⚠ " if a.get("late") else "") + PRIORITY_WORDS[priority(a, now)]
            if col == 1:
                return f"{a.get('customer_name')} — {a.get('service_type')}"
            if col == 2:
                return clock_range(start, end, self.store.time_zone) if start and end else ""
            return waiting_text((now - created).total_seconds()) if created else "—"
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{a.get('customer_name')} — {a.get('service_type')}\n{a.get('address') or ''}\n"
                    "Drag onto a technician's row of the schedule to assign; double-click to open.")
        return None


class UnassignedDock(QWidget):
    """The Unassigned list; `appointmentSelected` / `appointmentActivated` drive the grid and the card."""

    countChanged = Signal(int)
    appointmentSelected = Signal(int)
    appointmentActivated = Signal(int)

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.store = api, store
        self.model = UnassignedModel(store, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(UnassignedModel.SortRole)
        self.sort = QComboBox()
        self.sort.addItems(list(SORTS))
        self.sort.setToolTip("Sort the unassigned work")
        self.count = QLabel(objectName="Muted")
        top = QHBoxLayout()
        top.addWidget(self.count, 1)
        top.addWidget(QLabel("Sort by"))
        top.addWidget(self.sort)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setAccessibleName("Unassigned work")
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        self.sort.currentTextChanged.connect(self._sort)
        self.table.clicked.connect(lambda ix: self.appointmentSelected.emit(int(ix.data(UnassignedModel.IdRole))))
        self.table.activated.connect(lambda ix: self.appointmentActivated.emit(int(ix.data(UnassignedModel.IdRole))))
        self.timer = QTimer(self, singleShot=True, interval=150)  # a burst of changes: one refresh
        self.timer.timeout.connect(self.refresh)
        self.ticker = QTimer(self, interval=60_000)  # priorities and waiting times move on
        self.ticker.timeout.connect(self.refresh)

    def start(self) -> None:
        self.store.reset.connect(next_turn(self, self.refresh))
        m = self.store.model
        for sig in (m.rowsInserted, m.rowsRemoved, m.rowsMoved, m.dataChanged):
            sig.connect(lambda *_: self.timer.start())
        self.ticker.start()
        self.refresh()

    def refresh(self) -> None:
        self.model.refresh()
        self._sort(self.sort.currentText())
        n = self.model.rowCount()
        day = self.store.model.day
        self.count.setText(f"{n} unassigned on {day:%a, %b} {day.day}" if n else
                           f"Nothing unassigned on {day:%a, %b} {day.day}.")
        self.countChanged.emit(n)

    def _sort(self, name: str) -> None:
        col = SORTS.get(name, 0)
        self.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)

    def shutdown(self) -> None:
        self.timer.stop()
        self.ticker.stop()


def dropped_id(mime: QMimeData) -> int | None:
    if not mime.hasFormat(MIME):
        return None
    try:
        return int(bytes(mime.data(MIME).data()).decode())
    except ValueError:
        return None
