"""The week view: technicians × days, each cell a load bar with the number of visits; click a cell to open that day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.status_colors import LATE_COLOR
from widgets.tasks import TaskSet
from widgets.week_model import Cell, WeekModel

if TYPE_CHECKING:
    from console.store import Store

ROW_H = 40
BAR_OK, BAR_FULL = "#0072B2", "#E69F00"  # Okabe–Ito blue; orange when the day is (nearly) full


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class LoadDelegate(QStyledItemDelegate):
    """A cell: visit count and load in words over a bar (booked ÷ capacity; orange ≥ 90 %, red over 100 %; blue
    against an 8-hour day when the technician's hours are not set).

    Fonts and colours are worked out once per palette, so 500 rows × 7 days paint in well under a second."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._key: tuple[int, str] | None = None
        self._ink: dict[str, QColor] = {}
        self._font = QFont()
        self._fh = 0
        self._fm = QFontMetrics(self._font)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(150, ROW_H)

    def _prepare(self, option: QStyleOptionViewItem) -> None:
        text = option.palette.color(QPalette.ColorRole.Text)
        key = (text.rgba(), option.font.key())
        if key == self._key:
            return
        self._key = key

        def alpha(a: int, base: QColor = text) -> QColor:
            c = QColor(base)
            c.setAlpha(a)
            return c

        self._ink = {"text": text, "muted": alpha(140), "off": alpha(18), "track": alpha(30), "grid": alpha(28),
                     "selected": alpha(60, option.palette.color(QPalette.ColorRole.Highlight)),
                     "ok": QColor(BAR_OK), "full": QColor(BAR_FULL), "over": QColor(LATE_COLOR)}
        self._font = QFont(option.font)
        self._font.setPointSizeF(max(7.5, self._font.pointSizeF() - 0.5))
        self._fm = QFontMetrics(self._font)
        self._fh = self._fm.height()

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        cell: Cell | None = index.data(WeekModel.CellRole)
        if cell is None:
            return
        self._prepare(option)
        ink = self._ink
        r = option.rect
        if cell.off:
            p.fillRect(r, ink["off"])
        if option.state & QStyle.StateFlag.State_Selected:
            p.fillRect(r, ink["selected"])
        inner = r.adjusted(8, 4, -8, -4)
        line = QRect(inner.left(), inner.top(), inner.width(), self._fh)
        p.setFont(self._font)
        p.setPen(ink["text"] if cell.visits else ink["muted"])
        count = "Off" if cell.off else f"{cell.visits} visit{'s' if cell.visits != 1 else ''}" if cell.visits else "—"
        p.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, count)
        room = line.width() - self._fm.horizontalAdvance(count) - 8  # the load in words only where it fits
        if (cell.text and not cell.off and (cell.booked_minutes or cell.capacity_minutes)
                and self._fm.horizontalAdvance(cell.text) <= room):
            p.setPen(ink["muted"])
            p.drawText(line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, cell.text)
        bar = QRect(inner.left(), inner.bottom() - 6, inner.width(), 6)
        p.fillRect(bar, ink["track"])
        share = cell.share
        if share is None and cell.booked_minutes:  # hours not set: the bar against an 8-hour day, never "full"
            share, color = cell.booked_minutes / 480, ink["ok"]
        elif share:
            color = ink["over"] if share > 1.0 else ink["full"] if share >= 0.9 else ink["ok"]
        if share:
            p.fillRect(QRect(bar.left(), bar.top(), max(4, int(bar.width() * min(1.0, share))), bar.height()), color)
        p.setPen(ink["grid"])
        p.drawLine(r.left(), r.bottom(), r.right(), r.bottom())
        p.drawLine(r.right(), r.top(), r.right(), r.bottom())


class WeekView(QWidget):
    """Loads `GET /schedule/week` for the week shown; `dayRequested(date, tech id or -1)` when a cell is clicked."""

    dayRequested = Signal(object, int)
    closeRequested = Signal()

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.store = api, store
        self.start = monday(store.today())
        self.model = WeekModel(self)
        self.loads = 0
        self.prev_btn = QPushButton("◀")
        self.prev_btn.setToolTip("Previous week")
        self.this_btn = QPushButton("This week")
        self.next_btn = QPushButton("▶")
        self.next_btn.setToolTip("Next week")
        for b in (self.prev_btn, self.next_btn):
            b.setFixedWidth(40)
        self.title = QLabel()
        f = self.title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() + 1)
        self.title.setFont(f)
        self.status = QLabel(objectName="Muted")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # gives way when narrow
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.day_btn = QPushButton("Day view")
        self.day_btn.setToolTip("Back to the day's schedule (Ctrl+Shift+W)")
        top = QHBoxLayout()
        top.setContentsMargins(12, 6, 12, 6)
        for w in (self.prev_btn, self.this_btn, self.next_btn, self.title):
            top.addWidget(w)
        top.addSpacing(16)
        top.addWidget(self.status, 1)
        top.addSpacing(12)
        top.addWidget(self.day_btn)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(LoadDelegate(self.table))
        self.table.setShowGrid(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setAccessibleName("Week: technicians by day")
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_H)
        vh.setFixedWidth(170)
        self.table.horizontalHeader().setMinimumSectionSize(64)
        vh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._open)
        self.table.activated.connect(self._open)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        self.tasks = TaskSet(self.status.setText)
        self.prev_btn.clicked.connect(lambda: self.show_week(self.start - timedelta(days=7)))
        self.next_btn.clicked.connect(lambda: self.show_week(self.start + timedelta(days=7)))
        self.this_btn.clicked.connect(lambda: self.show_week(monday(self.store.today())))
        self.day_btn.clicked.connect(self.closeRequested.emit)
        # Changes arriving while the week shows refresh it once they settle (one request, not one per event).
        self.refresh_timer = QTimer(self, singleShot=True, interval=2000)
        self.refresh_timer.timeout.connect(self.reload)
        store.appointmentChanged.connect(self._changed)
        store.appointmentRemoved.connect(self._changed)
        self._title()

    def _changed(self, *_: Any) -> None:
        if self.isVisible() and not self.refresh_timer.isActive():
            self.refresh_timer.start()

    def _title(self) -> None:
        end = self.start + timedelta(days=6)
        self.title.setText(f"Week of {self.start:%b} {self.start.day} – {end:%b} {end.day}, {end.year}")
        self.this_btn.setEnabled(self.start != monday(self.store.today()))

    def show_week(self, start: date) -> None:
        self.start = monday(start)
        self._title()
        self.reload()

    def reload(self) -> None:
        self.tasks.spawn(self.load(), "load the week")

    async def load(self) -> None:
        start = self.start
        self.status.setText("Loading…")
        try:
            data = await self.api.week(start)
        except ApiError as exc:
            self.status.setText(f"Couldn't load the week: {exc.message}")
            return
        if start != self.start:
            return  # another week was asked for meanwhile
        self.model.set_week(data)
        self.loads += 1
        visits, minutes = self.model.totals()
        techs = len(self.model.rows) - 1
        self.status.setText(f"{techs} technicians · {visits} visits · {minutes / 60:.0f} h booked")
        self.status.setToolTip(self.status.text())

    def _open(self, index: QModelIndex) -> None:
        day = index.data(WeekModel.DayRole)
        if isinstance(day, date) and self.isVisible():  # a double-click's second half finds the day already open
            tech = index.data(WeekModel.TechIdRole)
            self.dayRequested.emit(day, -1 if tech is None else int(tech))

    def shutdown(self) -> None:
        self.refresh_timer.stop()
        self.tasks.cancel()
