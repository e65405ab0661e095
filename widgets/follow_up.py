"""Book follow-up: a new visit on the same job as a paused one, prefilled (same technician, same length, the
next day at the same time), checked for conflicts before it is saved."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import parse_iso, window_text
from services.api_client import ApiClient, ApiError
from widgets.conflict_panel import ConflictPanel, conflict_lines
from widgets.tasks import TaskSet
from widgets.visit_time import visit_time_fields

WARN = "color:#B4461B;"


def prefill(visit: dict[str, Any], tz: str) -> tuple[datetime, int, int | None]:
    """(start, minutes, technician) for the follow-up: the next day at the same local time, same length and tech."""
    start, end = parse_iso(visit["window_start"]), parse_iso(visit["window_end"])
    local = start.astimezone(ZoneInfo(tz))
    nxt = datetime.combine(local.date() + timedelta(days=1), local.time(), tzinfo=ZoneInfo(tz))
    minutes = max(15, int((end - start).total_seconds() // 60))
    tech = visit.get("technician_id")
    return nxt, minutes, (int(tech) if tech is not None else None)


class FollowUpDialog(QDialog):
    """`created(dict)` carries the new appointment."""

    created = Signal(dict)

    def __init__(self, api: ApiClient, visit: dict[str, Any], *, technicians: list[dict[str, Any]], tz: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.visit, self.tz = api, visit, tz
        self.tasks = TaskSet(lambda text: self._say(text, error=True))
        self.checks = 0
        self.appointment: dict[str, Any] | None = None
        self.setWindowTitle(f"Book follow-up — {visit.get('customer_name')}")
        start, minutes, tech = prefill(visit, tz)
        intro = QLabel(f"<b>{visit.get('customer_name')}</b> — {visit.get('service_type')}<br>"
                       f"{visit.get('address') or ''}<br>A new visit on the same job (its notes, contacts and "
                       "photos stay with it).", wordWrap=True)
        self.date, self.start, self.duration = visit_time_fields(start, minutes)
        self.tech = QComboBox()
        self.tech.addItem("Unassigned", None)
        for t in sorted((t for t in technicians if t.get("active", True)), key=lambda t: str(t["name"])):
            self.tech.addItem(str(t["name"]), int(t["id"]))
        self.tech.setCurrentIndex(max(0, self.tech.findData(tech)))
        self.check_label = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        form = QFormLayout()
        form.addRow("Day", self.date)
        form.addRow("Arrival", self.start)
        form.addRow("Length", self.duration)
        form.addRow("Technician", self.tech)
        form.addRow("", self.check_label)
        self.conflicts = ConflictPanel(self)
        self.conflicts.bookAnyway.connect(lambda: self.tasks.spawn(self.save(anyway=True)))
        self.conflicts.cancelled.connect(lambda: self._say("Not booked. Change the time or the technician."))
        self.status = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Book follow-up", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(lambda: self.tasks.spawn(self.save()))
        self.buttons.rejected.connect(self.reject)
        self.conflicts.shown.connect(lambda on: self.buttons.setVisible(not on))
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.conflicts)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.check_timer = QTimer(self, singleShot=True, interval=300)
        self.check_timer.timeout.connect(lambda: self.tasks.spawn(self.live_check()))
        for sig in (self.date.dateChanged, self.start.timeChanged, self.duration.currentIndexChanged,
                    self.tech.currentIndexChanged):
            sig.connect(self._changed)
        self._changed()

    def window(self) -> tuple[datetime, datetime]:
        d, t = self.date.date(), self.start.time()
        start = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=ZoneInfo(self.tz))
        return start, start + timedelta(minutes=int(self.duration.currentData()))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(WARN if error else "")
        self.status.setText(text)

    def _changed(self, *_: Any) -> None:
        self.conflicts.clear()
        self.check_label.setText("")
        if self.tech.currentData() is not None:
            self.check_timer.start()

    async def live_check(self) -> list[dict[str, Any]] | None:
        tech = self.tech.currentData()
        if tech is None:
            return []
        start, end = self.window()
        try:
            res = await self.api.check_appointment(tech, start, end, job_id=int(self.visit["job_id"]))
        except ApiError as exc:
            self.check_label.setStyleSheet(WARN)
            self.check_label.setText(f"Couldn't check {self.tech.currentText()}'s schedule: {exc.message}")
            return None
        if (tech, start, end) != (self.tech.currentData(), *self.window()):
            return None
        self.checks += 1
        found = res["conflicts"]
        self.check_label.setStyleSheet(WARN if found else "")
        self.check_label.setText("\n".join(conflict_lines(found)) if found else
                                 f"{self.tech.currentText()} is free then.")
        return found

    async def save(self, anyway: bool = False) -> dict[str, Any] | None:
        """Check (unless `anyway`), then create the visit on the same job; a 409 from a race asks again."""
        start, end = self.window()
        tech = self.tech.currentData()
        self.ok.setEnabled(False)
        try:
            if tech is not None and not anyway:
                found = (await self.api.check_appointment(tech, start, end, job_id=int(self.visit["job_id"])))[
                    "conflicts"]
                if found:
                    self.conflicts.show_conflicts(self.tech.currentText(), found)
                    return None
            appt = await self.api.create_appointment(int(self.visit["job_id"]), start, end, tech,
                                                     allow_conflicts=anyway)
        except ApiError as exc:
            raced = (exc.details or {}).get("conflicts") if exc.code == "schedule_conflict" else None
            if raced:
                self._say("Someone else just booked that time.", error=True)
                self.conflicts.show_conflicts(self.tech.currentText(), raced)
            else:
                self._say(f"Not booked: {exc.message}", error=True)
            return None
        finally:
            self.ok.setEnabled(True)
        self.appointment = appt
        self._say(f"Booked {window_text(start, end, self.tz)}.")
        self.created.emit(appt)
        self.accept()
        return appt

    def done(self, result: int) -> None:
        self.tasks.cancel()
        self.check_timer.stop()
        super().done(result)
