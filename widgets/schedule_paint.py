"""Painting the schedule grid: lanes, time header, status-coloured blocks, the now-line and the drag ghost."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen, QRegion

from models.timefmt import clock_time
from widgets.availability_layer import LaneAvailability, load_text, overbooked, paint_unavailable
from widgets.drop_ghost import drop_warnings, ghost_text, paint_label
from widgets.schedule_model import Appt, ScheduleModel
from widgets.status_colors import LATE_COLOR, NOW_LINE_COLOR, label_for, style_for

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

GUTTER = 216
HEADER = 34
ROW_H = 54

PaintObserver = Callable[[int, str, int], None]


class SchedulePainting:
    """The grid view's paint code (mixed into `ScheduleView`, which owns the layout and the state it reads)."""

    model: ScheduleModel
    dark: bool
    paint_observer: PaintObserver | None
    selected_id: int | None
    empty_text: str
    start_hour: int
    end_hour: int
    pph: float
    _origin: float
    _vis: list[int]
    _drag: tuple[int, int, float] | None
    #: Per technician id: off-hours and time off to shade, capacity for the row header (set by the console).
    availability: Mapping[int, LaneAvailability] = {}
    _font: QFont
    _bold: QFont
    _small: QFont
    _lane_font: QFont
    #: Per lane row: what its label showed when last painted (gutter_summary).
    _gutter_seen: dict[int, tuple[str, bool, int, int, int, str, bool]]

    if TYPE_CHECKING:
        def viewport(self) -> QWidget: ...
        def palette(self) -> QPalette: ...
        def horizontalScrollBar(self) -> Any: ...
        def verticalScrollBar(self) -> Any: ...
        def x_for(self, ts: float) -> float: ...
        def lane_y(self, row: int) -> int: ...
        def block_rect(self, appt_id: int) -> QRectF | None: ...
        def matches(self, a: Appt) -> bool: ...
        def _tz(self) -> ZoneInfo: ...
        def _lane_tracks(self, row: int) -> tuple[dict[int, int], int]: ...
        now: Callable[[], float]

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint only the dirty region: a changed block repaints that block, not the rows between two of them."""
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        alt = pal.color(QPalette.ColorRole.AlternateBase)
        text = pal.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlpha(28)
        region = event.region()
        clip = event.rect()
        rects = list(region) or [clip]
        vw, vh = self.viewport().width(), self.viewport().height()
        for r in rects:
            p.fillRect(r, base)
        scroll = self.verticalScrollBar().value()
        first = max(0, scroll // ROW_H)
        last = min(len(self._vis), first + vh // ROW_H + 2)
        lanes = [(pos, HEADER + pos * ROW_H - scroll) for pos in range(first, last)]
        lanes = [(pos, y) for pos, y in lanes if region.intersects(QRect(0, y, vw, ROW_H))]
        # lanes
        p.setPen(QPen(grid, 1))
        for pos, y in lanes:
            if pos % 2:
                p.fillRect(QRect(GUTTER, y, vw - GUTTER, ROW_H), alt)
            for r in rects:
                if r.top() <= y + ROW_H - 1 <= r.bottom() + 1:
                    p.drawLine(max(GUTTER, r.left() - 1), y + ROW_H - 1, min(vw, r.right() + 1), y + ROW_H - 1)
        for pos, y in lanes:
            tech = self.model.lanes[self._vis[pos]].tech_id
            if tech is not None and tech in self.availability:
                paint_unavailable(p, self.availability[tech], y, ROW_H, self.x_for, GUTTER, vw, self.dark)
        self._paint_hour_lines(p, rects, grid, vw, vh)
        # blocks
        p.setClipRect(QRect(GUTTER, HEADER, vw - GUTTER, vh - HEADER).intersected(clip))
        for pos, _y in lanes:
            for appt_id in self.model.lanes[self._vis[pos]].ids:
                r = self.block_rect(appt_id)
                if r is not None and region.intersects(r.toAlignedRect()):
                    self._paint_block(p, self.model.appts[appt_id], r)
        self._paint_drag(p)
        self._paint_now(p, vh)
        p.setClipping(False)
        if region.intersects(QRect(0, HEADER, GUTTER, vh)):
            self._paint_gutter(p, lanes, region, text, grid)
        if region.intersects(QRect(0, 0, vw, HEADER)):
            self._paint_header(p, text, grid)
        if not self.model.appts and self.empty_text:
            self._paint_empty(p, vw, text)
        p.end()

    def _paint_hour_lines(self, p: QPainter, rects: list[QRect], grid: QColor, vw: int, vh: int) -> None:
        """Hour and half-hour lines, only their stretches inside the dirty rectangles."""
        half = QColor(grid)
        half.setAlpha(14)
        solid, dashed = QPen(grid, 1), QPen(half, 1, Qt.PenStyle.DashLine)
        xs = [int(self.x_for(self._origin + h * 3600)) for h in range(self.end_hour - self.start_hour + 1)]
        for r in rects:
            top, bottom = max(HEADER, r.top() - 1), min(vh, r.bottom() + 1)
            if bottom <= top:
                continue
            for x in xs:
                if not GUTTER <= x <= vw:
                    continue
                xh = int(x + self.pph / 2)
                if r.left() - 1 <= x <= r.right() + 1:
                    p.setPen(solid)
                    p.drawLine(x, top, x, bottom)
                if r.left() - 1 <= xh <= r.right() + 1:  # dashes keep the header's 6 px beat across repaints
                    p.setPen(dashed)
                    p.drawLine(xh, top - (top - HEADER) % 6, xh, bottom)

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
        title = f"{st.glyph} {'📌 ' if d.get('pinned') else ''}{d.get('customer_name') or 'Customer'}"
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
        paint_label(p, r, self.drag_text(), self.palette(), self._bold, HEADER)

    def drag_text(self) -> str:
        """The drop ghost's words: exactly what dropping here will change ("" when nothing is dragged)."""
        if self._drag is None:
            return ""
        appt_id, row, start = self._drag
        a = self.model.appointment(appt_id)
        src = self.model.lane_row_of(appt_id)
        if a is None or src is None:
            return ""
        lane = self.model.lanes[row]
        text = ghost_text(from_name=self.model.lanes[src].name, to_name=lane.name, old_start=a.start,
                          new_start=start, duration_s=a.end - a.start, tz=self.model.time_zone)
        if lane.tech_id is None or (row == src and abs(start - a.start) < 1):
            return text
        avail = self.availability.get(lane.tech_id)
        warn = drop_warnings(others=[self.model.appts[i] for i in lane.ids if i != appt_id], start=start,
                             end=start + a.end - a.start, unavailable=avail.unavailable if avail else (),
                             tech_name=lane.name)
        return text + (" · ⚠ " + ", ".join(warn) if warn else "")

    def _paint_now(self, p: QPainter, vh: int) -> None:
        now = self.now()
        x = self.x_for(now)
        if self._origin <= now <= self._origin + (self.end_hour - self.start_hour) * 3600 and x >= GUTTER:
            p.setPen(QPen(QColor(NOW_LINE_COLOR), 2))
            p.drawLine(int(x), HEADER - 6, int(x), vh)

    def gutter_summary(self, row: int) -> tuple[str, bool, int, int, int, str, bool]:
        """What a lane's label shows (name, unassigned, jobs, done, late, booked/capacity, overbooked): a change
        that leaves it alone does not repaint the label."""
        lane = self.model.lanes[row]
        appts = [self.model.appts[i] for i in lane.ids]
        avail = self.availability.get(lane.tech_id) if lane.tech_id is not None else None
        return (lane.name, lane.tech_id is None, len(appts),
                sum(1 for a in appts if a.status in ("complete", "paused")), sum(1 for a in appts if a.late),
                load_text(avail, appts) if avail is not None else "", overbooked(avail, appts))

    def _paint_gutter(self, p: QPainter, lanes: list[tuple[int, int]], region: QRegion, text: QColor,
                      grid: QColor) -> None:
        pal = self.palette()
        vh = self.viewport().height()
        p.setPen(QPen(grid, 1))
        for r in region:  # the column's background and its edge, only where it is dirty
            part = r.intersected(QRect(0, HEADER, GUTTER, vh - HEADER))
            if part.isEmpty():
                continue
            p.fillRect(part, pal.color(QPalette.ColorRole.Window))
            p.drawLine(GUTTER - 1, max(0, part.top() - 1), GUTTER - 1, min(vh, part.bottom() + 1))
        fm = QFontMetrics(self._lane_font)
        muted = QColor(text)
        muted.setAlpha(150)
        for pos, y in lanes:
            row = self._vis[pos]
            lane = self.model.lanes[row]
            if not region.intersects(QRect(0, y, GUTTER, ROW_H)):
                continue
            summary = self.gutter_summary(row)
            self._gutter_seen[row] = summary
            _name, _unassigned, jobs, done, late, load, over = summary
            name_font = QFont(self._lane_font)
            name_font.setBold(True)
            name_font.setItalic(lane.tech_id is None)
            load_w = QFontMetrics(self._small).horizontalAdvance(load) + 8 if load else 0
            if load:
                p.setFont(self._small)
                p.setPen(QColor(LATE_COLOR) if over else muted)
                p.drawText(QRect(GUTTER - load_w - 10, y + 6, load_w, fm.height() + 2),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, load)
            p.setFont(name_font)
            p.setPen(text)
            p.drawText(QRect(14, y + 6, GUTTER - 24 - load_w, fm.height() + 2), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(lane.name, Qt.TextElideMode.ElideRight, GUTTER - 24 - load_w))
            p.setFont(self._small)
            jobs_text = f"{jobs} job{'s' if jobs != 1 else ''}" + (f" · {done} done" if jobs else "")
            p.setPen(muted)
            p.drawText(QRect(14, y + 8 + fm.height(), GUTTER - 24, fm.height()), Qt.AlignmentFlag.AlignLeft,
                       jobs_text)
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
