"""Pair phone…: the field app's one-time QR code, a Traccar Client device id (QR and text), the tech's devices.

A phone has to reach the backend: when it cannot (the embedded backend answers on this computer only, or the
public address is not one a phone can open) the dialog says what is needed instead of showing a QR code that
cannot work.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import parse_iso, parse_iso_or_none
from services.api_client import ApiClient, ApiError
from widgets.alert_model import age_text
from widgets.row_table import pick_one_table
from widgets.tasks import TaskSet

QR_PX = 280
REFRESH_MS = 10_000
DEVICE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ["Device", "Paired", "Last fix", "Battery", "State"]


def qr_pixmap(text: str, px: int = QR_PX) -> QPixmap:
    """A QR code (segno, error correction M) scaled to about `px` pixels, dark on white with a quiet zone."""
    import segno

    code = segno.make(text, error="m")
    modules = code.symbol_size(scale=1, border=4)[0]
    buf = io.BytesIO()
    code.save(buf, kind="png", scale=max(3, round(px / modules)), border=4, dark="#111827", light="#FFFFFF")
    pix = QPixmap()
    pix.loadFromData(buf.getvalue(), "PNG")
    return pix


def device_row(d: dict[str, Any], now: datetime) -> list[str]:
    """One device in words: 'Chrome on Android', 'Nov 30, 9:12 AM', '3 min ago · Traccar Client', '64 %', 'Active'."""
    name = d.get("label") or d.get("kind_label") or "Device"
    if d.get("kind") == "traccar" and d.get("hint"):
        name += f" (id …{d['hint']})"
    created = parse_iso(d["created_at"]).astimezone()
    paired = f"{created.strftime('%b')} {created.day}, {created.strftime('%I:%M %p').lstrip('0')}"
    fix_at = parse_iso_or_none(d.get("last_fix_at"))
    fix = "no fix yet" if fix_at is None else age_text((now - fix_at).total_seconds())
    if fix_at is not None and d.get("last_fix_source_label"):
        fix += f" · {d['last_fix_source_label']}"
    batt = "" if d.get("battery_pct") is None else f"{round(d['battery_pct'])} %" + (" ⚡" if d.get("charging") else "")
    state = f"Revoked by {d.get('revoked_by') or 'someone'}" if d.get("revoked") else "Active"
    return [f"{d.get('kind_label', '')}: {name}", paired, fix, batt, state]


class PairPhoneDialog(QDialog):
    """Opened for one technician; every network call goes through the injected ApiClient on a TaskSet."""

    def __init__(self, api: ApiClient, technician_id: int, technician_name: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.tech_id, self.tech_name = api, technician_id, technician_name or f"#{technician_id}"
        self.tasks = TaskSet()
        self.access: dict[str, Any] | None = None
        self.devices: list[dict[str, Any]] = []
        self.link: dict[str, Any] | None = None
        self.traccar: dict[str, Any] | None = None
        self.confirm = self._confirm  # tests replace this
        self.setWindowTitle(f"Pair phone — {self.tech_name}")
        self.setObjectName("PairPhoneDialog")
        self.resize(820, 760)
        self._build()
        self._enable(False)  # until the server says whether phones can reach it
        self.tick = QTimer(self, interval=1000)
        self.tick.timeout.connect(self._countdown)
        self.refresher = QTimer(self, interval=REFRESH_MS)
        self.refresher.timeout.connect(self.refresh_devices)
        self.tasks.spawn(self.load())

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        self.access_label = QLabel("Checking whether phones can reach this server…", wordWrap=True,
                                   objectName="PairAccess")
        self.access_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.access_label)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._field_tab(), "Field app")
        self.tabs.addTab(self._traccar_tab(), "Traccar Client (background GPS)")
        root.addWidget(self.tabs, 1)
        box = QGroupBox(f"{self.tech_name}'s devices")
        bl = QVBoxLayout(box)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.table = pick_one_table(self.model, stretch=0, fit_others=False)
        self.table.setMinimumHeight(150)
        self.table.selectionModel().selectionChanged.connect(self._selection)
        bl.addWidget(self.table)
        row = QHBoxLayout()
        self.devices_note = QLabel("", wordWrap=True)
        self.revoke_btn = QPushButton("Revoke selected…")
        self.revoke_btn.setEnabled(False)
        self.revoke_btn.setToolTip("Stop this device at once: a phone is signed out, a Traccar Client id refused")
        self.revoke_btn.clicked.connect(self.revoke_selected)
        row.addWidget(self.devices_note, 1)
        row.addWidget(self.revoke_btn)
        bl.addLayout(row)
        root.addWidget(box)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        foot = QHBoxLayout()
        foot.addStretch(1)
        foot.addWidget(close)
        root.addLayout(foot)

    def _field_tab(self) -> QWidget:
        w = QWidget()
        outer = QHBoxLayout(w)
        self.field_qr = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, objectName="PairQr", wordWrap=True)
        self.field_qr.setFixedSize(QR_PX + 24, QR_PX + 24)
        outer.addWidget(self.field_qr, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout()
        outer.addLayout(lay, 1)
        self.field_help = QLabel(
            f"Scan this code with {self.tech_name.split()[0]}'s phone camera: it opens Dispatch Field and signs "
            "the phone in — no password. The code works once, for 10 minutes.", wordWrap=True)
        lay.addWidget(self.field_help)
        self.link_edit = QLineEdit(readOnly=True, placeholderText="The pairing link appears here")
        lay.addWidget(self.link_edit)
        self.expiry = QLabel("")
        lay.addWidget(self.expiry)
        row = QHBoxLayout()
        self.copy_link_btn = QPushButton("Copy link")
        self.copy_link_btn.clicked.connect(lambda: self._copy(self.link_edit.text(), "Pairing link"))
        self.new_code_btn = QPushButton("Show pairing code")
        self.new_code_btn.setDefault(True)
        self.new_code_btn.clicked.connect(self.new_code)
        row.addStretch(1)
        row.addWidget(self.copy_link_btn)
        row.addWidget(self.new_code_btn)
        lay.addLayout(row)
        lay.addStretch(1)
        return w

    def _traccar_tab(self) -> QWidget:
        w = QWidget()
        top = QVBoxLayout(w)
        top.addWidget(QLabel(
            "Browsers stop sending GPS when the phone's screen locks. Traccar Client (free, Android and iPhone) "
            "keeps tracking in the background:<ol><li>Install <b>Traccar Client</b> from the app store.</li>"
            "<li>Create a device id here. In Traccar Client open <b>Settings</b>, tap the QR code icon (top right) "
            "and scan the code: it sets the server URL, the device identifier and the recommended settings.</li>"
            "<li>Turn on <b>Continuous tracking</b>, allow location <i>all the time</i> and turn off battery "
            "optimization for the app.</li></ol>",
            wordWrap=True, textFormat=Qt.TextFormat.RichText))
        outer = QHBoxLayout()
        top.addLayout(outer, 1)
        self.traccar_qr = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, objectName="TraccarQr", wordWrap=True)
        self.traccar_qr.setFixedSize(QR_PX + 24, QR_PX + 24)
        outer.addWidget(self.traccar_qr, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout()
        outer.addLayout(lay, 1)
        self.server_edit = QLineEdit(readOnly=True, placeholderText="Server URL")
        self.device_edit = QLineEdit(readOnly=True, placeholderText="Device identifier")
        for label, edit in (("Server URL", self.server_edit), ("Device identifier", self.device_edit)):
            lay.addWidget(QLabel(f"<b>{label}</b>"))
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            btn = QPushButton("Copy")
            btn.setAccessibleName(f"Copy {label.lower()}")
            btn.clicked.connect(lambda _=False, e=edit, n=label: self._copy(e.text(), n))
            row.addWidget(btn)
            lay.addLayout(row)
        self.traccar_note = QLabel("", wordWrap=True)
        lay.addWidget(self.traccar_note)
        self.add_device_btn = QPushButton("Create a Traccar Client device id")
        self.add_device_btn.clicked.connect(self.add_traccar)
        lay.addWidget(self.add_device_btn, 0, Qt.AlignmentFlag.AlignRight)
        lay.addStretch(1)
        return w

    # --- data ---------------------------------------------------------------------------------------
    async def load(self) -> None:
        try:
            self.access = await self.api.field_access()
        except ApiError as exc:
            self.access_label.setText(f"Couldn't ask the server whether phones can reach it: {escape(exc.message)}")
            self._enable(False)
            return
        self._show_access()
        await self._load_devices()
        self.refresher.start()

    def _show_access(self) -> None:
        a = self.access or {}
        reachable = bool(a.get("reachable"))
        if not reachable:
            advice = "".join(f"<li>{escape(x)}</li>" for x in a.get("advice") or [])
            self.access_label.setText(f"<b>Phones cannot reach this server yet.</b> {escape(a.get('problem', ''))}"
                                      f"<ul>{advice}</ul>")
            self.access_label.setStyleSheet("background:#FDECE3;border:1px solid #D55E00;padding:8px;color:#1F2933;")
            self.field_qr.setText("No pairing code: a phone could not open it.")
            self.traccar_qr.setText("No device id: Traccar Client could not reach this server.")
        elif not a.get("secure"):
            self.access_label.setText(f"<b>Phones reach {escape(a.get('public_url', ''))}, but not over HTTPS.</b> "
                                      f"{escape(a.get('problem', ''))} " + escape(" ".join(a.get("advice") or [])))
            self.access_label.setStyleSheet("background:#FFF4D6;border:1px solid #E69F00;padding:8px;color:#1F2933;")
        else:
            self.access_label.setText(f"Phones reach this server at <b>{escape(a.get('public_url', ''))}</b>.")
            self.access_label.setStyleSheet("background:#E6F3FB;border:1px solid #56B4E9;padding:8px;color:#1F2933;")
        self._enable(reachable)

    def _enable(self, on: bool) -> None:
        for w in (self.new_code_btn, self.copy_link_btn, self.add_device_btn):
            w.setEnabled(on)

    async def _load_devices(self) -> None:
        try:
            self.devices = await self.api.technician_devices(self.tech_id)
        except ApiError as exc:
            self.devices_note.setText(f"Couldn't load the devices: {exc.message}")
            return
        self._fill_devices()
        self._noticed_pairing()

    def refresh_devices(self) -> None:
        if self.isVisible():
            self.tasks.spawn(self._load_devices())

    def _fill_devices(self) -> None:
        now = datetime.now(UTC)
        self.model.removeRows(0, self.model.rowCount())
        for d in self.devices:
            items = [QStandardItem(text) for text in device_row(d, now)]
            items[0].setData(int(d["id"]), DEVICE_ID_ROLE)
            if d.get("revoked"):
                for it in items:
                    it.setForeground(Qt.GlobalColor.gray)
            self.model.appendRow(items)
        live = sum(1 for d in self.devices if not d.get("revoked"))
        self.devices_note.setText("No devices yet." if not self.devices else
                                  f"{live} active device{'s' if live != 1 else ''}.")
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._selection()

    def _noticed_pairing(self) -> None:
        """The phone used the code: say so and retire the QR code."""
        if self.link is None:
            return
        since = parse_iso(self.link["created_at"])
        new = [d for d in self.devices if d.get("kind") == "field_app" and not d.get("revoked")
               and parse_iso(d["created_at"]) >= since]
        if new:
            self.link = None
            self.tick.stop()
            self.field_qr.clear()
            self.field_qr.setText(f"✓ Paired: {new[0].get('label') or 'a phone'} is signed in as {self.tech_name}.")
            self.link_edit.clear()
            self.expiry.setText("")
            self.new_code_btn.setText("Pair another phone")

    # --- actions ------------------------------------------------------------------------------------
    def new_code(self) -> None:
        self.new_code_btn.setEnabled(False)
        self.tasks.spawn(self._new_code())

    async def _new_code(self) -> None:
        try:
            link = await self.api.create_pairing_link(self.tech_id)
        except ApiError as exc:
            self.expiry.setText(f"Couldn't make a pairing code: {exc.message}")
            return
        finally:
            self.new_code_btn.setEnabled(bool(self.access and self.access.get("reachable")))
        created = parse_iso(link["expires_at"]) - timedelta(seconds=int(link.get("expires_in_s") or 600))
        self.link = {**link, "created_at": created.isoformat()}  # on the server's clock, like the devices
        self.field_qr.setPixmap(qr_pixmap(link["url"]))
        self.link_edit.setText(link["url"])
        self.new_code_btn.setText("New code")
        self._countdown()
        self.tick.start()

    def _countdown(self) -> None:
        if self.link is None:
            return
        left = (parse_iso(self.link["expires_at"]) - datetime.now(UTC)).total_seconds()
        if left <= 0:
            self.tick.stop()
            self.link = None
            self.field_qr.clear()
            self.field_qr.setText("This code expired. Make a new one when the phone is ready.")
            self.link_edit.clear()
            self.expiry.setText("")
            return
        self.expiry.setText(f"Works once · expires in {int(left) // 60}:{int(left) % 60:02d}")

    def add_traccar(self) -> None:
        self.add_device_btn.setEnabled(False)
        self.tasks.spawn(self._add_traccar())

    async def _add_traccar(self) -> None:
        try:
            got = await self.api.add_traccar_device(self.tech_id)
        except ApiError as exc:
            self.traccar_note.setText(f"Couldn't create a device id: {exc.message}")
            return
        finally:
            self.add_device_btn.setEnabled(bool(self.access and self.access.get("reachable")))
        self.traccar = got
        self.traccar_qr.setPixmap(qr_pixmap(got["config_url"]))
        self.server_edit.setText(got["server_url"])
        self.device_edit.setText(got["device_id"])
        s = got.get("settings") or {}
        self.traccar_note.setText(
            "Recommended settings (already in the QR code): Location accuracy "
            f"{s.get('accuracy', 'high')}, Interval {s.get('interval', '15')} s, Distance {s.get('distance', '25')} m, "
            f"Stationary heartbeat {s.get('heartbeat', '60')} s, Offline buffering on, Stop detection off. "
            "The device id is shown only now — if it is lost, revoke it below and create a new one.")
        self.add_device_btn.setText("Create another device id")
        await self._load_devices()

    def _selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        dev_id = self.model.item(rows[0].row(), 0).data(DEVICE_ID_ROLE)
        return next((d for d in self.devices if d["id"] == dev_id), None)

    def _selection(self, *_: Any) -> None:
        d = self._selected()
        self.revoke_btn.setEnabled(d is not None and not d.get("revoked"))

    def revoke_selected(self) -> None:
        d = self._selected()
        if d is None or d.get("revoked"):
            return
        what = device_row(d, datetime.now(UTC))[0]
        if not self.confirm(f"Revoke {what}? It stops at once: a phone is signed out, a Traccar Client id is "
                            "refused. This cannot be undone."):
            return
        self.tasks.spawn(self._revoke(int(d["id"])))

    async def _revoke(self, device_id: int) -> None:
        self.revoke_btn.setEnabled(False)
        try:
            await self.api.revoke_device(self.tech_id, device_id)
        except ApiError as exc:
            self.devices_note.setText(f"Couldn't revoke: {exc.message}")
        await self._load_devices()

    def _confirm(self, text: str) -> bool:
        return QMessageBox.question(self, "Revoke device?", text, QMessageBox.StandardButton.Yes
                                    | QMessageBox.StandardButton.No,
                                    QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes

    def _copy(self, text: str, what: str) -> None:
        if text:
            QGuiApplication.clipboard().setText(text)
            self.devices_note.setText(f"{what} copied.")

    def closeEvent(self, event: Any) -> None:
        self.tick.stop()
        self.refresher.stop()
        self.tasks.cancel()
        super().closeEvent(event)
