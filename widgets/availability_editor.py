"""A technician's working hours (per weekday) and time off, edited by administrators, read by dispatchers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from models.availability import WEEKDAYS, duration_words, parse_hhmm
from models.timefmt import DEFAULT_TIME_ZONE, day_time, parse_iso, time_range
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

WARN = "color:#B4461B;"


def off_line(o: dict[str, Any], tz: str) -> str:
    """'Fri, Dec 4, 1:00–3:00 PM · dentist' or 'Fri, Dec 4 – Mon, Dec 7 (all day) · vacation'."""
    z = ZoneInfo(tz)
    s, e = parse_iso(o["starts_at"]), parse_iso(o["ends_at"])
    ls, le = s.astimezone(z), e.astimezone(z)
    if ls.time() == le.time() == datetime.min.time():
        last = le - timedelta(days=1)
        days = ls.strftime("%a, %b ") + str(ls.day)
        if last.date() != ls.date():
            days += " – " + last.strftime("%a, %b ") + str(last.day)
        when = f"{days} (all day)"
    elif ls.date() == le.date():
        when = f"{ls.strftime('%a, %b')} {ls.day}, {time_range(s, e, tz)}"
    else:
        when = f"{day_time(s, tz)} – {day_time(e, tz)}"
    return when + (f" · {o['reason']}" if o.get("reason") else "")


class AvailabilityEditor(QDialog):
    """Edit one technician's week and time off; `changed` fires after every successful save."""

    changed = Signal()

    def __init__(self, api: ApiClient, technician: dict[str, Any], *, time_zone: str = DEFAULT_TIME_ZONE,
                 is_admin: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.tech, self.tz, self.is_admin = api, technician, time_zone, is_admin
        self.tasks = TaskSet()
        self.hours_set = False
        self.setWindowTitle(f"{technician['name']} — working hours and time off")
        self.resize(760, 680)
        root = QVBoxLayout(self)
        head = QLabel(f"{technician['name']}")
        head.setStyleSheet("font-size: 16px; font-weight: 600;")
        root.addWidget(head)
        self.banner = QLabel("Only administrators can change working hours and time off. You can read them here.")
        self.banner.setStyleSheet("background:#fff4d6;color:#7a4b00;padding:8px;border-radius:6px;")
        self.banner.setVisible(not is_admin)
        root.addWidget(self.banner)
        root.addWidget(self._build_hours())
        root.addWidget(self._build_time_off(), 1)
        self.status = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        root.addWidget(self.status)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        root.addLayout(row)
        for w in self.editable:
            w.setEnabled(is_admin)

    # --- building -----------------------------------------------------------------------------------------
    def _build_hours(self) -> QGroupBox:
        box = QGroupBox(f"Working hours ({self.tz.split('/')[-1].replace('_', ' ')} time)")
        grid = QGridLayout(box)
        self.days: list[tuple[QCheckBox, QTimeEdit, QTimeEdit, QLabel]] = []
        self.editable: list[QWidget] = []
        for i, name in enumerate(WEEKDAYS):
            works = QCheckBox(name)
            start, end = QTimeEdit(QTime(8, 0)), QTimeEdit(QTime(17, 0))
            for t in (start, end):
                t.setDisplayFormat("h:mm AP")
                t.timeChanged.connect(self._update_totals)
            works.toggled.connect(self._update_totals)
            total = QLabel("", objectName="Muted")
            grid.addWidget(works, i, 0)
            grid.addWidget(start, i, 1)
            grid.addWidget(QLabel("to"), i, 2)
            grid.addWidget(end, i, 3)
            grid.addWidget(total, i, 4)
            self.days.append((works, start, end, total))
            self.editable += [works, start, end]
        self.week_total = QLabel("", wordWrap=True)
        grid.addWidget(self.week_total, 7, 0, 1, 5)
        buttons = QHBoxLayout()
        self.copy_btn = QPushButton("Copy Monday to weekdays")
        self.copy_btn.clicked.connect(self.copy_monday)
        self.clear_btn = QPushButton("Not set (always available)")
        self.clear_btn.setToolTip("Forget the hours: no 'outside hours' conflicts and no capacity figure")
        self.clear_btn.clicked.connect(lambda: self.tasks.spawn(self.clear_hours()))
        self.save_hours_btn = QPushButton("Save hours")
        self.save_hours_btn.clicked.connect(lambda: self.tasks.spawn(self.save_hours()))
        for b in (self.copy_btn, self.clear_btn, self.save_hours_btn):
            b.setAutoDefault(False)
            buttons.addWidget(b)
            self.editable.append(b)
        buttons.insertStretch(2, 1)
        grid.addLayout(buttons, 8, 0, 1, 5)
        grid.setColumnStretch(4, 1)
        return box

    def _build_time_off(self) -> QGroupBox:
        box = QGroupBox("Time off")
        v = QVBoxLayout(box)
        self.off_list = QListWidget()
        self.off_list.setAccessibleName("Time off")
        v.addWidget(self.off_list, 1)
        self.empty = QLabel("No time off coming up.", objectName="Muted")
        self.remove_btn = QPushButton("Remove selected")
        self.remove_btn.setAutoDefault(False)
        self.remove_btn.clicked.connect(lambda: self.tasks.spawn(self.remove_selected()))
        row = QHBoxLayout()
        row.addWidget(self.empty)
        row.addStretch(1)
        row.addWidget(self.remove_btn)
        v.addLayout(row)
        add = QGridLayout()
        z = ZoneInfo(self.tz)
        tomorrow = datetime.now(z).date() + timedelta(days=1)
        self.off_from = QDateTimeEdit(QDateTime(QDate(tomorrow.year, tomorrow.month, tomorrow.day), QTime(8, 0)))
        self.off_to = QDateTimeEdit(QDateTime(QDate(tomorrow.year, tomorrow.month, tomorrow.day), QTime(17, 0)))
        for e in (self.off_from, self.off_to):
            e.setCalendarPopup(True)
            e.setDisplayFormat("ddd, MMM d, yyyy h:mm AP")
        self.all_day = QCheckBox("All day")
        self.all_day.toggled.connect(self._on_all_day)
        self.reason = QLineEdit(placeholderText="Reason dispatchers see, e.g. dentist, vacation, training")
        self.add_btn = QPushButton("Add time off")
        self.add_btn.setAutoDefault(False)
        self.add_btn.clicked.connect(lambda: self.tasks.spawn(self.add_time_off()))
        add.addWidget(QLabel("From"), 0, 0)
        add.addWidget(self.off_from, 0, 1)
        add.addWidget(QLabel("to"), 0, 2)
        add.addWidget(self.off_to, 0, 3)
        add.addWidget(self.all_day, 0, 4)
        add.addWidget(QLabel("Reason"), 1, 0)
        add.addWidget(self.reason, 1, 1, 1, 3)
        add.addWidget(self.add_btn, 1, 4)
        v.addLayout(add)
        self.editable += [self.off_from, self.off_to, self.all_day, self.reason, self.add_btn, self.remove_btn]
        return box

    # --- hours --------------------------------------------------------------------------------------------
    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(WARN if error else "")
        self.status.setText(text)

    def fill_hours(self, data: dict[str, Any]) -> None:
        self.hours_set = bool(data.get("set"))
        for (works, start, end, _), d in zip(self.days, data["days"], strict=True):
            on = d["start"] is not None
            works.setChecked(on)
            if on:
                start.setTime(_qtime(d["start"]))
                end.setTime(_qtime(d["end"]))
        self._update_totals()

    def _update_totals(self, *_: Any) -> None:
        week = 0
        for works, start, end, total in self.days:
            start.setEnabled(works.isChecked() and self.is_admin)
            end.setEnabled(works.isChecked() and self.is_admin)
            mins = start.time().secsTo(end.time()) // 60 if works.isChecked() else 0
            if works.isChecked() and end.time() == QTime(0, 0):
                mins = start.time().secsTo(QTime(23, 59)) // 60 + 1
            total.setText("Day off" if not works.isChecked() else duration_words(mins) if mins > 0 else
                          "Ends before it starts")
            total.setStyleSheet(WARN if works.isChecked() and mins <= 0 else "")
            week += max(0, mins)
        self.week_total.setText(f"{duration_words(week) if week else 'No hours'} a week." if self.hours_set else
                                "Hours not set: the technician counts as always available (no capacity shown). "
                                "Tick the days they work and save.")

    def copy_monday(self) -> None:
        works, start, end, _ = self.days[0]
        for w, s, e, _ in self.days[1:5]:
            w.setChecked(works.isChecked())
            s.setTime(start.time())
            e.setTime(end.time())

    def week_days(self) -> list[dict[str, Any]]:
        out = []
        for i, (works, start, end, _) in enumerate(self.days):
            if works.isChecked():
                e = end.time().toString("HH:mm")
                out.append({"weekday": i, "start": start.time().toString("HH:mm"),
                            "end": "24:00" if e == "00:00" else e})
        return out

    async def load(self) -> None:
        self._say("Loading…")
        try:
            hours = await self.api.technician_hours(int(self.tech["id"]))
            offs = await self.api.time_off(int(self.tech["id"]))
        except ApiError as exc:
            self._say(f"Couldn't load {self.tech['name']}'s availability: {exc.message}", error=True)
            return
        self.fill_hours(hours)
        self.fill_time_off(offs)
        self._say("")

    async def save_hours(self) -> bool:
        days = self.week_days()
        bad = [WEEKDAYS[d["weekday"]] for d in days if parse_hhmm(d["end"]) <= parse_hhmm(d["start"])]
        if bad:
            self._say(f"{', '.join(bad)}: the day must end after it starts.", error=True)
            return False
        try:
            saved = await self.api.set_technician_hours(int(self.tech["id"]), days)
        except ApiError as exc:
            self._say(f"Hours not saved: {exc.message}", error=True)
            return False
        self.fill_hours(saved)
        self._say(f"Saved. {self.tech['name']}'s hours apply to new bookings and the board right away.")
        self.changed.emit()
        return True

    async def clear_hours(self) -> bool:
        try:
            self.fill_hours(await self.api.clear_technician_hours(int(self.tech["id"])))
        except ApiError as exc:
            self._say(f"Hours not cleared: {exc.message}", error=True)
            return False
        self._say(f"{self.tech['name']} now counts as always available.")
        self.changed.emit()
        return True

    # --- time off -----------------------------------------------------------------------------------------
    def fill_time_off(self, rows: list[dict[str, Any]]) -> None:
        self.off_list.clear()
        for o in rows:
            item = QListWidgetItem(off_line(o, self.tz))
            item.setData(Qt.ItemDataRole.UserRole, o["id"])
            self.off_list.addItem(item)
        self.empty.setVisible(not rows)
        self.remove_btn.setEnabled(bool(rows) and self.is_admin)

    def _on_all_day(self, on: bool) -> None:
        fmt = "ddd, MMM d, yyyy" if on else "ddd, MMM d, yyyy h:mm AP"
        for e in (self.off_from, self.off_to):
            e.setDisplayFormat(fmt)

    def off_window(self) -> tuple[datetime, datetime]:
        z = ZoneInfo(self.tz)

        def at(e: QDateTimeEdit, next_day: bool = False) -> datetime:
            d, t = e.date(), e.time()
            if self.all_day.isChecked():
                base = datetime(d.year(), d.month(), d.day(), tzinfo=z)
                return base + timedelta(days=1) if next_day else base
            return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=z)

        return at(self.off_from), at(self.off_to, next_day=True)

    async def add_time_off(self) -> bool:
        start, end = self.off_window()
        if end <= start:
            self._say("Time off must end after it starts.", error=True)
            return False
        try:
            await self.api.add_time_off(int(self.tech["id"]), start, end, self.reason.text().strip())
            rows = await self.api.time_off(int(self.tech["id"]))
        except ApiError as exc:
            self._say(f"Time off not added: {exc.message}", error=True)
            return False
        self.fill_time_off(rows)
        self.reason.clear()
        self._say("Added. Bookings in that time now show a conflict.")
        self.changed.emit()
        return True

    async def remove_selected(self) -> bool:
        item = self.off_list.currentItem()
        if item is None:
            self._say("Select the time off to remove first.", error=True)
            return False
        try:
            await self.api.remove_time_off(int(self.tech["id"]), int(item.data(Qt.ItemDataRole.UserRole)))
            rows = await self.api.time_off(int(self.tech["id"]))
        except ApiError as exc:
            self._say(f"Time off not removed: {exc.message}", error=True)
            return False
        self.fill_time_off(rows)
        self._say("Removed.")
        self.changed.emit()
        return True


def _qtime(hhmm: str) -> QTime:
    m = parse_hhmm(hhmm)
    return QTime(0, 0) if m == 1440 else QTime(m // 60, m % 60)
