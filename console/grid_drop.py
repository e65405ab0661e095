"""Dropping unassigned work from its dock onto the grid: the drop ghost shows the technician and time, the drop asks
the window to move it there (the same PATCH, If-Match and messages as dragging a block)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QDragMoveEvent, QDropEvent

from widgets.schedule_grid import SNAP_S
from widgets.schedule_paint import GUTTER
from widgets.unassigned_dock import dropped_id

if TYPE_CHECKING:
    from widgets.schedule_grid import ScheduleView


class GridDrop(QObject):
    """An event filter on the grid's viewport."""

    def __init__(self, view: ScheduleView):
        super().__init__(view)
        self.view = view
        view.viewport().setAcceptDrops(True)
        view.viewport().installEventFilter(self)

    def target(self, appt_id: int, pos: QPoint) -> tuple[int, float] | None:
        """(lane row, new start) for a drop at `pos`; the visit keeps its time when dropped inside its window."""
        v = self.view
        a = v.model.appointment(appt_id)
        row = v.lane_at(pos.y())
        if a is None or row is None:
            return None
        ts = v.ts_for(max(GUTTER, pos.x()))
        start = a.start if a.start <= ts <= a.end else round(ts / SNAP_S) * SNAP_S
        return row, start

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DragLeave:
            self._ghost(None)
            return False
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        assert isinstance(event, (QDragMoveEvent, QDropEvent))
        appt_id = dropped_id(event.mimeData())
        if appt_id is None:
            return False
        where = self.target(appt_id, event.position().toPoint())
        if where is None:
            event.ignore()
            self._ghost(None)
            return True
        event.acceptProposedAction()
        if kind != QEvent.Type.Drop:
            self._ghost((appt_id, *where))
            return True
        self._ghost(None)
        self.drop(appt_id, *where)
        return True

    def drop(self, appt_id: int, row: int, start: float) -> bool:
        """Ask for the move (False when it changes nothing: dropped back on Unassigned at its own time)."""
        v = self.view
        a = v.model.appointment(appt_id)
        if a is None:
            return False
        tech = v.model.lanes[row].tech_id
        lane_changed = row != v.model.lane_row_of(appt_id)
        time_changed = abs(start - a.start) >= 1
        if not (lane_changed or time_changed):
            return False
        v.moveRequested.emit(appt_id, lane_changed, -1 if tech is None else int(tech),
                             start if time_changed else -1.0)
        return True

    def _ghost(self, drag: tuple[int, int, float] | None) -> None:
        if self.view._drag != drag:
            self.view._drag = drag
            self.view.viewport().update()
