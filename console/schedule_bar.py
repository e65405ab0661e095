"""The bar above the grid: day navigation, date picker, filters (technician, status, text) and the legend."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QResizeEvent
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
    QVBoxLayout,
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
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 6, 12, 6)
        outer.setSpacing(6)
        lay = self.row1 = QHBoxLayout()
        lay.setSpacing(6)
        self.row2 = QHBoxLayout()
        self.row2.setSpacing(6)
        outer.addLayout(self.row1)
        outer.addLayout(self.row2)
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
        self.gap = QWidget()
        self.gap.setFixedWidth(10)
        lay.addWidget(self.gap)
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
        self.status_btn.setMinimumWidth(self.status_btn.fontMetrics().horizontalAdvance("All statuses") + 34)
        lay.addWidget(self.status_btn)
        self.search = QLineEdit(placeholderText="Search customer, service, address…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(200)
        self.search.textChanged.connect(self._emit_filters)
        self.search.installEventFilter(self)  # Esc clears the search
        lay.addWidget(self.search, 1)
        self.matches = QLabel(objectName="Muted")  # "3 of 12 matches" once Enter searched every date
        self.matches.setAccessibleName("Search matches")
        self.matches.hide()
        lay.addWidget(self.matches)
        lay.addStretch(0)  # takes the slack only when the filters moved to the second row
        self.legend = self._legend()  # shown by the window (status bar), not in this bar
        self.prev_btn.clicked.connect(lambda: self.step(-1))
        self.next_btn.clicked.connect(lambda: self.step(1))
        self.date_edit.dateChanged.connect(self._date_picked)
        self.two_rows = False
        self.extra_filters: list[QWidget] = []  # features' filters, after the status filter (add_filter)
        # The bar never forces the window wider than two rows need (it wraps instead of overlapping).
        rows = ((self.prev_btn, self.today_btn, self.next_btn, self.date_edit), (self.tech_combo, self.status_btn,
                                                                                  self.search))
        self.setMinimumWidth(24 + max(sum(self._min_w(w) + 6 for w in row) for row in rows))
        self.tech_combo.currentIndexChanged.connect(self._emit_filters)
        self._today = date.today()

    def add_filter(self, widget: QWidget) -> None:
        """Another filter control (e.g. skills and zones), placed after the status filter in whichever row it is."""
        row = self.row2 if self.two_rows else self.row1
        row.insertWidget(row.indexOf(self.extra_filters[-1] if self.extra_filters else self.status_btn) + 1, widget)
        self.extra_filters.append(widget)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (obj is self.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self.search.text()):
            self.search.clear()
            return True
        return super().eventFilter(obj, event)

    @staticmethod
    def _min_w(w: QWidget) -> int:
        return max(w.minimumWidth(), w.minimumSizeHint().width())

    def _wide_enough(self, width: int) -> bool:
        """One row fits: day navigation, the filters and a search field of at least its minimum width."""
        parts = (self.prev_btn, self.today_btn, self.next_btn, self.date_edit, self.gap, self.tech_combo,
                 self.status_btn, *self.extra_filters, self.search)
        return width - 24 >= sum(self._min_w(w) for w in parts) + 6 * (len(parts) - 1) + 80

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Narrow (a small screen, wide docks): the filters move to a second row instead of overlapping."""
        super().resizeEvent(event)
        two = not self._wide_enough(event.size().width())
        if two == self.two_rows:
            return
        self.two_rows = two
        for w in (self.tech_combo, self.status_btn, *self.extra_filters, self.search, self.matches):
            (self.row1 if two else self.row2).removeWidget(w)
            stretch = 1 if w is self.search else 0
            if two:
                self.row2.addWidget(w, stretch)
            else:
                self.row1.insertWidget(self.row1.count() - 1, w, stretch)  # before the trailing spacer
        self.gap.setVisible(not two)

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
