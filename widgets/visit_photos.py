"""Visit photos for the appointment card: thumbnails with a "Shared with customer" check box each."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB = 120


class Widget(QWidget):
    """Tick a photo to share it with the customer; only shared photos appear in their visit summary."""

    countChanged = Signal(int)  # photos shared with the customer

    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.appt_id: int | None = None
        self.tasks = TaskSet()
        self._loading = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.hint = QLabel("Tick the photos the customer should see in their visit summary.")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.model = QStandardItemModel(self)
        self.model.itemChanged.connect(self._changed)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setGridSize(QSize(THUMB + 30, THUMB + 48))
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setWordWrap(True)
        self.view.setMinimumHeight(THUMB + 60)
        lay.addWidget(self.view)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)

    def set_appointment(self, appt_id: int) -> None:
        self.appt_id = appt_id
        self.tasks.spawn(self._load(appt_id))

    async def _load(self, appt_id: int) -> None:
        try:
            photos = await self.api.visit_photos(appt_id)
        except ApiError as exc:
            self.message.setText(f"Couldn't load the visit photos: {exc}")
            return
        if appt_id != self.appt_id:
            return
        self._loading = True
        self.model.clear()
        for p in photos:
            item = QStandardItem(p.get("caption") or f"Photo {p['id']}")
            item.setData(p["id"], PHOTO_ID_ROLE)
            item.setCheckable(True)
            item.setEditable(False)
            item.setCheckState(Qt.CheckState.Checked if p["shared_with_customer"] else Qt.CheckState.Unchecked)
            item.setToolTip("Shared with the customer" if p["shared_with_customer"] else "Only your team sees this")
            self.model.appendRow(item)
        self._loading = False
        self.view.setVisible(bool(photos))
        self.hint.setText("No photos from this visit yet." if not photos else
                          "Tick the photos the customer should see in their visit summary.")
        self._emit_count()
        for p in photos:
            self.tasks.spawn(self._thumb(appt_id, p["id"]))

    async def _thumb(self, appt_id: int, photo_id: int) -> None:
        try:
            data = await self.api.visit_photo_image(appt_id, photo_id)
        except ApiError:
            return
        pix = QPixmap()
        if not pix.loadFromData(data):
            return
        item = self._item(photo_id)
        if item is not None:
            self._loading = True
            item.setIcon(QIcon(pix.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation)))
            self._loading = False

    def _item(self, photo_id: int) -> QStandardItem | None:
        for row in range(self.model.rowCount()):
            it = self.model.item(row)
            if it.data(PHOTO_ID_ROLE) == photo_id:
                return it
        return None

    def _emit_count(self) -> None:
        n = sum(1 for r in range(self.model.rowCount())
                if self.model.item(r).checkState() == Qt.CheckState.Checked)
        self.countChanged.emit(n)

    def _changed(self, item: QStandardItem) -> None:
        if self._loading or self.appt_id is None:
            return
        shared = item.checkState() == Qt.CheckState.Checked
        self.tasks.spawn(self._save(self.appt_id, int(item.data(PHOTO_ID_ROLE)), shared))

    async def _save(self, appt_id: int, photo_id: int, shared: bool) -> None:
        item = self._item(photo_id)
        if item is not None:
            item.setEnabled(False)
        try:
            await self.api.set_photo_shared(appt_id, photo_id, shared)
        except ApiError as exc:
            self.message.setText(f"Couldn't change sharing: {exc}")
            if item is not None:
                self._loading = True
                item.setCheckState(Qt.CheckState.Unchecked if shared else Qt.CheckState.Checked)
                self._loading = False
        else:
            self.message.setText("Shared with the customer." if shared else "No longer shown to the customer.")
            if item is not None:
                item.setToolTip("Shared with the customer" if shared else "Only your team sees this")
        finally:
            if item is not None:
                item.setEnabled(True)
            self._emit_count()

    def handle_event(self, name: str, data: dict[str, Any]) -> None:
        if name == "appointment.updated" and data.get("id") == self.appt_id and data.get("photos"):
            self.set_appointment(self.appt_id)
