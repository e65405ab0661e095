"""Bio approvals panel: pending technician bios with photo, the customer's view, Approve / Reject with reason."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import day_time, parse_iso_or_none
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet, next_turn

if TYPE_CHECKING:
    from console.store import Store

TECH_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class BioApprovals(QWidget):
    """Pending bios on the left; the selected one with its customer-facing preview and the decision on the right."""

    countChanged = Signal(int)
    decided = Signal(int, str)  # tech id, "approved" | "rejected"

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.store = store
        self.pending: dict[int, dict[str, Any]] = {}
        self.photos: dict[int, QPixmap] = {}
        self.current: int | None = None
        self._build()
        self.tasks = TaskSet(self.message.setText)

    def start(self) -> None:
        self.store.reset.connect(next_turn(self, self.refresh))
        self.store.technicianChanged.connect(self._on_technician)
        if self.store.loaded:
            self.refresh()

    def shutdown(self) -> None:
        self.tasks.cancel()

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        split = QSplitter()
        self.model = QStandardItemModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.list.selectionModel().currentChanged.connect(self._select)
        split.addWidget(self.list)

        detail = QWidget()
        lay = QVBoxLayout(detail)
        self.empty = QLabel("No bios are waiting for approval.")
        self.empty.setObjectName("bioEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.empty)
        self.heading = QLabel()
        self.heading.setObjectName("bioHeading")
        self.heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        lay.addWidget(self.heading)
        self.submitted = QLabel()
        self.submitted.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(self.submitted)
        lay.addWidget(QLabel("What customers will see on the tracker and in the portal:"))
        self.card = QFrame()
        self.card.setObjectName("bioCard")
        self.card.setStyleSheet("#bioCard { background: #ffffff; border: 1px solid #dde3ea; border-radius: 12px; }"
                                "#bioCard QLabel#bioPreview { color: #1f2933; background: transparent; }")
        card_lay = QHBoxLayout(self.card)
        self.photo = QLabel()
        self.photo.setFixedSize(72, 72)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setStyleSheet("background: #dfe7f0; border-radius: 36px; color: #0b5fa5; font-weight: 700;")
        card_lay.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        self.preview = QLabel()
        self.preview.setObjectName("bioPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        card_lay.addWidget(self.preview, 1)
        lay.addWidget(self.card)
        self.current_bio = QLabel()
        self.current_bio.setWordWrap(True)
        self.current_bio.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(self.current_bio)
        actions = QHBoxLayout()
        self.approve_btn = QPushButton("&Approve")
        self.approve_btn.clicked.connect(self.approve)
        actions.addWidget(self.approve_btn)
        self.reason = QLineEdit(placeholderText="Reason for the technician (needed to reject)")
        self.reason.textChanged.connect(lambda _t: self._enable())
        self.reason.returnPressed.connect(self.reject)  # Enter submits the rejection (once a reason is typed)
        actions.addWidget(self.reason, 1)
        self.reject_btn = QPushButton("&Reject")
        self.reject_btn.clicked.connect(self.reject)
        actions.addWidget(self.reject_btn)
        lay.addLayout(actions)
        self.message = QLabel()
        self.message.setObjectName("bioMessage")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        lay.addStretch(1)
        split.addWidget(detail)
        split.setSizes([260, 640])
        root.addWidget(split)
        self._show(None)

    # --- the list, from the store's technicians ------------------------------------------------------
    def refresh(self) -> None:
        techs = sorted(self.store.technicians.values(), key=lambda t: (not t.get("active", True), t["name"]))
        pending = [t for t in techs if t.get("bio_status") == "pending"]
        self.pending = {t["id"]: t for t in pending}
        keep = self.current if self.current in self.pending else None
        self.model.clear()
        for t in pending:
            item = QStandardItem(t["name"])
            item.setData(t["id"], TECH_ID_ROLE)
            item.setToolTip((t.get("bio_pending") or "")[:200])
            self.model.appendRow(item)
        self.countChanged.emit(len(pending))
        row = next((i for i, t in enumerate(pending) if t["id"] == keep), 0 if pending else None)
        if row is not None:
            self.list.setCurrentIndex(self.model.index(row, 0))
        self._show(self.pending.get(keep) if keep else (pending[0] if pending else None))
        for t in pending:
            self._want_photo(t)

    def _on_technician(self, tech: dict[str, Any]) -> None:
        """One technician changed: only their row moves in, out or is updated."""
        tid = int(tech["id"])
        row = next((r for r in range(self.model.rowCount()) if self.model.item(r).data(TECH_ID_ROLE) == tid), None)
        pending = tech.get("bio_status") == "pending"
        if not pending:
            self.pending.pop(tid, None)
            if row is not None:
                self.model.removeRow(row)
                self.countChanged.emit(len(self.pending))
                if self.current == tid:
                    nxt = self.list.currentIndex()
                    self._show(self.pending.get(int(nxt.data(TECH_ID_ROLE))) if nxt.isValid() else None)
            return
        self.pending[tid] = tech
        if row is None:
            item = QStandardItem(tech["name"])
            item.setData(tid, TECH_ID_ROLE)
            key = (not tech.get("active", True), tech["name"])
            row = next((r for r in range(self.model.rowCount()) if key < self._key(self.model.item(r))),
                       self.model.rowCount())
            self.model.insertRow(row, item)
            self.countChanged.emit(len(self.pending))
            if self.current is None:
                self.list.setCurrentIndex(self.model.index(row, 0))
        item = self.model.item(row)
        item.setText(tech["name"])
        item.setToolTip((tech.get("bio_pending") or "")[:200])
        if self.current == tid:
            self._show(tech)
        self._want_photo(tech)

    def _want_photo(self, tech: dict[str, Any]) -> None:
        """Load the headshot shown beside the bio: a new one from the field app is decided with the bio."""
        pending = bool(tech.get("photo_pending_url"))
        if (pending or tech.get("has_photo")) and tech["id"] not in self.photos:
            self.tasks.spawn(self._load_photo(int(tech["id"]), pending=pending), "load a technician's photo")

    def _key(self, item: QStandardItem) -> tuple[bool, str]:
        t = self.pending.get(int(item.data(TECH_ID_ROLE)), {})
        return (not t.get("active", True), str(t.get("name", item.text())))

    async def _load_photo(self, tech_id: int, pending: bool = False) -> None:
        try:
            data = await self.api.technician_photo(tech_id, pending=pending)
        except ApiError:
            return
        pix = QPixmap()
        if pix.loadFromData(data):
            self.photos[tech_id] = pix
            if self.current == tech_id:
                self._show(self.pending.get(tech_id))

    # --- selection and preview ------------------------------------------------------------------------
    @Slot(QModelIndex, QModelIndex)
    def _select(self, current: QModelIndex, _previous: QModelIndex) -> None:
        tid = current.data(TECH_ID_ROLE)
        self._show(self.pending.get(int(tid)) if tid is not None else None)

    def _show(self, tech: dict[str, Any] | None) -> None:
        self.current = tech["id"] if tech else None
        has = tech is not None
        self.empty.setVisible(not has)
        for w in (self.heading, self.submitted, self.card, self.current_bio, self.reason, self.approve_btn,
                  self.reject_btn):
            w.setVisible(has)
        if tech is None:
            return
        first = tech["name"].split()[0]
        self.heading.setText(f"{tech['name']} — new bio" + (" and photo" if tech.get("photo_pending_url") else ""))
        when = parse_iso_or_none(tech.get("bio_submitted_at"))
        self.submitted.setText(f"Submitted {day_time(when, self.store.time_zone)}" if when
                               else "Submitted from the field app")
        pix = self.photos.get(tech["id"])
        if pix is not None:
            self.photo.setPixmap(pix.scaled(72, 72, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                            Qt.TransformationMode.SmoothTransformation))
        else:
            self.photo.setPixmap(QPixmap())
            self.photo.setText(first[:1])
        vehicle = " ".join(str(v) for v in (tech.get("vehicle_color"), tech.get("vehicle_year"),
                                           tech.get("vehicle_make"), tech.get("vehicle_model")) if v)
        self.preview.setText(
            f"<div style='font-size:15px;font-weight:700'>{escape(first)}</div>"
            f"<div style='color:#5b6776'>Your technician{(' · ' + escape(vehicle)) if vehicle else ''}</div>"
            f"<p style='margin-top:8px'>“{escape(tech.get('bio_pending') or '')}”</p>")
        current = tech.get("bio") or ""
        self.current_bio.setText(f"Customers see now: “{current}”" if current else
                                 "Customers see no bio for this technician until one is approved.")
        self._enable()

    def _enable(self, busy: bool = False) -> None:
        has = self.current is not None
        self.approve_btn.setEnabled(has and not busy)
        self.reject_btn.setEnabled(has and not busy and bool(self.reason.text().strip()))

    # --- decisions ------------------------------------------------------------------------------------
    def approve(self) -> None:
        if self.current is not None:
            self.tasks.spawn(self._decide(self.current, True), "save the decision")

    def reject(self) -> None:
        if self.current is not None and self.reason.text().strip():
            self.tasks.spawn(self._decide(self.current, False), "save the decision")

    async def _decide(self, tech_id: int, approve: bool) -> None:
        self._enable(busy=True)
        name = self.pending.get(tech_id, {}).get("name", "The technician")
        try:
            if approve:
                tech = await self.api.approve_bio(tech_id)
            else:
                tech = await self.api.reject_bio(tech_id, self.reason.text().strip())
        except ApiError as exc:
            self.message.setText(f"Couldn't save the decision: {exc}")
            self._enable()
            return
        self.reason.clear()
        self.message.setText(f"{name}'s bio was {'approved' if approve else 'rejected'}; they have been told.")
        self.decided.emit(tech_id, "approved" if approve else "rejected")
        self.store.upsert_technician(tech)  # the list follows the store
