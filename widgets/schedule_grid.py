"""The schedule grid view: lanes × time axis, status-coloured blocks, now-line, drag to reassign/reschedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMenu, QToolTip, QWidget

from models.timefmt import clock_time
from widgets.schedule_model import Appt, ScheduleModel
from widgets.status_colors import LATE_COLOR, NOW_LINE_COLOR, label_for, style_for

GUTTER = 216
HEADER = 34
ROW_H = 54
SNAP_S = 15 * 60
MIN_PX_PER_HOUR = 84.0

PaintObserver = Callable[[int, str, int], None]


class ScheduleView(QAbstractScrollArea):
    """Paints only what is visible; listens to the model's fine-grained signals and repaints just those rects."""

    appointmentSelected = Signal(int)
    appointmentActivated = Signal(int)
    technicianSelected = Signal(int)
    #: (appointment id, lane changed?, target technician id or -1 for Unassigned, new start epoch s or -1)
    moveRequested = Signal(int, bool, int, float)
    #: "Pair phone…" from a technician's row header (context menu)
    pairPhoneRequested = Signal(int)

    def __init__(self, model: ScheduleModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.dark = False
        self.now: Callable[[], float] = time.time
        self.paint_observer: PaintObserver | None = None
        self.selected_id: int | None = None
        self.start_hour, self.end_hour = 7, 19
        self.pph = MIN_PX_PER_HOUR
        self._origin = 0.0
        self._vis: list[int] = []
        #: Shown on a day without appointments (the window sets it; empty: nothing is drawn).
        self.empty_text = "No appointments on this day."
        self._vis_pos: dict[int, int] = {}
        self._tracks: dict[int, tuple[dict[int, int], int]] = {}
        self._tech_filter: set[int | None] | None = None
        self._status_filter: set[str] | None = None
        self._text_filter = ""
        self._press: tuple[int, QPoint] | None = None
        self._drag: tuple[int, int, float] | None = None  # appt id, lane row, start ts
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Schedule")
        self._font = QFont(self.font())
        self._font.setPointSizeF(9.0)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._small = QFont(self._font)
        self._small.setPointSizeF(8.0)
        self._lane_font = QFont(self.font())
        self._lane_font.setPointSizeF(9.5)
        model.modelReset.connect(self._on_reset)
        model.dataChanged.connect(self._on_data_changed)
        model.rowsInserted.connect(self._on_rows)
        model.rowsRemoved.connect(self._on_rows)
        model.rowsMoved.connect(self._on_moved)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._update_now_line)
        self._tick.start(30_000)
        self._on_reset()

    # --- geometry ---------------------------------------------------------------------------------
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.model.time_zone)

    def _compute_range(self) -> None:
        tz = self._tz()
        day_start = datetime.combine(self.model.day, datetime.min.time(), tzinfo=tz)
        lo, hi = 7, 19
        for a in self.model.appts.values():
            s = datetime.fromtimestamp(a.start, tz)
            e = datetime.fromtimestamp(a.end, tz)
            lo = min(lo, s.hour if s.date() == self.model.day else 0)
            hi = max(hi, (e.hour + (1 if e.minute or e.second else 0)) if e.date() == self.model.day else 24)
        self.start_hour, self.end_hour = lo, min(24, hi)
        self._origin = (day_start + timedelta(hours=self.start_hour)).timestamp()

    def _relayout(self) -> None:
        hours = max(1, self.end_hour - self.start_hour)
        avail = max(100, self.viewport().width() - GUTTER - 8)
        self.pph = max(MIN_PX_PER_HOUR, avail / hours)
        total_w = GUTTER + int(hours * self.pph) + 8
        self.horizontalScrollBar().setRange(0, max(0, total_w - self.viewport().width()))
        self.horizontalScrollBar().setPageStep(self.viewport().width())
        total_h = HEADER + len(self._vis) * ROW_H
        self.verticalScrollBar().setRange(0, max(0, total_h - self.viewport().height()))
        self.verticalScrollBar().setPageStep(self.viewport().height())
        self.verticalScrollBar().setSingleStep(ROW_H)

    def _filter_lanes(self) -> None:
        self._vis = [r for r, ln in enumerate(self.model.lanes)
                     if self._tech_filter is None or ln.tech_id in self._tech_filter]
        self._vis_pos = {r: i for i, r in enumerate(self._vis)}

    def x_for(self, ts: float) -> float:
        return GUTTER + (ts - self._origin) / 3600.0 * self.pph - self.horizontalScrollBar().value()

    def ts_for(self, x: float) -> float:
        return self._origin + (x - GUTTER + self.horizontalScrollBar().value()) / self.pph * 3600.0

    def lane_y(self, row: int) -> int:
        return HEADER + self._vis_pos.get(row, -1000) * ROW_H - self.verticalScrollBar().value()

    def lane_at(self, y: int) -> int | None:
        pos = (y - HEADER + self.verticalScrollBar().value()) // ROW_H
        return self._vis[pos] if y >= HEADER and 0 <= pos < len(self._vis) else None

    def _lane_tracks(self, row: int) -> tuple[dict[int, int], int]:
        cached = self._tracks.get(row)
        if cached is not None:
            return cached
        ends: list[float] = []
        where: dict[int, int] = {}
        appts = sorted((self.model.appts[i] for i in self.model.lanes[row].ids), key=lambda a: (a.start, a.id))
        for a in appts:
            for t, end in enumerate(ends):
                if end <= a.start:
                    ends[t] = a.end
                    where[a.id] = t
                    break
            else:
                where[a.id] = len(ends)
                ends.append(a.end)
        result = (where, max(1, len(ends)))
        self._tracks[row] = result
        return result

    def block_rect(self, appt_id: int) -> QRectF | None:
        a = self.model.appointment(appt_id)
        row = self.model.lane_row_of(appt_id)
        if a is None or row is None or row not in self._vis_pos:
            return None
        where, n = self._lane_tracks(row)
        inner = ROW_H - 8
        h = inner / n
        x0, x1 = self.x_for(a.start), self.x_for(a.end)
        y = self.lane_y(row) + 4 + where.get(a.id, 0) * h
        return QRectF(x0 + 1, y + 0.5, max(6.0, x1 - x0 - 2), h - 1.5)

    def block_at(self, pos: QPoint) -> int | None:
        row = self.lane_at(pos.y())
        if row is None or pos.x() < GUTTER:
            return None
        for appt_id in reversed(self.model.lanes[row].ids):
            r = self.block_rect(appt_id)
            if r is not None and r.contains(pos.toPointF()):
                return appt_id
        return None

    # --- filters and selection --------------------------------------------------------------------
    def set_filters(self, tech_ids: set[int | None] | None = None, statuses: set[str] | None = None,
                    text: str = "") -> None:
        self._tech_filter, self._status_filter, self._text_filter = tech_ids, statuses, text.strip().lower()
        self._filter_lanes()
        self._relayout()
        self.viewport().update()

    def matches(self, a: Appt) -> bool:
        if self._status_filter is not None and a.status not in self._status_filter:
            return False
        return not self._text_filter or self._text_filter in a.search_text()

    def select(self, appt_id: int | None, *, emit: bool = True, scroll: bool = True) -> None:
        old = self.selected_id
        self.selected_id = appt_id
        for i in (old, appt_id):
            self._update_block(i)
        if appt_id is not None:
            if scroll:
                self.ensure_visible(appt_id)
            if emit and appt_id != old:
                self.appointmentSelected.emit(appt_id)

    def ensure_visible(self, appt_id: int) -> None:
        row = self.model.lane_row_of(appt_id)
        if row is None or row not in self._vis_pos:
            return
        y = HEADER + self._vis_pos[row] * ROW_H
        vs = self.verticalScrollBar()
        if y - HEADER < vs.value():
            vs.setValue(y - HEADER)
        elif y + ROW_H > vs.value() + self.viewport().height():
            vs.setValue(y + ROW_H - self.viewport().height())
        r = self.block_rect(appt_id)
        if r is not None and (r.left() < GUTTER or r.right() > self.viewport().width()):
            hs = self.horizontalScrollBar()
            hs.setValue(int(hs.value() + r.left() - GUTTER - 40))

    def _update_block(self, appt_id: int | None) -> None:
        if appt_id is None:
            return
        r = self.block_rect(appt_id)
        if r is not None:
            self.viewport().update(r.toAlignedRect().adjusted(-4, -4, 4, 4))

    # --- model signals ----------------------------------------------------------------------------
    def _on_reset(self) -> None:
        self._tracks.clear()
        self._compute_range()
        self._filter_lanes()
        self._relayout()
        if self.selected_id is not None and self.model.appointment(self.selected_id) is None:
            self.selected_id = None
        self.viewport().update()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int] | None = None) -> None:
        parent = top.parent()
        if not parent.isValid():
            self.viewport().update(0, 0, GUTTER, self.viewport().height())
            return
        lane = parent.row()
        old = {i: self.block_rect(i) for i in self.model.lanes[lane].ids}
        self._tracks.pop(lane, None)
        for i in self.model.lanes[lane].ids:
            a = self.model.appts[i]
            if a.start < self._origin or a.end > self._origin + (self.end_hour - self.start_hour) * 3600:
                self._on_reset()
                return
        y = self.lane_y(lane)
        if y > -ROW_H and y < self.viewport().height():
            dirty = QRect(GUTTER, y, self.viewport().width() - GUTTER, ROW_H)
            for r in old.values():
                if r is not None:
                    dirty = dirty.united(r.toAlignedRect().adjusted(-4, -4, 4, 4))
            self.viewport().update(dirty)

    def _on_rows(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            self._tracks.clear()
            self._filter_lanes()
            self._relayout()
            self.viewport().update()
            return
        self._tracks.pop(parent.row(), None)
        self._compute_range_if_needed()
        self._update_lane(parent.row())

    def _on_moved(self, src: QModelIndex, first: int, last: int, dst: QModelIndex, row: int) -> None:
        for p in (src, dst):
            self._tracks.pop(p.row(), None)
            self._update_lane(p.row())

    def _compute_range_if_needed(self) -> None:
        before = (self.start_hour, self.end_hour)
        self._compute_range()
        if (self.start_hour, self.end_hour) != before:
            self._relayout()
            self.viewport().update()

    def _update_lane(self, row: int) -> None:
        y = self.lane_y(row)
        if -ROW_H < y < self.viewport().height():
            self.viewport().update(0, y, self.viewport().width(), ROW_H)

    def _update_now_line(self) -> None:
        self.viewport().update()

    # --- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        alt = pal.color(QPalette.ColorRole.AlternateBase)
        text = pal.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlpha(28)
        clip = event.rect()
        vw, vh = self.viewport().width(), self.viewport().height()
        p.fillRect(clip, base)
        first = max(0, self.verticalScrollBar().value() // ROW_H)
        last = min(len(self._vis), first + vh // ROW_H + 2)
        # lanes
        for pos in range(first, last):
            row = self._vis[pos]
            y = HEADER + pos * ROW_H - self.verticalScrollBar().value()
            if y + ROW_H < clip.top() or y > clip.bottom():
                continue
            if pos % 2:
                p.fillRect(QRect(GUTTER, y, vw - GUTTER, ROW_H), alt)
            p.setPen(QPen(grid, 1))
            p.drawLine(GUTTER, y + ROW_H - 1, vw, y + ROW_H - 1)
        # hour lines
        for h in range(self.end_hour - self.start_hour + 1):
            x = int(self.x_for(self._origin + h * 3600))
            if x < GUTTER or x > vw:
                continue
            p.setPen(QPen(grid, 1))
            p.drawLine(x, HEADER, x, vh)
            half = QColor(grid)
            half.setAlpha(14)
            p.setPen(QPen(half, 1, Qt.PenStyle.DashLine))
            xh = int(x + self.pph / 2)
            p.drawLine(xh, HEADER, xh, vh)
        # blocks
        p.setClipRect(QRect(GUTTER, HEADER, vw - GUTTER, vh - HEADER).intersected(clip))
        for pos in range(first, last):
            row = self._vis[pos]
            y = HEADER + pos * ROW_H - self.verticalScrollBar().value()
            if y + ROW_H < clip.top() or y > clip.bottom():
                continue
            for appt_id in self.model.lanes[row].ids:
                r = self.block_rect(appt_id)
                if r is None or r.right() < clip.left() or r.left() > clip.right():
                    continue
                self._paint_block(p, self.model.appts[appt_id], r)
        self._paint_drag(p)
        self._paint_now(p, vh)
        p.setClipping(False)
        self._paint_gutter(p, first, last, clip, text, grid)
        self._paint_header(p, text, grid)
        if not self.model.appts and self.empty_text:
            self._paint_empty(p, vw, text)
        p.end()

    def _paint_empty(self, p: QPainter, vw: int, text: QColor) -> None:
        """An empty day says so (and how data arrives), instead of a blank grid."""
        muted = QColor(text)
        muted.setAlpha(150)
        p.setPen(muted)
        top = HEADER + max(1, len(self._vis)) * ROW_H + 24
        box = QRect(GUTTER + 24, top, max(200, vw - GUTTER - 48), 120)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        used = p.boundingRect(box, flags, self.empty_text).adjusted(-16, -10, 16, 10)
        p.setBrush(self.palette().color(QPalette.ColorRole.Base))
        p.setPen(QPen(QColor(text.red(), text.green(), text.blue(), 40), 1))
        p.drawRoundedRect(used, 8, 8)
        p.setPen(muted)
        p.drawText(box, flags, self.empty_text)

    def _paint_block(self, p: QPainter, a: Appt, r: QRectF) -> None:
        st = style_for(a.status, self.dark)
        dim = not self.matches(a)
        fill = QColor(st.fill)
        border = QColor(st.border)
        fg = QColor(st.text)
        if dim:
            for c in (fill, border, fg):
                c.setAlpha(60)
        selected = a.id == self.selected_id
        pen = QPen(border, 1.2, Qt.PenStyle.DashLine if st.dashed else Qt.PenStyle.SolidLine)
        if a.late:
            pen = QPen(QColor(LATE_COLOR), 2.4)
        p.setPen(pen)
        p.setBrush(QBrush(fill))
        p.drawRoundedRect(r, 5, 5)
        if a.late:  # a hatched corner so LATE reads without colour too
            p.save()
            p.setClipRect(r)
            p.setPen(QPen(QColor(LATE_COLOR), 1.4))
            for k in range(0, 14, 4):
                p.drawLine(int(r.left()) + k, int(r.top()), int(r.left()), int(r.top()) + k)
            p.restore()
        if selected:
            p.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(-1.5, -1.5, 1.5, 1.5), 6, 6)
        inner = r.adjusted(7, 2, -5, -2)
        if inner.width() < 10:
            self._observe(a)
            return
        d = a.data
        p.setPen(fg)
        badge_w = 0
        if a.late:
            p.setFont(self._small)
            fm = QFontMetrics(self._small)
            badge_w = fm.horizontalAdvance("LATE") + 10
            if inner.width() > badge_w + 40:
                br = QRectF(inner.right() - badge_w, inner.top() + 1, badge_w, fm.height() + 2)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(LATE_COLOR))
                p.drawRoundedRect(br, 3, 3)
                p.setPen(QColor("#FFFFFF"))
                p.drawText(br, Qt.AlignmentFlag.AlignCenter, "LATE")
                p.setPen(fg)
            else:
                badge_w = 0
        two_lines = inner.height() >= 30
        fm_b = QFontMetrics(self._bold)
        title = f"{st.glyph} {d.get('customer_name') or 'Customer'}"
        p.setFont(self._bold)
        line_h = fm_b.height()
        top = QRectF(inner.left(), inner.top(), inner.width() - badge_w - 4, line_h)
        if st.struck:
            f = QFont(self._bold)
            f.setStrikeOut(True)
            p.setFont(f)
        p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm_b.elidedText(title, Qt.TextElideMode.ElideRight, int(top.width())))
        if two_lines:
            p.setFont(self._font)
            fm = QFontMetrics(self._font)
            tz = self.model.time_zone
            window = f"{clock_time(datetime.fromtimestamp(a.start, self._tz()), tz)}–" \
                     f"{clock_time(datetime.fromtimestamp(a.end, self._tz()), tz)}"
            second = f"{label_for(a.status)} · {d.get('service_type') or ''} · {window}"
            bottom = QRectF(inner.left(), inner.top() + line_h + 1, inner.width(), fm.height())
            p.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(second, Qt.TextElideMode.ElideRight, int(bottom.width())))
        self._observe(a)

    def _observe(self, a: Appt) -> None:
        if self.paint_observer is not None:
            self.paint_observer(a.id, a.status, a.version)

    def _paint_drag(self, p: QPainter) -> None:
        if self._drag is None:
            return
        appt_id, row, start = self._drag
        a = self.model.appointment(appt_id)
        if a is None or row not in self._vis_pos:
            return
        x0 = self.x_for(start)
        x1 = self.x_for(start + (a.end - a.start))
        y = self.lane_y(row) + 3
        r = QRectF(x0, y, x1 - x0, ROW_H - 6)
        hl = self.palette().color(QPalette.ColorRole.Highlight)
        fill = QColor(hl)
        fill.setAlpha(50)
        p.setPen(QPen(hl, 2, Qt.PenStyle.DashLine))
        p.setBrush(fill)
        p.drawRoundedRect(r, 5, 5)
        lane = self.model.lanes[row]
        p.setPen(self.palette().color(QPalette.ColorRole.Text))
        p.setFont(self._bold)
        label = f"{lane.name} · {clock_time(datetime.fromtimestamp(start, self._tz()), self.model.time_zone)}"
        p.drawText(r.adjusted(8, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)

    def _paint_now(self, p: QPainter, vh: int) -> None:
        now = self.now()
        x = self.x_for(now)
        if self._origin <= now <= self._origin + (self.end_hour - self.start_hour) * 3600 and x >= GUTTER:
            p.setPen(QPen(QColor(NOW_LINE_COLOR), 2))
            p.drawLine(int(x), HEADER - 6, int(x), vh)

    def _paint_gutter(self, p: QPainter, first: int, last: int, clip: QRect, text: QColor, grid: QColor) -> None:
        if clip.left() > GUTTER:
            return
        pal = self.palette()
        p.fillRect(QRect(0, HEADER, GUTTER, self.viewport().height()), pal.color(QPalette.ColorRole.Window))
        p.setPen(QPen(grid, 1))
        p.drawLine(GUTTER - 1, 0, GUTTER - 1, self.viewport().height())
        fm = QFontMetrics(self._lane_font)
        muted = QColor(text)
        muted.setAlpha(150)
        for pos in range(first, last):
            row = self._vis[pos]
            lane = self.model.lanes[row]
            y = HEADER + pos * ROW_H - self.verticalScrollBar().value()
            appts = [self.model.appts[i] for i in lane.ids]
            late = sum(1 for a in appts if a.late)
            name_font = QFont(self._lane_font)
            name_font.setBold(True)
            name_font.setItalic(lane.tech_id is None)
            p.setFont(name_font)
            p.setPen(text)
            p.drawText(QRect(14, y + 6, GUTTER - 24, fm.height() + 2), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(lane.name, Qt.TextElideMode.ElideRight, GUTTER - 24))
            p.setFont(self._small)
            done = sum(1 for a in appts if a.status in ("complete", "paused"))
            summary = f"{len(appts)} job{'s' if len(appts) != 1 else ''}"
            if appts:
                summary += f" · {done} done"
            p.setPen(muted)
            p.drawText(QRect(14, y + 8 + fm.height(), GUTTER - 24, fm.height()), Qt.AlignmentFlag.AlignLeft,
                       summary)
            if late:
                badge = f"⚠ {late} late"
                w = QFontMetrics(self._small).horizontalAdvance(badge) + 10
                br = QRect(GUTTER - w - 10, y + 8 + fm.height(), w, fm.height())
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(LATE_COLOR))
                p.drawRoundedRect(br, 3, 3)
                p.setPen(QColor("#FFFFFF"))
                p.drawText(br, Qt.AlignmentFlag.AlignCenter, badge)
            p.setPen(QPen(grid, 1))
            p.drawLine(0, y + ROW_H - 1, GUTTER, y + ROW_H - 1)

    def _paint_header(self, p: QPainter, text: QColor, grid: QColor) -> None:
        pal = self.palette()
        vw = self.viewport().width()
        p.fillRect(QRect(0, 0, vw, HEADER), pal.color(QPalette.ColorRole.Window))
        p.setPen(QPen(grid, 1))
        p.drawLine(0, HEADER - 1, vw, HEADER - 1)
        p.setFont(self._bold)
        p.setPen(text)
        day = self.model.day
        p.drawText(QRect(14, 0, GUTTER - 20, HEADER), Qt.AlignmentFlag.AlignVCenter,
                   f"{day.strftime('%a, %b')} {day.day}")
        p.setFont(self._font)
        tz = self._tz()
        for h in range(self.end_hour - self.start_hour + 1):
            ts = self._origin + h * 3600
            x = int(self.x_for(ts))
            if x < GUTTER - 1 or x > vw:
                continue
            label = datetime.fromtimestamp(ts, tz).strftime("%I %p").lstrip("0")
            p.drawText(QRect(x + 5, 0, int(self.pph) - 6, HEADER), Qt.AlignmentFlag.AlignVCenter, label)
        now = self.now()
        x = self.x_for(now)
        if self._origin <= now <= self._origin + (self.end_hour - self.start_hour) * 3600 and x >= GUTTER:
            label = clock_time(datetime.fromtimestamp(now, tz), self.model.time_zone)
            w = QFontMetrics(self._small).horizontalAdvance(label) + 10
            r = QRect(int(x) - w // 2, HEADER - 16, w, 14)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(NOW_LINE_COLOR))
            p.drawRoundedRect(r, 3, 3)
            p.setFont(self._small)
            p.setPen(QColor("#FFFFFF"))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)

    # --- events -----------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            hs = self.horizontalScrollBar()
            hs.setValue(hs.value() - event.angleDelta().y())
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        pos = event.position().toPoint()
        hit = self.block_at(pos)
        if event.button() == Qt.MouseButton.LeftButton and hit is not None:
            self._press = (hit, pos)
            self.select(hit, scroll=False)
            return
        if hit is None and pos.x() < GUTTER:
            row = self.lane_at(pos.y())
            if row is not None and self.model.lanes[row].tech_id is not None:
                self.technicianSelected.emit(int(self.model.lanes[row].tech_id))
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """A technician's row header: Pair phone… (field app QR code, Traccar Client, paired devices)."""
        row = self.lane_at(event.pos().y()) if event.pos().x() < GUTTER else None
        tech_id = self.model.lanes[row].tech_id if row is not None else None
        if tech_id is None:
            super().contextMenuEvent(event)
            return
        menu = QMenu(self)
        menu.addAction("Pair phone…", lambda t=int(tech_id): self.pairPhoneRequested.emit(t))
        menu.popup(event.globalPos())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._press is not None:
            appt_id, origin = self._press
            if self._drag is None and (pos - origin).manhattanLength() < QApplication.startDragDistance():
                return
            a = self.model.appointment(appt_id)
            row = self.lane_at(max(HEADER, min(pos.y(), self.viewport().height() - 1)))
            if a is None or row is None:
                return
            dx = pos.x() - origin.x()
            start = a.start if abs(dx) < 6 else round((a.start + dx / self.pph * 3600.0) / SNAP_S) * SNAP_S
            old = self._drag
            self._drag = (appt_id, row, start)
            if old != self._drag:
                self.viewport().update()
            return
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if self.block_at(pos) is not None
                                  else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, drag = self._press, self._drag
        self._press, self._drag = None, None
        if drag is not None:
            self.viewport().update()
            appt_id, row, start = drag
            a = self.model.appointment(appt_id)
            if a is None:
                return
            lane_tech = self.model.lanes[row].tech_id
            lane_changed = row != self.model.lane_row_of(appt_id)
            time_changed = abs(start - a.start) >= 1
            if lane_changed or time_changed:
                self.moveRequested.emit(appt_id, lane_changed, -1 if lane_tech is None else int(lane_tech),
                                        start if time_changed else -1.0)
            return
        if press is None:
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.block_at(event.position().toPoint())
        if hit is not None:
            self.select(hit, scroll=False)
            self.appointmentActivated.emit(hit)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._drag is not None:
            self._press, self._drag = None, None
            self.viewport().update()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_id is not None:
            self.appointmentActivated.emit(self.selected_id)
            return
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down):
            nxt = self._neighbour(key)
            if nxt is not None:
                self.select(nxt)
            return
        super().keyPressEvent(event)

    def _neighbour(self, key: int) -> int | None:
        visible = [i for r in self._vis for i in sorted(self.model.lanes[r].ids,
                                                         key=lambda i: self.model.appts[i].start)]
        if not visible:
            return None
        cur = self.selected_id
        if cur is None or cur not in self.model.appts:
            return visible[0]
        row = self.model.lane_row_of(cur)
        assert row is not None
        lane = sorted(self.model.lanes[row].ids, key=lambda i: self.model.appts[i].start)
        k = lane.index(cur)
        if key == Qt.Key.Key_Left:
            return lane[k - 1] if k > 0 else cur
        if key == Qt.Key.Key_Right:
            return lane[k + 1] if k + 1 < len(lane) else cur
        pos = self._vis_pos.get(row, 0)
        step = -1 if key == Qt.Key.Key_Up else 1
        t = self.model.appts[cur].start
        pos += step
        while 0 <= pos < len(self._vis):
            ids = self.model.lanes[self._vis[pos]].ids
            if ids:
                return min(ids, key=lambda i: abs(self.model.appts[i].start - t))
            pos += step
        return cur

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            he = event  # type: ignore[assignment]
            assert isinstance(he, QHelpEvent)
            hit = self.block_at(he.pos())
            if hit is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(he.globalPos(), self.tooltip_for(hit), self.viewport())
            return True
        return super().viewportEvent(event)

    def tooltip_for(self, appt_id: int) -> str:
        a = self.model.appts[appt_id]
        d = a.data
        tz = self.model.time_zone
        window = f"{clock_time(datetime.fromtimestamp(a.start, self._tz()), tz)} – " \
                 f"{clock_time(datetime.fromtimestamp(a.end, self._tz()), tz)}"
        late = "<br><b style='color:#D55E00'>⚠ LATE — not arrived 30 min after the window start</b>" \
            if a.late else ""
        from html import escape

        return (f"<b>{escape(str(d.get('customer_name')))}</b> — {escape(str(d.get('service_type')))}<br>"
                f"{escape(label_for(a.status))} · {window}<br>{escape(str(d.get('address') or ''))}<br>"
                f"Technician: {escape(str(d.get('technician_name') or 'Unassigned'))}{late}<br>"
                f"<i>Double-click or Enter to open · drag to reassign or reschedule</i>")


def day_of(ts: float, tz: str) -> date:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).date()
