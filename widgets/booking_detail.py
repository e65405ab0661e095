"""One booking request in full: customer and contact, address, service, dates, notes, photos, and the actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.store import Store
from models.booking_machine import CONSOLE_LABELS
from models.enums import BookingState as B
from models.phones import DEFAULT_REGION, display
from models.timefmt import clock_time, local, parse_iso
from services.api_client import ApiClient, ApiError
from widgets.booking_actions import AcceptForm, ActionForm, CounterForm, DeclineForm
from widgets.booking_model import STATE_COLORS, age_text, short_date
from widgets.tasks import TaskSet

TIME_WORDS = {"morning": "Morning", "afternoon": "Afternoon", "flexible": "Flexible"}


class PhotoViewer(QDialog):
    """A photo at full size, fetched when opened."""

    def __init__(self, api: ApiClient, request_id: int, photo: dict[str, Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(photo.get("filename") or "Photo")
        self.label = QLabel("Loading photo…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setMinimumSize(480, 360)
        QVBoxLayout(self).addWidget(self.label)
        self.tasks = TaskSet(self.label.setText)
        self.tasks.spawn(self._load(api, request_id, int(photo["id"])), "load the photo")

    async def _load(self, api: ApiClient, request_id: int, photo_id: int) -> None:
        try:
            data = await api.booking_photo(request_id, photo_id)
        except ApiError as exc:
            self.label.setText(f"Couldn't load the photo: {exc.message}")
            return
        pix = QPixmap()
        pix.loadFromData(data)
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None and (pix.width() > screen.width() * 0.9 or pix.height() > screen.height() * 0.9):
            pix = pix.scaled(int(screen.width() * 0.9), int(screen.height() * 0.9), Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        self.label.setPixmap(pix)
        self.adjustSize()


class BookingDetail(QWidget):
    """Shows one request; emits `changed(request)` after an action succeeds."""

    changed = Signal(dict)

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.store = store
        self.request: dict[str, Any] | None = None
        self.tasks = TaskSet()
        self.viewers: list[PhotoViewer] = []
        self.empty = QLabel("Select a request to see its details.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #5b6776;")
        self.body = QWidget()
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 20px; font-weight: 700;")
        self.badge = QLabel()
        self.contact = QLabel()
        self.contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields = QFormLayout()
        self.fields.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.labels: dict[str, QLabel] = {}
        for key, caption in (("service", "Service"), ("address", "Address"), ("dates", "Preferred dates"),
                             ("time", "Time preference"), ("notes", "Notes"), ("received", "Received"),
                             ("response", "Response")):
            lab = QLabel()
            lab.setWordWrap(True)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.labels[key] = lab
            self.fields.addRow(caption, lab)
        self.photos = QHBoxLayout()
        self.photos.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.photo_buttons: list[QToolButton] = []
        self.review_btn = QPushButton("Mark under review")
        self.accept_btn = QPushButton("Accept…")
        self.counter_btn = QPushButton("Counter-propose…")
        self.decline_btn = QPushButton("Decline…")
        actions = QHBoxLayout()
        for b in (self.review_btn, self.accept_btn, self.counter_btn, self.decline_btn):
            b.setCheckable(b is not self.review_btn)
            actions.addWidget(b)
        actions.addStretch(1)
        self.review_form = _ReviewForm(api)
        self.accept_form = AcceptForm(api)
        self.counter_form = CounterForm(api)
        self.decline_form = DeclineForm(api)
        self.stack = QStackedWidget()
        self.stack.addWidget(QWidget())
        for f in (self.accept_form, self.counter_form, self.decline_form):
            self.stack.addWidget(f)
        for f in (self.review_form, self.accept_form, self.counter_form, self.decline_form):
            f.done.connect(self._done)
        self.review_btn.clicked.connect(self._review)
        self.accept_btn.clicked.connect(lambda: self._open(self.accept_form))
        self.counter_btn.clicked.connect(lambda: self._open(self.counter_form))
        self.decline_btn.clicked.connect(lambda: self._open(self.decline_form))
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #dde3ea;")
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.badge)
        col = QVBoxLayout(self.body)
        col.addLayout(head)
        col.addWidget(self.contact)
        col.addLayout(self.fields)
        col.addLayout(self.photos)
        col.addWidget(line)
        col.addLayout(actions)
        col.addWidget(self.review_form)
        col.addWidget(self.stack)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.empty)
        outer.addWidget(scroll)
        self.scroll = scroll
        self.scroll.hide()

    def show_request(self, r: dict[str, Any], *, age_s: float | None = None, stale: bool = False) -> None:
        same = self.request is not None and self.request["id"] == r["id"]
        self.request = r
        self.empty.hide()
        self.scroll.show()
        state = r["state"]
        self.title.setText(r.get("customer_name", ""))
        color = STATE_COLORS.get(state, "#1b2430")
        self.badge.setText(CONSOLE_LABELS[B(state)] if state in B._value2member_map_ else state)
        self.badge.setStyleSheet(f"color: white; background: {color}; border-radius: 10px; padding: 3px 10px;"
                                 "font-weight: 600;")
        phone = display(r.get("customer_phone") or "", str(self.store.company.get("country") or DEFAULT_REGION))
        contact = [x for x in (phone, r.get("customer_email")) if x]
        self.contact.setText(" · ".join(contact) or "No phone or email on file")
        L = self.labels
        L["service"].setText(r.get("service_type", ""))
        L["address"].setText(r.get("address") or "—")
        L["dates"].setText(", ".join(short_date(d) for d in r.get("preferred_dates") or []))
        L["time"].setText(TIME_WORDS.get(r.get("time_preference", ""), r.get("time_preference", "")))
        L["notes"].setText(r.get("notes") or "—")
        age = age_text(age_s if age_s is not None else float(r.get("age_seconds") or 0))
        L["received"].setText(age + ("  ⚠ no response for over 48 hours" if stale else ""))
        L["received"].setStyleSheet("color: #b42318; font-weight: 600;" if stale else "")
        L["response"].setText(self._response_text(r))
        allowed = set(r.get("allowed_actions") or [])
        self.review_btn.setEnabled("review" in allowed)
        self.accept_btn.setEnabled("accept" in allowed)
        self.counter_btn.setEnabled("counter" in allowed)
        self.decline_btn.setEnabled("decline" in allowed)
        if not same or not allowed:
            self._open(None)
            self._load_photos(r)
        self.review_form.request_id = int(r["id"])

    def _response_text(self, r: dict[str, Any]) -> str:
        parts = []
        if r.get("proposed_start") and r["state"] == B.COUNTER_PROPOSED:
            s, e = parse_iso(r["proposed_start"]), parse_iso(r["proposed_end"])
            tz = self.store.time_zone
            parts.append(f"Proposed {short_date(local(s, tz).date().isoformat())}, "
                         f"{clock_time(s, tz)} – {clock_time(e, tz)} (waiting for the customer)")
        if r.get("appointment_id"):
            parts.append(f"Appointment #{r['appointment_id']} created")
        if r.get("response_message"):
            parts.append(f"“{r['response_message']}”")
        return "\n".join(parts) or "No response yet"

    def _open(self, form: ActionForm | None) -> None:
        for btn, f in ((self.accept_btn, self.accept_form), (self.counter_btn, self.counter_form),
                       (self.decline_btn, self.decline_form)):
            btn.setChecked(f is form)
        if form is None or self.request is None:
            self.stack.setCurrentIndex(0)
            return
        if form is self.decline_form:
            self.decline_form.prepare(self.request)
        elif isinstance(form, AcceptForm | CounterForm):
            form.prepare(self.request, self.store.active_technicians(), self.store.time_zone)
        self.stack.setCurrentWidget(form)

    def _review(self) -> None:
        self.review_form._clicked()

    def _done(self, result: dict[str, Any]) -> None:
        self.changed.emit(result)
        self.show_request(result)
        self._open(None)

    def _load_photos(self, r: dict[str, Any]) -> None:
        for b in self.photo_buttons:
            b.deleteLater()
        self.photo_buttons = []
        for p in r.get("photos") or []:
            b = QToolButton()
            b.setFixedSize(96, 96)
            b.setIconSize(b.size() * 0.92)
            b.setToolTip(f"{p.get('filename', 'photo')} — click to open full size")
            b.setText("…")
            b.clicked.connect(lambda _=False, p=p, rid=r["id"]: self._view(int(rid), p))
            self.photos.addWidget(b)
            self.photo_buttons.append(b)
            self.tasks.spawn(self._thumb(b, int(r["id"]), int(p["id"])), "load a photo")

    async def _thumb(self, button: QToolButton, rid: int, pid: int) -> None:
        try:
            data = await self.api.booking_photo(rid, pid, thumbnail=True)
        except ApiError:
            button.setText("No preview")
            return
        pix = QPixmap()
        pix.loadFromData(data)
        try:
            from PySide6.QtGui import QIcon

            button.setIcon(QIcon(pix))
            button.setText("")
        except RuntimeError:  # the button went away while loading
            pass

    def _view(self, rid: int, photo: dict[str, Any]) -> None:
        viewer = PhotoViewer(self.api, rid, photo, self)
        self.viewers.append(viewer)
        viewer.show()


class _ReviewForm(ActionForm):
    """The one-click "Mark under review" (progress and error shown under the buttons)."""

    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(api, "", parent)
        self.submit.hide()

    def call(self):  # type: ignore[no-untyped-def]
        rid = self.request_id
        assert rid is not None
        return lambda: self.api.review_booking(rid)
