"""Edit a job from its appointment card: service, description, internal notes, the job site and its pin."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.pin_map import PinMap, show_candidates
from widgets.tasks import TaskSet

NO_LOCATION = "No location: no auto-arrival, no ETA."
WARN = "color:#B4461B;"


def location_text(lat: float | None, lng: float | None) -> str:
    """What the card and the editor say about a job site's pin."""
    if lat is None or lng is None:
        return NO_LOCATION + " Find the address or click the map to place the pin."
    return f"Pinned at {lat:.5f}, {lng:.5f}."


class JobEditor(QDialog):
    """`saved(dict)` carries the job as the server answered; only changed fields are sent."""

    saved = Signal(dict)

    def __init__(self, api: ApiClient, job: dict[str, Any], *, services: list[str], tile_url: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.job = api, job
        self.tasks = TaskSet(lambda text: self._say(text, error=True))
        self.setWindowTitle(f"Edit job — {job.get('service_type')}")
        self.service = QComboBox()
        self.service.setEditable(True)
        self.service.addItems(services)
        self.service.setCurrentText(str(job.get("service_type") or ""))
        self.description = QPlainTextEdit(str(job.get("description") or ""))
        self.notes = QPlainTextEdit(str(job.get("internal_notes") or ""))
        for edit in (self.description, self.notes):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(64)
        self.address = QLineEdit(str(job.get("address") or ""))
        self.address.setAccessibleName("Job address")
        self.address.returnPressed.connect(lambda: self.tasks.spawn(self.find_address()))
        find = QPushButton("Find on map")
        find.setAutoDefault(False)
        find.clicked.connect(lambda: self.tasks.spawn(self.find_address()))
        clear = QPushButton("Remove pin")
        clear.setAutoDefault(False)
        clear.clicked.connect(self.clear_pin)
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(find)
        row.addWidget(clear)
        self.candidates = QListWidget()
        self.candidates.setFixedHeight(60)
        self.candidates.setVisible(False)
        self.candidates.currentItemChanged.connect(self._on_candidate)
        self.map = PinMap(tile_url)
        self.map.setMinimumHeight(220)
        self.map.pinMoved.connect(lambda *_: self._update_location())
        if job.get("lat") is not None and job.get("lng") is not None:
            self.map.set_pin(float(job["lat"]), float(job["lng"]))
        self.location = QLabel("", wordWrap=True)
        form = QFormLayout()
        form.addRow("Service", self.service)
        form.addRow("Description", self.description)
        form.addRow("Internal notes", self.notes)
        form.addRow("Job site", row)
        self.status = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Save job", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(lambda: self.tasks.spawn(self.save()))
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.candidates)
        lay.addWidget(self.map, 1)
        lay.addWidget(self.location)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.resize(720, 680)
        self._update_location()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(WARN if error else "")
        self.status.setText(text)

    def _update_location(self) -> None:
        pin = self.map.pin
        self.location.setStyleSheet(WARN if pin is None else "")
        self.location.setText(location_text(*(pin or (None, None))))

    def clear_pin(self) -> None:
        self.map.clear_pin()
        self._update_location()

    def _on_candidate(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        if item is not None:
            c = item.data(Qt.ItemDataRole.UserRole)
            self.map.set_pin(float(c["lat"]), float(c["lng"]))
            self._update_location()

    async def find_address(self) -> None:
        q = self.address.text().strip()
        if len(q) < 3:
            self._say("Type the address first.", error=True)
            return
        try:
            res = await self.api.geocode(q)
        except ApiError as exc:
            self._say(exc.message, error=True)
            return
        found = res.get("candidates") or []
        show_candidates(self.candidates, found)
        if not found:
            self._say(f"No place found for “{q}”. Click the map where the job is.", error=True)
            return
        self._say("Found it. Check the pin; drag it if the house is elsewhere.")

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the job as loaded."""
        now = {"service_type": self.service.currentText().strip(), "description": self.description.toPlainText(),
               "internal_notes": self.notes.toPlainText(), "address": self.address.text().strip()}
        out = {k: v.strip() if k != "address" else v for k, v in now.items()
               if v.strip() != str(self.job.get(k) or "").strip()}
        pin = self.map.pin
        old = (self.job.get("lat"), self.job.get("lng"))
        if (pin or (None, None)) != old:
            out["lat"], out["lng"] = pin or (None, None)
        return out

    async def save(self) -> dict[str, Any] | None:
        changes = self.changes()
        if not changes:
            self.accept()
            return self.job
        if "service_type" in changes and not changes["service_type"]:
            self._say("Pick the service (or type what the job is).", error=True)
            return None
        self.ok.setEnabled(False)
        try:
            job = await self.api.patch_job(int(self.job["id"]), **changes)
        except ApiError as exc:
            self._say(f"Not saved: {exc.message}", error=True)
            return None
        finally:
            self.ok.setEnabled(True)
        self.job = job
        self.saved.emit(job)
        self.accept()
        return job

    def done(self, result: int) -> None:
        self.tasks.cancel()
        super().done(result)
