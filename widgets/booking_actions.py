"""The inbox's response forms: Accept (with the technician's day shown), Counter-propose and Decline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import DEFAULT_TIME_ZONE, clock_time, parse_iso, window_text
from services.api_client import ApiClient, ApiError
from widgets.suggest_list import WhoIsBestDialog
from widgets.tasks import TaskSet

DEFAULT_WINDOWS = {"morning": (time(8), time(10)), "afternoon": (time(13), time(15)), "flexible": (time(10), time(12))}


class ActionForm(QWidget):
    """validate → disable → request → re-enable; progress while waiting, the API's error in words on failure."""

    done = Signal(dict)

    def __init__(self, api: ApiClient, submit_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.request_id: int | None = None
        self.tasks = TaskSet()
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.submit = QPushButton(submit_text)
        self.submit.setObjectName("primaryAction")
        self.submit.setDefault(True)
        self.submit.clicked.connect(self._clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.error = QLabel()
        self.error.setObjectName("actionError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b42318; font-weight: 600;")
        self.error.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 8, 0, 0)
        box.addLayout(self.form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.submit)
        box.addLayout(row)
        box.addWidget(self.progress)
        box.addWidget(self.error)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def busy(self) -> bool:
        return not self.progress.isHidden()

    def _clicked(self) -> None:
        problem = self.validate()
        if problem:
            self.show_error(problem)
            return
        self.show_error("")
        call = self.call()
        self.setEnabled(False)
        self.progress.show()
        self.tasks.spawn(self._run(call), "send the response")

    async def _run(self, call: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        try:
            result = await call()
        except ApiError as exc:
            self.show_error(self.explain(exc))
        else:
            self.done.emit(result)
        finally:
            self.setEnabled(True)
            self.progress.hide()

    def validate(self) -> str:
        return ""

    def explain(self, exc: ApiError) -> str:
        """The server's refusal in the dispatcher's words."""
        return exc.message

    #: Each concrete form (Accept, Counter, Decline) defines the request it sends.
    call: Callable[[], Callable[[], Awaitable[dict[str, Any]]]]


class WindowForm(ActionForm):
    """Date, window and technician, with that technician's appointments on the day (clashes in red)."""

    def __init__(self, api: ApiClient, submit_text: str, parent: QWidget | None = None):
        super().__init__(api, submit_text, parent)
        self.tz = DEFAULT_TIME_ZONE  # set by prepare() from the company's time zone
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd, MMM d, yyyy")
        self.start = QTimeEdit()
        self.end = QTimeEdit()
        for t in (self.start, self.end):
            t.setDisplayFormat("h:mm AP")
        self.tech = QComboBox()
        self.best_btn = QPushButton("Who is best?")
        self.best_btn.setToolTip("Technicians ranked by when they can really be there, with reasons and warnings")
        self.best_btn.setAutoDefault(False)
        self.best_btn.clicked.connect(self.who_is_best)
        self.best: WhoIsBestDialog | None = None
        self.request: dict[str, Any] = {}
        self.day_list = QListWidget()
        self.day_list.setObjectName("techDay")
        self.day_list.setMaximumHeight(110)
        self.overlap = QCheckBox("Book anyway")
        self.overlap.hide()
        times = QHBoxLayout()
        times.addWidget(self.start)
        times.addWidget(QLabel("to"))
        times.addWidget(self.end)
        times.addStretch(1)
        self.form.addRow("Date", self.day)
        self.form.addRow("Window", times)
        who = QHBoxLayout()
        who.addWidget(self.tech, 1)
        who.addWidget(self.best_btn)
        self.form.addRow("Technician", who)
        self.day_label = QLabel("That day")
        self.form.addRow(self.day_label, self.day_list)
        self.form.addRow("", self.overlap)
        self._appts: list[dict[str, Any]] = []
        self.day.dateChanged.connect(self._reload_day)
        self.tech.currentIndexChanged.connect(self._reload_day)
        self.start.timeChanged.connect(self._show_clashes)
        self.end.timeChanged.connect(self._show_clashes)

    def prepare(self, request: dict[str, Any], technicians: list[dict[str, Any]], tz: str,
                start: datetime | None = None, end: datetime | None = None) -> None:
        self.request_id = int(request["id"])
        self.request = request
        self.tz = tz
        self.show_error("")
        self.tech.blockSignals(True)
        self.tech.clear()
        self.tech.addItem("Unassigned", None)
        for t in technicians:
            if t.get("active", True):
                self.tech.addItem(t["name"], int(t["id"]))
        self.tech.blockSignals(False)
        if start and end:
            s, e = parse_iso(start).astimezone(ZoneInfo(tz)), parse_iso(end).astimezone(ZoneInfo(tz))
            d, t0, t1 = s.date(), s.time(), e.time()
        else:
            dates = request.get("preferred_dates") or [datetime.now(ZoneInfo(tz)).date().isoformat()]
            d = date.fromisoformat(dates[0])
            t0, t1 = DEFAULT_WINDOWS.get(request.get("time_preference", ""), DEFAULT_WINDOWS["flexible"])
        self.day.setDate(QDate(d.year, d.month, d.day))
        self.start.setTime(QTime(t0.hour, t0.minute))
        self.end.setTime(QTime(t1.hour, t1.minute))
        self._reload_day()

    def window(self) -> tuple[datetime, datetime]:
        z = ZoneInfo(self.tz)
        d = self.day.date().toPython()
        s = datetime.combine(d, self.start.time().toPython(), tzinfo=z)
        e = datetime.combine(d, self.end.time().toPython(), tzinfo=z)
        return s, e

    def technician_id(self) -> int | None:
        return self.tech.currentData()

    def who_is_best(self) -> WhoIsBestDialog | None:
        """The technicians ranked for this request's place, window and service; the one chosen fills Technician."""
        r = self.request
        if r.get("lat") is None or r.get("lng") is None:
            self.show_error("This request has no map location, so nobody can be ranked by drive time. "
                            "Choose the technician from the list.")
            return None
        s, e = self.window()
        if e <= s:
            self.show_error("The window must end after it starts.")
            return None
        self.show_error("")
        self.best = WhoIsBestDialog(self.api, f"{r.get('customer_name')} — {r.get('service_type')} · "
                                    f"{window_text(s, e, self.tz)}", time_zone=self.tz, parent=self,
                                    lat=float(r["lat"]), lng=float(r["lng"]), window_start=s, window_end=e,
                                    service_type=str(r.get("service_type") or "") or None)
        self.best.picked.connect(lambda tid: self.tech.setCurrentIndex(max(0, self.tech.findData(tid))))
        self.best.open()
        return self.best

    def _reload_day(self) -> None:
        tech_id = self.technician_id()
        self._appts = []
        if tech_id is None:
            self.day_list.clear()
            self.day_list.addItem("Choose a technician to see their day.")
            self._show_clashes()
            return
        self.day_list.clear()
        self.day_list.addItem("Loading…")
        day = self.day.date().toPython()
        self.tasks.spawn(self._load_day(day, tech_id), "load the technician's day")

    async def _load_day(self, day: date, tech_id: int) -> None:
        try:
            appts = await self.api.appointments(day, technician_id=tech_id)
        except ApiError as exc:
            self.day_list.clear()
            self.day_list.addItem(f"Couldn't load the day: {exc.message}")
            return
        if day != self.day.date().toPython() or tech_id != self.technician_id():
            return  # the choice moved on while loading
        self._appts = [a for a in appts if a.get("status") != "cancelled"]
        self._show_clashes()

    def clashes(self) -> list[dict[str, Any]]:
        s, e = self.window()
        return [a for a in self._appts if parse_iso(a["window_start"]) < e and parse_iso(a["window_end"]) > s]

    def _show_clashes(self) -> None:
        if self.technician_id() is None:
            self.overlap.hide()
            self.overlap.setChecked(False)
            return
        self.day_list.clear()
        clash_ids = {a["id"] for a in self.clashes()}
        name = self.tech.currentText()
        self.day_label.setText(f"{name.split()[0]}'s day")
        if not self._appts:
            self.day_list.addItem(f"{name} has nothing booked that day.")
        for a in sorted(self._appts, key=lambda a: parse_iso(a["window_start"])):
            s, e = parse_iso(a["window_start"]), parse_iso(a["window_end"])
            text = f"{clock_time(s, self.tz)} – {clock_time(e, self.tz)}   {a['service_type']} · {a['customer_name']}"
            item = QListWidgetItem(("⚠ Overlaps: " if a["id"] in clash_ids else "") + text)
            if a["id"] in clash_ids:
                item.setForeground(QColor("#b42318"))
            self.day_list.addItem(item)
        self.overlap.setVisible(bool(clash_ids))
        if not clash_ids:
            self.overlap.setChecked(False)

    def validate(self) -> str:
        s, e = self.window()
        if e <= s:
            return "The window must end after it starts."
        if self.clashes() and not self.overlap.isChecked():
            return (f"{self.tech.currentText()} is already booked then. Pick another time or technician, "
                    "or tick “Book anyway”.")
        return ""

    def explain(self, exc: ApiError) -> str:
        """A conflict the day list can't show (working hours, time off, a missing skill): say which, and offer
        "Book anyway"."""
        if exc.code != "schedule_conflict":
            return exc.message
        found = [str(c.get("message", "")) for c in (exc.details or {}).get("conflicts", []) if c.get("message")]
        self.overlap.show()
        return (f"{self.tech.currentText()} has a conflict then: {'; '.join(found) or exc.message}. "
                "Pick another time or technician, or tick “Book anyway”.")


class AcceptForm(WindowForm):
    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(api, "Accept and schedule", parent)
        self.message = QLineEdit()
        self.message.setPlaceholderText("Optional note to the customer, e.g. “We'll call 30 min before.”")
        self.form.addRow("Note", self.message)

    def call(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        s, e = self.window()
        rid, tech, overlap, msg = self.request_id, self.technician_id(), self.overlap.isChecked(), self.message.text()
        assert rid is not None
        return lambda: self.api.accept_booking(rid, s, e, tech, allow_overlap=overlap, message=msg.strip())


class CounterForm(WindowForm):
    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(api, "Send proposal", parent)
        self.message = QPlainTextEdit()
        self.message.setPlaceholderText("Required — e.g. “We're booked on your dates; would Thursday morning work?”")
        self.message.setFixedHeight(64)
        self.form.addRow("Message", self.message)

    def prepare(self, request: dict[str, Any], technicians: list[dict[str, Any]], tz: str,
                start: datetime | None = None, end: datetime | None = None) -> None:
        super().prepare(request, technicians, tz, start, end)
        if start is None:  # propose the day after the last preferred date by default
            last = (request.get("preferred_dates") or [None])[-1]
            if last:
                d = date.fromisoformat(last) + timedelta(days=1)
                self.day.setDate(QDate(d.year, d.month, d.day))

    def validate(self) -> str:
        if not self.message.toPlainText().strip():
            return "Write a message for the customer — it goes out with the proposed time."
        return super().validate()

    def call(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        s, e = self.window()
        rid, tech, overlap = self.request_id, self.technician_id(), self.overlap.isChecked()
        msg = self.message.toPlainText().strip()
        assert rid is not None
        return lambda: self.api.counter_booking(rid, s, e, msg, technician_id=tech, allow_overlap=overlap)


class DeclineForm(ActionForm):
    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(api, "Decline request", parent)
        self.message = QPlainTextEdit()
        self.message.setPlaceholderText("Required — why, and what the customer can do instead.")
        self.message.setFixedHeight(72)
        self.form.addRow("Message", self.message)
        self.submit.setObjectName("dangerAction")

    def prepare(self, request: dict[str, Any]) -> None:
        self.request_id = int(request["id"])
        self.show_error("")

    def validate(self) -> str:
        return "" if self.message.toPlainText().strip() else "A message is required: tell the customer why."

    def call(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        rid, msg = self.request_id, self.message.toPlainText().strip()
        assert rid is not None
        return lambda: self.api.decline_booking(rid, msg)

