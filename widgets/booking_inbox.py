"""The console's booking inbox: live list of online booking requests with details and responses."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.notices import booking_text
from console.store import Store
from models.booking_machine import CONSOLE_LABELS
from services.api_client import ApiClient
from widgets.booking_detail import BookingDetail
from widgets.booking_model import COL_AGE, COL_CUSTOMER, COL_DATES, COL_STATE, BookingModel, IdRole, StateFilter
from widgets.desktop_notify import notify_desktop
from widgets.tasks import TaskSet, next_turn

STYLE = """
QPushButton#primaryAction { background: #0b5fa5; color: white; border: 0; border-radius: 6px; padding: 7px 16px;
                            font-weight: 600; }
QPushButton#primaryAction:disabled { background: #9bb7d3; }
QPushButton#dangerAction { background: #b42318; color: white; border: 0; border-radius: 6px; padding: 7px 16px;
                           font-weight: 600; }
QTableView#bookingTable { selection-background-color: #dbe9f7; selection-color: #1b2430; }
"""


class BookingInbox(QWidget):
    """Requests newest first with a state filter; `countChanged(unread)` for the tab, `notify(title, text)` for a
    desktop notification when a new request arrives. The rows follow the store's booking requests."""

    countChanged = Signal(int)
    notify = Signal(str, str)
    arrived = Signal(object)  # a new request (dict): the window's notice offers "Open inbox"
    loaded = Signal()

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.store = store
        self.model = BookingModel(self)
        self.proxy = StateFilter(self)
        self.proxy.setSourceModel(self.model)
        self.model.unreadChanged.connect(self.countChanged)
        self.notify.connect(notify_desktop)
        self.model.unreadChanged.connect(lambda _n: self._count_text())
        self.title = QLabel("Booking requests")
        self.title.setStyleSheet("font-size: 16px; font-weight: 700;")
        self.filter = QComboBox()
        self.filter.setObjectName("stateFilter")
        self.filter.addItem("All states", "")
        for state, label in CONSOLE_LABELS.items():
            self.filter.addItem(label, state.value)
        self.filter.currentIndexChanged.connect(lambda _i: self.proxy.set_state(self.filter.currentData()))
        self.reload_btn = QPushButton("Refresh")
        self.reload_btn.clicked.connect(self.reload)
        self.status = QLabel()
        self.status.setStyleSheet("color: #5b6776;")
        self.status.setMinimumWidth(0)  # the count gives way in a narrow dock (the tab shows the new ones)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.tasks = TaskSet(self.status.setText)
        self.table = QTableView()
        self.table.setObjectName("bookingTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)  # one line per request; long names elide (full text in the tooltip/details)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(False)
        for col, width in ((COL_STATE, 130), (COL_CUSTOMER, 150), (COL_DATES, 190), (COL_AGE, 100)):
            self.table.setColumnWidth(col, width)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = BookingDetail(api, store)
        self.detail.changed.connect(self._changed)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.status)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter)
        top.addWidget(self.reload_btn)
        self.split = split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([760, 520])
        self.setStyleSheet(STYLE)
        col = QVBoxLayout(self)
        col.addLayout(top)
        col.addWidget(split, 1)
        self.ticker = QTimer(self)
        self.ticker.setInterval(60_000)
        self.ticker.timeout.connect(self.model.tick)
        self.ticker.start()

    def resizeEvent(self, event: Any) -> None:
        """Side by side when there is room; list above details in a narrow dock."""
        super().resizeEvent(event)
        want = Qt.Orientation.Horizontal if self.width() >= 1000 else Qt.Orientation.Vertical
        if self.split.orientation() != want:
            self.split.setOrientation(want)
            self.split.setSizes([3, 2] if want == Qt.Orientation.Horizontal else [1, 1])

    # --- loading ---
    def start(self) -> None:
        self.store.reset.connect(next_turn(self, self._from_store))
        self.store.bookingChanged.connect(self._on_booking)
        if self.store.loaded:
            self._from_store()

    def reload(self) -> None:
        """Refresh: fetch every request again (the store keeps them)."""
        self.tasks.spawn(self.refresh(), "load the booking requests")

    async def refresh(self) -> None:
        self.status.setText("Loading…")
        self.reload_btn.setEnabled(False)
        try:
            self.store.set_bookings(await self.api.booking_requests())
        finally:
            self.reload_btn.setEnabled(True)
        self._from_store()

    def _from_store(self) -> None:
        selected = self.detail.request["id"] if self.detail.request else None
        self.model.set_requests(list(self.store.bookings.values()))
        self._count_text()
        if selected is not None:
            self.select(int(selected))
        self.loaded.emit()

    # --- live changes ---
    def _on_booking(self, r: dict[str, Any], new: bool) -> None:
        """A request arrived or changed (the store fetched it once for every panel)."""
        if new:
            self.notify.emit("New booking request", booking_text(r, self.store.time_zone))
            self.arrived.emit(r)
        self.model.upsert(r, unread=new)
        rid = int(r["id"])
        if self.detail.request and int(self.detail.request["id"]) == rid:
            self._show(rid)

    # --- selection and actions ---
    def select(self, rid: int) -> None:
        row = self.model.row_of(rid)
        if row < 0:
            return
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        if idx.isValid():
            self.table.selectRow(idx.row())
        else:
            self._show(rid)

    def _selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        idx = selected.indexes()
        if idx:
            rid = int(idx[0].data(IdRole))
            self.model.mark_read(rid)
            self._show(rid)

    def _show(self, rid: int) -> None:
        r = self.model.request(rid)
        if r is not None:
            self.detail.show_request(r, age_s=self.model.age_seconds(rid), stale=self.model.is_stale(rid))
            self._room_for_detail()

    def _room_for_detail(self) -> None:
        """In a narrow dock (list above details) a chosen request gets the room: the list keeps ~4 rows."""
        if self.split.orientation() != Qt.Orientation.Vertical:
            return
        total = sum(self.split.sizes())
        rows = self.table.horizontalHeader().height() + 4 * self.table.verticalHeader().defaultSectionSize() + 4
        if total > 0 and self.split.sizes()[1] < total - rows:
            self.split.setSizes([rows, total - rows])

    def _changed(self, r: dict[str, Any]) -> None:
        self.store.upsert_booking(r)

    def _count_text(self) -> None:
        n, unread = self.model.rowCount(), self.model.unread_count()
        self.status.setText(f"{n} requests" + (f" · {unread} new" if unread else ""))

    def unread_count(self) -> int:
        return self.model.unread_count()

    def shutdown(self) -> None:
        self.ticker.stop()
        self.tasks.cancel()
        self.detail.tasks.cancel()
