"""Technicians: the team as the live store knows it — add a technician, edit their details and field-app
sign-in, take them off the team or bring them back. Changes from other consoles appear as they happen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.phones import display
from services.api_client import ApiClient, ApiError
from widgets.row_table import Index, RowTableModel, pick_one_table
from widgets.tasks import TaskSet
from widgets.technician_form import TechnicianForm

if TYPE_CHECKING:
    from console.store import Store

HEADERS = ["Name", "Mobile phone", "Email", "Field app", "Vehicle", "Status"]
ERROR_STYLE = "color: #B42318;"
OK_STYLE = "color: #146C2E;"


def vehicle_text(t: dict[str, Any]) -> str:
    """'White 2021 Ford F-150' (what is known of it)."""
    parts = [t.get("vehicle_color") or "", str(t.get("vehicle_year") or ""), t.get("vehicle_make") or "",
             t.get("vehicle_model") or ""]
    return " ".join(p for p in parts if p)


class TechniciansModel(RowTableModel):
    """One row per technician: active first, then by name."""

    HEADERS = HEADERS
    #: Whose phone numbers are shown in national form (the company's country).
    country = "US"

    @staticmethod
    def _key(t: dict[str, Any]) -> tuple[bool, str]:
        return not t.get("active", True), str(t.get("name", "")).lower()

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        super().set_rows(sorted(rows, key=self._key))

    def upsert(self, tech: dict[str, Any]) -> None:
        """A technician added or changed (keeps the order; a new one or a change of name/status re-sorts)."""
        for i, r in enumerate(self.rows):
            if r["id"] == tech["id"]:
                if self._key(r) == self._key(tech):
                    self.rows[i] = tech
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(HEADERS) - 1))
                    return
                break
        self.set_rows([r for r in self.rows if r["id"] != tech["id"]] + [tech])

    def row_of(self, tech_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r["id"] == tech_id), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        t, col = self.rows[index.row()], index.column()
        active = t.get("active", True)
        if role == Qt.ItemDataRole.DisplayRole:
            return [t.get("name", ""), display(t.get("phone") or "", self.country) or "—", t.get("email") or "—",
                    "Can sign in" if t.get("can_sign_in") else "No sign-in",
                    vehicle_text(t) or "—", "Active" if active else "Off the team"][col]
        if role == Qt.ItemDataRole.ForegroundRole and not active:
            return QColor("#8A94A3")
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and not t.get("can_sign_in"):
            return "Edit… and give them an email and a password to let them use the field app"
        return None


class TechniciansDialog(QDialog):
    """The team list with Add, Edit and Take off the team / Bring back; Working hours… and Pair phone… open the
    console's own dialogs for the selected technician."""

    hoursRequested = Signal(int)
    pairPhoneRequested = Signal(int)

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.store = api, store
        self.tasks = TaskSet(lambda text: self._say(text, ERROR_STYLE))
        self.form: TechnicianForm | None = None
        self.confirm: QMessageBox | None = None
        self.setWindowTitle("Technicians")
        self.resize(900, 460)
        root = QVBoxLayout(self)
        intro = QLabel("Everyone who can be booked. A technician with an email and a field-app password signs in "
                       "on their phone at /field to see their jobs; Pair phone… signs a phone in with a QR code "
                       "instead.", wordWrap=True)
        root.addWidget(intro)
        self.model = TechniciansModel(self)
        self.model.country = str(store.company.get("country") or "US")
        self.table = pick_one_table(self.model, stretch=2)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.table.doubleClicked.connect(lambda *_: self.edit_selected())
        root.addWidget(self.table, 1)
        self.empty = QLabel("No technicians yet. Add your team with Add technician…", wordWrap=True)
        self.empty.setStyleSheet("color: palette(placeholder-text); padding: 16px;")
        root.addWidget(self.empty)
        self.status = QLabel("", wordWrap=True)
        root.addWidget(self.status)
        row = QHBoxLayout()
        self.add_btn = QPushButton("&Add technician…")
        self.add_btn.clicked.connect(self.add)
        self.edit_btn = QPushButton("&Edit…")
        self.edit_btn.clicked.connect(self.edit_selected)
        self.active_btn = QPushButton("&Take off the team…")
        self.active_btn.clicked.connect(self.toggle_active)
        self.hours_btn = QPushButton("Working &hours…")
        self.hours_btn.setToolTip("Their working week and time off")
        self.hours_btn.clicked.connect(lambda: self._for_selected(self.hoursRequested))
        self.pair_btn = QPushButton("&Pair phone…")
        self.pair_btn.setToolTip("Sign their phone in to the field app with a QR code; Traccar Client; devices")
        self.pair_btn.clicked.connect(lambda: self._for_selected(self.pairPhoneRequested))
        for b in (self.add_btn, self.edit_btn, self.active_btn, self.hours_btn, self.pair_btn):
            row.addWidget(b)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row.addWidget(close)
        root.addLayout(row)
        self.model.set_rows(list(store.technicians.values()))
        store.technicianChanged.connect(self._on_changed)
        store.reset.connect(self._on_reset)  # a full load (start-up, reconnect, Refresh)
        self._show_list()

    # --- state -----------------------------------------------------------------------------------------
    def _show_list(self) -> None:
        has = bool(self.model.rows)
        self.table.setVisible(has)
        self.empty.setVisible(not has)
        self._enable()

    def _enable(self, busy: bool = False) -> None:
        t = self.selected()
        self.edit_btn.setEnabled(t is not None and not busy)
        self.active_btn.setEnabled(t is not None and not busy)
        self.hours_btn.setEnabled(t is not None)
        self.pair_btn.setEnabled(t is not None and t.get("active", True))
        self.active_btn.setText("&Take off the team…" if t is None or t.get("active", True) else "&Bring back")

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _for_selected(self, signal: Any) -> None:
        t = self.selected()
        if t is not None:
            signal.emit(int(t["id"]))

    def select(self, tech_id: int) -> None:
        row = self.model.row_of(tech_id)
        if row is not None:
            self.table.selectRow(row)

    def _say(self, text: str, style: str = "") -> None:
        self.status.setStyleSheet(style)
        self.status.setText(text)

    def _on_reset(self) -> None:
        keep = (self.selected() or {}).get("id")
        self.model.set_rows(list(self.store.technicians.values()))
        if keep is not None:
            self.select(int(keep))
        self._show_list()

    def _on_changed(self, tech: dict[str, Any]) -> None:
        keep = (self.selected() or {}).get("id")
        self.model.upsert(tech)
        if keep is not None:
            self.select(int(keep))
        self._show_list()

    # --- actions ---------------------------------------------------------------------------------------
    def add(self) -> None:
        self._open_form(None)

    def edit_selected(self) -> None:
        t = self.selected()
        if t is not None:
            self._open_form(t)

    def _open_form(self, tech: dict[str, Any] | None) -> None:
        self.form = TechnicianForm(self.api, tech, self)
        self.form.saved.connect(self._saved)
        self.form.open()

    def _saved(self, tech: dict[str, Any]) -> None:
        self.store.upsert_technician(tech)  # at once; the server's event brings the same to every console
        self.select(int(tech["id"]))
        self._say(f"Saved {tech['name']}.", OK_STYLE)

    def toggle_active(self) -> None:
        t = self.selected()
        if t is None:
            return
        if not t.get("active", True):
            self.tasks.spawn(self.set_active(t, True), "bring the technician back")
            return
        self.confirm = QMessageBox(QMessageBox.Icon.Question, "Take off the team",
                                   f"Take {t['name']} off the team?", parent=self)
        self.confirm.setInformativeText(
            "They are signed out of the field app at once and can't sign in, and new days' boards leave them "
            "out. Visits already booked with them stay where they are — reassign those on the board. "
            "You can bring them back later.")
        ok = self.confirm.addButton("Take off the team", QMessageBox.ButtonRole.AcceptRole)
        self.confirm.addButton(QMessageBox.StandardButton.Cancel)
        ok.clicked.connect(lambda: self.tasks.spawn(self.set_active(t, False), "take the technician off the team"))
        self.confirm.open()

    async def set_active(self, tech: dict[str, Any], active: bool) -> None:
        self._enable(busy=True)
        try:
            saved = await self.api.update_technician(int(tech["id"]), active=active)
        except ApiError as exc:
            self._say(f"Couldn't change {tech['name']}: {exc.message}", ERROR_STYLE)
            self._enable()
            return
        self._saved(saved)
        self._say(f"{saved['name']} is back on the team." if active else
                  f"{saved['name']} is off the team and signed out.", OK_STYLE)
        self._enable()

    def done(self, result: int) -> None:
        self.tasks.cancel()
        super().done(result)


def open_dialog(api: ApiClient, store: Store, parent: QWidget | None = None) -> TechniciansDialog:
    """Open the dialog (non-modal)."""
    dlg = TechniciansDialog(api, store, parent)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg
