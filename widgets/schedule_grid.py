"""The schedule grid view: lanes × time axis, status-coloured blocks, now-line, drag to reassign/reschedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QFont,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QMenu, QToolTip, QWidget

from models.timefmt import clock_time
from widgets.day_placement import DayPlacement
from widgets.drop_ghost import keeps_time
from widgets.pinned_lane import PinnedLane
from widgets.schedule_model import Appt, ScheduleModel
from widgets.schedule_paint import GUTTER, HEADER, ROW_H, PaintObserver, SchedulePainting
from widgets.status_colors import label_for

SNAP_S = 15 * 60
MIN_PX_PER_HOUR = 84.0



class ScheduleView(SchedulePainting, QAbstractScrollArea):
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
        self.fit_day = False  # "Fit the whole day": every hour of the day in view, no horizontal scrolling
        self._origin = 0.0
        self._vis: list[int] = []
        #: Shown on a day without appointments (the window sets it; empty: nothing is drawn).
        self.empty_text = "No appointments on this day."
        self._vis_pos: dict[int, int] = {}
        #: Per lane: the track of each block, the number of tracks, and the spans they were computed from.
        self._tracks: dict[int, tuple[dict[int, int], int, dict[int, tuple[float, float]]]] = {}
        self._gutter_seen = {}
        self._tech_filter: set[int | None] | None = None
        self._status_filter: set[str] | None = None
        self._text_filter = ""
        #: Another filter on top (skills and zones): technicians' lanes to keep, and which visits match.
        self._extra_techs: set[int] | None = None
        self._extra_match: Callable[[Appt], bool] | None = None
        #: What a right-click on a visit offers (features add theirs); the menu last shown.
        self.block_actions: list[QAction] = []
        self.block_menu: QMenu | None = None
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
        self.pin = PinnedLane(self)
        self.placement = DayPlacement(self)
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
        self.pph = avail / hours if self.fit_day else max(MIN_PX_PER_HOUR, avail / hours)
        total_w = GUTTER + int(hours * self.pph) + 8
        self.horizontalScrollBar().setRange(0, max(0, total_w - self.viewport().width()))
        self.horizontalScrollBar().setPageStep(self.viewport().width())
        total_h = HEADER + len(self._vis) * ROW_H
        self.verticalScrollBar().setRange(0, max(0, total_h - self.viewport().height()))
        self.verticalScrollBar().setPageStep(self.viewport().height())
        self.verticalScrollBar().setSingleStep(ROW_H)
        self.pin.sync()

    def _filter_lanes(self) -> None:
        self._vis = [r for r, ln in enumerate(self.model.lanes)
                     if (self._tech_filter is None or ln.tech_id in self._tech_filter)
                     and (self._extra_techs is None or ln.tech_id is None or ln.tech_id in self._extra_techs)]
        self._vis_pos = {r: i for i, r in enumerate(self._vis)}

    def x_for(self, ts: float) -> float:
        return GUTTER + (ts - self._origin) / 3600.0 * self.pph - self.horizontalScrollBar().value()

    def ts_for(self, x: float) -> float:
        return self._origin + (x - GUTTER + self.horizontalScrollBar().value()) / self.pph * 3600.0

    def pinned(self) -> bool:
        """The Unassigned lane stays under the header while the grid is scrolled down (widgets/pinned_lane.py)."""
        return bool(self._vis) and self._vis[0] == 0 and self.verticalScrollBar().value() > 0

    def lane_y(self, row: int) -> int:
        if row == 0 and self.pinned():
            return HEADER
        return HEADER + self._vis_pos.get(row, -1000) * ROW_H - self.verticalScrollBar().value()

    def lane_at(self, y: int) -> int | None:
        if self.pinned() and HEADER <= y < HEADER + ROW_H:
            return 0
        pos = (y - HEADER + self.verticalScrollBar().value()) // ROW_H
        return self._vis[pos] if y >= HEADER and 0 <= pos < len(self._vis) else None

    def _lane_tracks(self, row: int) -> tuple[dict[int, int], int]:
        cached = self._tracks.get(row)
        if cached is not None:
            return cached[0], cached[1]
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
        self._tracks[row] = (where, max(1, len(ends)), {a.id: (a.start, a.end) for a in appts})
        return where, max(1, len(ends))

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

    def set_extra_filter(self, techs: set[int] | None, match: Callable[[Appt], bool] | None) -> None:
        """Keep only these technicians' lanes (and Unassigned), dim visits `match` rejects; None: no such filter."""
        self._extra_techs, self._extra_match = techs, match
        self._filter_lanes()
        self._relayout()
        self.viewport().update()

    def matches(self, a: Appt) -> bool:
        if self._status_filter is not None and a.status not in self._status_filter:
            return False
        if self._extra_match is not None and not self._extra_match(a):
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
        band = ROW_H if self._vis[0] == 0 and row != 0 else 0  # rows hide under the pinned Unassigned lane
        if row != 0 and y - HEADER - band < vs.value():
            vs.setValue(y - HEADER - band)
        elif y + ROW_H > vs.value() + self.viewport().height():
            vs.setValue(y + ROW_H - self.viewport().height())
        r = self.block_rect(appt_id)
        if r is not None and (r.left() < GUTTER or r.right() > self.viewport().width()):
            hs = self.horizontalScrollBar()
            hs.setValue(int(hs.value() + r.left() - GUTTER - 40))
            self.placement.user_scrolled()  # a visit the dispatcher asked for stays in view

    def _update_block(self, appt_id: int | None) -> None:
        if appt_id is None:
            return
        r = self.block_rect(appt_id)
        if r is not None:
            self.viewport().update(r.toAlignedRect().adjusted(-4, -4, 4, 4))

    # --- model signals ----------------------------------------------------------------------------
    def _on_reset(self) -> None:
        self._tracks.clear()
        self._gutter_seen.clear()
        self._compute_range()
        self._filter_lanes()
        self._relayout()
        self.placement.apply()
        if self.selected_id is not None and self.model.appointment(self.selected_id) is None:
            self.selected_id = None
        self.viewport().update()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int] | None = None) -> None:
        """Repaint what changed: the changed blocks and their lane's label when nothing moved (a status, a
        LATE flag), the whole lane when a block moved or the lane's tracks were re-stacked."""
        parent = top.parent()
        if not parent.isValid():
            self.viewport().update(0, 0, GUTTER, self.viewport().height())
            return
        lane = parent.row()
        ids = self.model.lanes[lane].ids
        changed = ids[top.row():bottom.row() + 1]
        old = self._tracks.pop(lane, None)
        end_ts = self._origin + (self.end_hour - self.start_hour) * 3600
        for i in changed:
            a = self.model.appts[i]
            if a.start < self._origin or a.end > end_ts:
                self._on_reset()
                return
        y = self.lane_y(lane)
        if not -ROW_H < y < self.viewport().height():
            return
        where, n = self._lane_tracks(lane)
        spans = self._tracks[lane][2]
        if old is not None and old[0] == where and old[1] == n and all(old[2].get(i) == spans[i] for i in changed):
            if self._gutter_seen.get(lane) != self.gutter_summary(lane):
                self.viewport().update(0, y, GUTTER, ROW_H)  # the lane's counts (done, late, booked)
            for i in changed:
                self._update_block(i)
            return
        self.viewport().update(0, y, self.viewport().width(), ROW_H)

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

    # --- events -----------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()
        self.placement.apply()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()
        self.pin.sync()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            hs = self.horizontalScrollBar()
            hs.setValue(hs.value() - event.angleDelta().y())
            self.placement.user_scrolled()
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
        """A technician's row header: Pair phone… (field app QR code, Traccar Client, paired devices). A visit:
        it is selected and `block_actions` (plugged in by features, e.g. Who is best…) are offered."""
        appt_id = self.block_at(event.pos())
        if appt_id is not None and self.block_actions:
            self.select(appt_id)
            self.block_menu = QMenu(self)
            self.block_menu.addActions(self.block_actions)
            self.block_menu.popup(event.globalPos())
            return
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
            keep = keeps_time(dx, self.pph, row != self.model.lane_row_of(appt_id))
            start = a.start if keep else round((a.start + dx / self.pph * 3600.0) / SNAP_S) * SNAP_S
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
