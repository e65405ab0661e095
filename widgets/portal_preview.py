"""Portal preview panel: exactly what a customer sees (read-only), in Qt WebEngine, at phone or desktop width."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

if TYPE_CHECKING:
    from console.store import Store

log = logging.getLogger(__name__)
PHONE_WIDTH = 390
CUSTOMER_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class PortalPreview(QWidget):
    """Pick a customer (search) or follow the appointment selected in the grid; the page is read-only."""

    countChanged = Signal(int)
    previewOpened = Signal(str)  # the path the preview landed on (after redirects)

    def __init__(self, api: ApiClient, store: Store | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.store = store
        self.target: dict[str, int] = {}
        self._pending: int | None = None  # grid selection made while the panel was hidden
        self.setObjectName("portalPreview")
        self._build()
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._search)

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Search customers by name, phone, email or address…")
        self.search.setClearButtonEnabled(True)
        self.search.textEdited.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._search)
        top.addWidget(self.search, 1)
        self.follow = QCheckBox("Follow selected appointment")
        self.follow.setChecked(True)
        self.follow.setToolTip("Show the customer's view of whichever appointment you select in the schedule")
        top.addWidget(self.follow)
        self.width_group = QButtonGroup(self)
        self.phone_btn = QToolButton(text="Phone", checkable=True, checked=True)
        self.desktop_btn = QToolButton(text="Desktop", checkable=True)
        for b in (self.phone_btn, self.desktop_btn):
            self.width_group.addButton(b)
            top.addWidget(b)
        self.width_group.buttonToggled.connect(lambda *_: self._apply_width())
        self.reload_btn = QPushButton("Reload")
        self.reload_btn.setToolTip("Reload the page (F5)")
        self.reload_btn.setShortcut("F5")
        self.reload_btn.clicked.connect(self.reload)
        top.addWidget(self.reload_btn)
        root.addLayout(top)

        self.results_model = QStandardItemModel(self)
        self.results = QListView()
        self.results.setModel(self.results_model)
        self.results.setMaximumHeight(150)
        self.results.setUniformItemSizes(True)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.results.activated.connect(self._pick)
        self.results.clicked.connect(self._pick)
        self.results.hide()
        root.addWidget(self.results)

        self.status = QLabel("Pick a customer or select an appointment to see exactly what the customer sees.")
        self.status.setObjectName("previewStatus")
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        self.tasks = TaskSet(self.status.setText)

        self.stage = QWidget()
        self.stage.setObjectName("previewStage")
        self.stage.setStyleSheet("#previewStage { background: #e9edf2; }")
        self.stage_lay = QHBoxLayout(self.stage)
        self.stage_lay.setContentsMargins(12, 12, 12, 12)
        self.stage_lay.addStretch(1)
        self.stage_lay.addStretch(1)
        root.addWidget(self.stage, 1)
        # The web view is made for the first preview: a console that never previews never starts a Qt WebEngine
        # page for it, and start-up doesn't wait for one.
        self._view: Any = None

    @property
    def view(self) -> Any:
        """The QWebEngineView (made on first use)."""
        if self._view is None:
            self._view = self._make_view()
            self.stage_lay.insertWidget(1, self._view)
            self._apply_width()
        return self._view

    def _make_view(self) -> QWidget:
        from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
        from PySide6.QtWebEngineWidgets import QWebEngineView

        view = QWebEngineView()
        # A private, in-memory profile: preview cookies never mix with anything else and vanish on close.
        self.profile = QWebEngineProfile()
        page = QWebEnginePage(self.profile, view)
        self.profile.setParent(page)  # the page goes first, then its profile (never a profile with live pages)
        view.setPage(page)
        view.loadFinished.connect(self._loaded)
        view.setMinimumHeight(300)
        return view

    def _apply_width(self) -> None:
        if self._view is None:
            return  # applied when the view is made
        if self.phone_btn.isChecked():
            self.view.setFixedWidth(PHONE_WIDTH)
        else:
            self.view.setMinimumWidth(0)
            self.view.setMaximumWidth(16777215)
            self.view.setSizePolicy(self.view.sizePolicy().Policy.Expanding, self.view.sizePolicy().Policy.Expanding)

    # --- customer search ------------------------------------------------------------------------------
    def _search(self) -> None:
        q = self.search.text().strip()
        if len(q) < 2:
            self.results_model.clear()
            self.results.hide()
            return
        self.tasks.spawn(self._do_search(q), "search customers")

    async def _do_search(self, q: str) -> None:
        try:
            rows = await self.api.customers(q=q, limit=20)
        except ApiError as exc:
            self.status.setText(f"Couldn't search customers: {exc}")
            return
        if q != self.search.text().strip():
            return  # a newer search is on its way
        self.results_model.clear()
        for c in rows:
            item = QStandardItem(f"{c['name']} — {c.get('phone') or c.get('email') or ''} · {c.get('address', '')}")
            item.setData(c["id"], CUSTOMER_ID_ROLE)
            self.results_model.appendRow(item)
        if not rows:
            self.results_model.appendRow(QStandardItem(f"No customer matches “{q}”."))
        self.results.show()

    @Slot(QModelIndex)
    def _pick(self, index: QModelIndex) -> None:
        cid = index.data(CUSTOMER_ID_ROLE)
        if cid is None:
            return
        self.results.hide()
        self.show_customer(int(cid))

    # --- what to preview ------------------------------------------------------------------------------
    @Slot(int)
    def show_customer(self, customer_id: int) -> None:
        self.target = {"customer_id": customer_id}
        self._open()

    @Slot(int)
    def show_appointment(self, appt_id: int) -> None:
        """The grid's selection changed: follow it when "Follow selected appointment" is on."""
        if not self.follow.isChecked():
            return
        if self.isVisible():
            self.open_appointment(appt_id)
        else:  # the panel is tabbed away: open it when the dispatcher looks (no preview session meanwhile)
            self._pending = appt_id

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        pending, self._pending = self._pending, None
        if pending is not None:
            self.open_appointment(pending)

    def open_appointment(self, appt_id: int) -> None:
        """Show what this appointment's customer sees (their schedule, visit summary or live tracker)."""
        self._pending = None
        self.target = {"appointment_id": appt_id}
        self._open()

    def _open(self) -> None:
        self.tasks.spawn(self._open_async(dict(self.target)), "open the preview")

    async def _open_async(self, target: dict[str, int]) -> None:
        self.reload_btn.setEnabled(False)
        self.status.setText("Opening the customer's view…")
        try:
            out = await self.api.portal_preview(**target)
        except ApiError as exc:
            self.status.setText(f"Couldn't open the preview: {exc}")
            return
        finally:
            self.reload_btn.setEnabled(True)
        if target != self.target:
            return  # the selection moved on
        what = (f"appointment #{target['appointment_id']}" if "appointment_id" in target
                else f"customer #{target['customer_id']}")
        self.status.setText(f"Read-only preview of {what} — exactly what the customer sees. "
                            "Forms are disabled; nothing is sent to the customer.")
        self.view.setUrl(QUrl(out["url"]))

    def reload(self) -> None:
        if not self.target:
            return
        if self._view is None or self.view.url().isEmpty():
            self._open()
        else:
            self.view.reload()

    def _loaded(self, ok: bool) -> None:
        if not ok:
            self.status.setText("The page didn't load. Check the connection to the server and press Reload.")
            return
        path = self.view.url().path()
        if "/portal/preview/" in path or path == "/portal":
            # The single-use link was spent (e.g. after a restart): open a fresh one.
            return
        self.previewOpened.emit(path)

    # --- live changes ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self.store is not None:
            self.store.appointmentChanged.connect(self._on_appointment)

    def _on_appointment(self, appt: dict[str, Any]) -> None:
        """Follow the previewed appointment live: a status change may move it between portal and tracker.
        (A customer's schedule page refreshes its live status by itself every 30 s.)"""
        if appt.get("id") == self.target.get("appointment_id"):
            self._open()

    def shutdown(self) -> None:
        self._search_timer.stop()
        self.tasks.cancel()
