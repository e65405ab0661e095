"""Where the board opens along the day: today with the current time a quarter in (the last hour's visits stay
in view), another day at its first visit — until the dispatcher scrolls that day sideways themselves."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject

from widgets.schedule_paint import GUTTER

if TYPE_CHECKING:
    from widgets.schedule_grid import ScheduleView

#: Share of the time area left of "now" on today's board.
NOW_LEAD = 0.25


class DayPlacement(QObject):
    """Scrolls a `ScheduleView` horizontally to the useful part of the day after each load and resize."""

    def __init__(self, view: ScheduleView) -> None:
        super().__init__(view)
        self.view = view
        self._user_day: date | None = None  # the day the dispatcher scrolled sideways themselves
        view.horizontalScrollBar().actionTriggered.connect(lambda _action: self.user_scrolled())

    def user_scrolled(self) -> None:
        """The dispatcher chose where to look on this day: leave it there (reloads included)."""
        self._user_day = self.view.model.day

    def reset(self, day: date) -> None:
        """Place the board again for `day` (the Today button): now, if that day is showing; else on its load."""
        self._user_day = None
        if self.view.model.day == day:
            self.apply()

    def target_ts(self) -> tuple[float, float] | None:
        """The moment to bring into view and the share of the time area to leave left of it."""
        model = self.view.model
        now = self.view.now()
        if datetime.fromtimestamp(now, ZoneInfo(model.time_zone)).date() == model.day:
            return now, NOW_LEAD
        starts = [a.start for a in model.appts.values() if model.on_day(a)]
        return (min(starts), 0.03) if starts else None

    def apply(self) -> None:
        view, hs = self.view, self.view.horizontalScrollBar()
        if self._user_day == view.model.day or hs.maximum() == 0:
            return
        target = self.target_ts()
        if target is None:
            hs.setValue(0)
            return
        ts, lead = target
        time_w = view.viewport().width() - GUTTER
        hs.setValue(int(view.x_for(ts) + hs.value() - GUTTER - lead * time_w))
