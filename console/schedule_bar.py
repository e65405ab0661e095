"""The bar above the grid: day navigation, date picker, filters (technician, status, text) and the legend."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)

from models.enums import AppointmentStatus as S
from widgets.status_colors import LATE_COLOR, label_for, style_for


class ScheduleBar(QFrame):
    """Emits `dayRequested(date)` and `filtersChanged(tech_ids | None, statuses | None, text)`."""

    dayRequested = Signal(object)
    filtersChanged = Signal(object, object, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ScheduleBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 6)
        lay.setSpacing(6)
        self.prev_btn = QPushButton("◀")
        self.prev_btn.setToolTip("Previous day (Alt+Left)")
        self.today_btn = QPushButton("Today")
        self.today_btn.setToolTip("Jump to today (Ctrl+T)")
        self.next_btn = QPushButton("▶")
        self.next_btn.setToolTip("Next day (Alt+Right)")
        self.date_edit = QDateEdit(calendarPopup=True)
        self.date_edit.setDisplayFormat("dddd, MMMM d, yyyy")
        longest = self.date_edit.fontMetrics().horizontalAdvance("Wednesday, September 30, 2026")
        self.date_edit.setMinimumWidth(longest + 44)  # room for the calendar button
        self.date_edit.setToolTip("Pick a day (Ctrl+G)")
        for b in (self.prev_btn, self.next_btn):
            b.setFixedWidth(40)
        for w in (self.prev_btn, self.today_btn, self.next_btn, self.date_edit):
            lay.addWidget(w)
        lay.addSpacing(16)
        self.tech_combo = QComboBox()
        self.tech_combo.setMinimumWidth(170)
        self.tech_combo.setToolTip("Show one technician's lane")
        self.tech_combo.addItem("All technicians", None)
        lay.addWidget(self.tech_combo)
        self.status_btn = QToolButton()
        self.status_btn.setText("All statuses")
        self.status_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_btn.setToolTip("Show only some statuses")
        menu = QMenu(self.status_btn)
        self.status_actions: dict[str, QAction] = {}
        for s in S:
            act = QAction(f"{style_for(s).glyph}  {label_for(s)}", menu, checkable=True, checked=True)
            act.toggled.connect(self._emit_filters)
            menu.addAction(act)
            self.status_actions[s.value] = act
        menu.addSeparator()
        menu.addAction("Show all", lambda: self._set_all_statuses(True))
        menu.addAction("Only open work", lambda: self._set_open_only())
        self.status_btn.setMenu(menu)
        lay.addWidget(self.status_btn)
        self.search = QLineEdit(placeholderText="Search customer, service, address…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(200)
        self.search.textChanged.connect(self._emit_filters)
        lay.addWidget(self.search, 1)
        self.legend = self._legend()  # shown by the window (status bar), not in this bar
        self.prev_btn.clicked.connect(lambda: self.step(-1))
        self.next_btn.clicked.connect(lambda: self.step(1))
        self.date_edit.dateChanged.connect(self._date_picked)
        self.tech_combo.currentIndexChanged.connect(self._emit_filters)
        self._today = date.today()

    def _legend(self) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        for s in (S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.PAUSED, S.COMPLETE):
            st = style_for(s)
            chip = QLabel(f"{st.glyph} {label_for(s)}")
            chip.setStyleSheet(f"background:{st.fill};color:{st.text};border:1px solid {st.border};"
                               "border-radius:4px;padding:1px 6px;font-size:8pt;")
            lay.addWidget(chip)
        late = QLabel("LATE")
        late.setStyleSheet(f"background:{LATE_COLOR};color:white;border-radius:4px;padding:1px 6px;"
                           "font-size:8pt;font-weight:bold;")
        lay.addWidget(late)
        return w

    # --- day ------------------------------------------------------------------------------------------
    def set_day(self, day: date, today: date | None = None) -> None:
        if today is not None:
            self._today = today
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.date_edit.blockSignals(False)
        self.today_btn.setEnabled(day != self._today)

    def current_day(self) -> date:
        d = self.date_edit.date()
        return date(d.year(), d.month(), d.day())

    def step(self, days: int) -> None:
        from datetime import timedelta

        self.dayRequested.emit(self.current_day() + timedelta(days=days))

    def _date_picked(self, qd: QDate) -> None:
        self.dayRequested.emit(date(qd.year(), qd.month(), qd.day()))

    # --- filters --------------------------------------------------------------------------------------
    def set_technicians(self, techs: list[tuple[int | None, str]]) -> None:
        current = self.tech_combo.currentData()
        self.tech_combo.blockSignals(True)
        self.tech_combo.clear()
        self.tech_combo.addItem("All technicians", None)
        for tech_id, name in techs:
            self.tech_combo.addItem(name, -1 if tech_id is None else tech_id)
        idx = self.tech_combo.findData(current)
        self.tech_combo.setCurrentIndex(max(0, idx))
        self.tech_combo.blockSignals(False)

    def _set_all_statuses(self, on: bool) -> None:
        for act in self.status_actions.values():
            act.blockSignals(True)
            act.setChecked(on)
            act.blockSignals(False)
        self._emit_filters()

    def _set_open_only(self) -> None:
        for s, act in self.status_actions.items():
            act.blockSignals(True)
            act.setChecked(s not in ("complete", "cancelled", "paused"))
            act.blockSignals(False)
        self._emit_filters()

    def filters(self) -> tuple[set[int | None] | None, set[str] | None, str]:
        data = self.tech_combo.currentData()
        techs: set[int | None] | None = None if data is None else {None if data == -1 else int(data)}
        chosen = {s for s, a in self.status_actions.items() if a.isChecked()}
        statuses = None if len(chosen) == len(self.status_actions) else chosen
        n = len(chosen)
        self.status_btn.setText("All statuses" if statuses is None else f"{n} status{'es' if n != 1 else ''}")
        return techs, statuses, self.search.text()

    def _emit_filters(self, *_: object) -> None:
        techs, statuses, text = self.filters()
        self.filtersChanged.emit(techs, statuses, text)
