"""The Unassigned row pinned under the time header while the grid scrolls: an overlay that paints that lane with the
grid's own painting code (clicks and drags pass through to the grid, which maps the band to the Unassigned lane)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QRegion
from PySide6.QtWidgets import QWidget

from widgets.schedule_paint import GUTTER, HEADER, ROW_H

if TYPE_CHECKING:
    from widgets.schedule_grid import ScheduleView


class PinnedLane(QWidget):
    def __init__(self, view: ScheduleView):
        super().__init__(view.viewport())
        self.view = view
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName("Unassigned (pinned)")
        self.hide()

    def sync(self) -> None:
        """Shown while the grid is scrolled down and the Unassigned lane is among the lanes shown."""
        v = self.view
        on = v.pinned()
        if on:
            self.setGeometry(0, HEADER, v.viewport().width(), ROW_H + 2)
            self.raise_()
            self.update()
        self.setVisible(on)

    def paintEvent(self, event: QPaintEvent) -> None:
        v = self.view
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = v.palette()
        text = pal.color(QPalette.ColorRole.Text)
        grid = QColor(text)
        grid.setAlpha(28)
        vw = self.width()
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        p.translate(0, -HEADER)
        band = QRect(0, HEADER, vw, ROW_H)
        p.setClipRect(band)
        v._paint_hour_lines(p, [band], grid, vw, HEADER + ROW_H)
        p.setClipRect(QRect(GUTTER, HEADER, vw - GUTTER, ROW_H))
        for appt_id in v.model.lanes[0].ids:
            r = v.block_rect(appt_id)
            if r is not None:
                v._paint_block(p, v.model.appts[appt_id], r)
        v._paint_drag(p)
        v._paint_now(p, HEADER + ROW_H)
        p.setClipping(False)
        v._paint_gutter(p, [(0, HEADER)], QRegion(band), text, grid)
        shadow = QColor(text)
        shadow.setAlpha(70)
        p.setPen(QPen(shadow, 2))
        p.drawLine(0, HEADER + ROW_H, vw, HEADER + ROW_H)
        p.end()
