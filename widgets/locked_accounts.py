"""Locked accounts: who cannot sign in right now after wrong passwords, and (for administrators) Unlock."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.row_table import Index, RowTableModel, pick_one_table
from widgets.tasks import TaskSet

ROLE_WORDS = {"admin": "Administrator", "dispatcher": "Dispatcher", "technician": "Technician"}
HEADERS = ["Name", "Email", "Role", "Wrong passwords", "Can try again in", "Last try from"]
ERROR_STYLE = "color: #B42318;"
OK_STYLE = "color: #146C2E;"



def wait_text(seconds: float) -> str:
    """'45 s', '3 min 05 s', '12 min'."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{-(-s // 60)} min"


class LockedModel(RowTableModel):
    """Rows of GET /api/v1/users/locked; the remaining wait counts down from when the list was fetched."""

    HEADERS = HEADERS

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.fetched_at = time.monotonic()

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.fetched_at = time.monotonic()
        super().set_rows(rows)

    def remaining(self, row: int) -> float:
        return float(self.rows[row].get("retry_after_s") or 0) - (time.monotonic() - self.fetched_at)

    def tick(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 4), self.index(len(self.rows) - 1, 4))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return r.get("name", "")
            if col == 1:
                return r.get("email", "")
            if col == 2:
                return ROLE_WORDS.get(r.get("role", ""), r.get("role", ""))
            if col == 3:
                return str(r.get("failed_attempts", ""))
            if col == 4:
                left = self.remaining(index.row())
                return wait_text(left) if left > 0 else "now"
            if col == 5:
                return r.get("last_address") or "unknown"
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Locked until {r.get('locked_until', '')} (UTC)"
        return None

    def user_at(self, row: int) -> dict[str, Any] | None:
        return self.row_at(row)


class LockedAccountsDialog(QDialog):
    """Lists locked accounts (every dispatcher) and unlocks the selected one (administrators)."""

    def __init__(self, api: ApiClient, *, is_admin: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.is_admin = api, is_admin
        self.tasks = TaskSet()
        self.setWindowTitle("Locked accounts")
        self.resize(760, 360)
        root = QVBoxLayout(self)
        intro = QLabel("After a few wrong passwords in a row an account is locked for a short while, and each "
                       "further wrong password doubles the wait. Locks end by themselves."
                       + (" You can let someone back in now with Unlock." if is_admin else
                          " An administrator can unlock an account sooner."))
        intro.setWordWrap(True)
        root.addWidget(intro)
        self.model = LockedModel(self)
        self.table = pick_one_table(self.model, stretch=1)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        root.addWidget(self.table, 1)
        self.empty = QLabel("No account is locked. Everyone can sign in.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #5b6776; padding: 16px;")
        root.addWidget(self.empty)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        row = QHBoxLayout()
        self.refresh_btn = QPushButton("&Refresh")
        self.refresh_btn.clicked.connect(self.refresh)
        row.addWidget(self.refresh_btn)
        row.addStretch(1)
        self.unlock_btn = QPushButton("&Unlock")
        self.unlock_btn.setToolTip("Let the selected person sign in again now" if is_admin else
                                   "Only administrators can unlock accounts")
        self.unlock_btn.clicked.connect(self.unlock_selected)
        row.addWidget(self.unlock_btn)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row.addWidget(buttons)
        root.addLayout(row)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._show_list()

    # --- state -----------------------------------------------------------------------------------------
    def _show_list(self) -> None:
        has = bool(self.model.rows)
        self.table.setVisible(has)
        self.empty.setVisible(not has)
        self._enable()

    def _enable(self, busy: bool = False) -> None:
        self.refresh_btn.setEnabled(not busy)
        self.unlock_btn.setEnabled(self.is_admin and not busy and self.selected() is not None)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.user_at(rows[0].row()) if rows else None

    def _say(self, text: str, style: str = "") -> None:
        self.status.setStyleSheet(style)
        self.status.setText(text)

    def _tick(self) -> None:
        self.model.tick()
        expired = any(self.model.remaining(i) <= -1 for i in range(len(self.model.rows)))
        if expired and not self.tasks.busy:
            self.refresh()  # a lock ran out: the list shrinks by itself

    # --- network (always off the UI thread's critical path) -----------------------------------------------
    def refresh(self) -> None:
        self.tasks.spawn(self.load())

    async def load(self) -> None:
        self._enable(busy=True)
        try:
            rows = await self.api.locked_accounts()
        except ApiError as exc:
            self._say(f"Couldn't load locked accounts: {exc.message}", ERROR_STYLE)
            self._enable()
            return
        keep = (self.selected() or {}).get("id")
        self.model.set_rows(rows)
        for i, r in enumerate(rows):
            if r.get("id") == keep:
                self.table.selectRow(i)
        self._show_list()

    def unlock_selected(self) -> None:
        user = self.selected()
        if user is not None and self.is_admin:
            self.tasks.spawn(self.unlock(user))

    async def unlock(self, user: dict[str, Any]) -> None:
        self._enable(busy=True)
        name = user.get("name") or user.get("email") or "The account"
        try:
            await self.api.unlock_account(int(user["id"]))
        except ApiError as exc:
            self._say(f"Couldn't unlock {name}: {exc.message}", ERROR_STYLE)
            self._enable()
            return
        self._say(f"{name} can sign in again now.", OK_STYLE)
        await self.load()

    def done(self, result: int) -> None:
        self.timer.stop()
        self.tasks.cancel()
        super().done(result)


def open_dialog(api: ApiClient, *, is_admin: bool, parent: QWidget | None = None) -> LockedAccountsDialog:
    """Open the dialog (non-modal) and start loading the list."""
    dlg = LockedAccountsDialog(api, is_admin=is_admin, parent=parent)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    dlg.refresh()
    return dlg
