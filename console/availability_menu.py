"""Technicians' availability on the board: Schedule → Working hours and time off… (and the row header's menu)
opens the editor (administrators change, dispatchers read); the grid shades off-hours and time off and each row
header shows booked hours / capacity, reloaded with the day and whenever hours or time off change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QHelpEvent
from PySide6.QtWidgets import QInputDialog, QMenu, QToolTip

from models.availability import duration_words, first_name
from models.events import EventName
from services.api_client import ApiError
from widgets.availability_editor import AvailabilityEditor
from widgets.availability_layer import from_day, load_text, reason_at
from widgets.schedule_paint import GUTTER, HEADER

if TYPE_CHECKING:
    from console.live import LiveSync
    from console.main_window import MainWindow


class AvailabilityMenu(QObject):
    def __init__(self, window: MainWindow, live: LiveSync):
        super().__init__(window)
        self.window, self.live, self.api = window, live, live.client
        self.loads = 0  # availability answers applied (tests wait on it)
        self.editor: AvailabilityEditor | None = None
        self._seq = 0
        self.action = QAction("&Working hours and time off…", window)
        self.action.setToolTip("A technician's week and time off (administrators can change them)")
        self.action.triggered.connect(lambda: self.open_editor())
        window.addAction(self.action)
        bar = window.menuBar()
        menu = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "Schedule"), None)
        if isinstance(menu, QMenu):
            menu.addSeparator()
            menu.addAction(self.action)
        live.dayLoaded.connect(lambda _day: self.refresh())
        live.eventReceived.connect(self._on_event)
        window.view.viewport().installEventFilter(self)
        if live.store.loaded:
            self.refresh()

    # --- the layer ------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.window.tasks.spawn(self.load(), "load the technicians' hours")

    async def load(self) -> bool:
        """Fetch the grid day's availability and hand it to the grid (an older answer never wins)."""
        self._seq += 1
        seq, day = self._seq, self.live.model.day
        try:
            res = await self.api.availability(day)
        except ApiError:
            return False  # the grid still works without shading; the next day load or event retries
        if seq != self._seq or day != self.live.model.day:
            return False
        self.window.view.availability = from_day(res)
        self.window.view.viewport().update()
        self.loads += 1
        return True

    def _on_event(self, name: str, data: Any) -> None:
        if name == EventName.TECHNICIAN_UPDATED and isinstance(data, dict) and data.get("availability"):
            self.refresh()

    # --- the editor -----------------------------------------------------------------------------------------
    def technician_for_selection(self) -> int | None:
        view = self.window.view
        if view.selected_id is not None and (a := self.live.model.appointment(view.selected_id)) is not None:
            tech = a.data.get("technician_id")
            return int(tech) if tech is not None else None
        return None

    def open_editor(self, tech_id: int | None = None) -> AvailabilityEditor | None:
        """The editor for a technician (the given one, the selected visit's, or one picked from the list)."""
        techs = {int(t["id"]): t for t in self.live.technicians if t.get("active", True)}
        tech_id = tech_id if tech_id is not None else self.technician_for_selection()
        if tech_id is None:
            names = sorted(str(t["name"]) for t in techs.values())
            if not names:
                self.window.banner.show_message("No technicians yet.", kind="info")
                return None
            name, ok = QInputDialog.getItem(self.window, "Working hours and time off", "Technician:", names, 0,
                                            False)
            if not ok:
                return None
            tech_id = next(i for i, t in techs.items() if t["name"] == name)
        tech = techs.get(tech_id) or self.live.store.technicians.get(tech_id)
        if tech is None:
            return None
        if self.editor is not None:
            self.editor.close()
        ed = AvailabilityEditor(self.api, tech, time_zone=self.live.tz, is_admin=self.window.role == "admin",
                                parent=self.window)
        ed.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ed.changed.connect(self.refresh)
        ed.finished.connect(lambda *_: ed.tasks.cancel())
        ed.destroyed.connect(lambda *_: setattr(self, "editor", None))
        self.editor = ed
        ed.show()
        ed.tasks.spawn(ed.load())
        return ed

    def header_menu(self, pos: QPoint) -> QMenu | None:
        """The row header's menu: that technician's hours and time off."""
        view = self.window.view
        row = view.lane_at(pos.y())
        if row is None or pos.x() >= GUTTER or pos.y() < HEADER:
            return None
        tech = view.model.lanes[row].tech_id
        if tech is None:
            return None
        menu = QMenu(view)
        verb = "Edit" if self.window.role == "admin" else "Show"
        act = menu.addAction(f"{verb} {view.model.lanes[row].name}'s working hours and time off…",
                             lambda: self.open_editor(int(tech)))
        act.setObjectName("hours_for_row")
        menu.addAction(f"Edit {view.model.lanes[row].name}'s details and sign-in…",
                       lambda: self.window.edit_technician(int(tech))).setObjectName("details_for_row")
        pair = getattr(view, "pairPhoneRequested", None)
        if pair is not None:  # the row header's other entry (the grid's own menu, kept)
            menu.addAction("Pair phone…", lambda t=int(tech): pair.emit(t))
        return menu

    def tooltip_at(self, pos: QPoint) -> str | None:
        """On a row header: booked / capacity in words; on a shaded span: why the technician is unavailable."""
        view = self.window.view
        row = view.lane_at(pos.y())
        if row is None or pos.y() < HEADER:
            return None
        lane = view.model.lanes[row]
        avail = view.availability.get(lane.tech_id) if lane.tech_id is not None else None
        if avail is None:
            return None
        if pos.x() < GUTTER:
            load = load_text(avail, [view.model.appts[i] for i in lane.ids])
            cap = ("no working hours set (always available)" if avail.capacity_minutes is None
                   else f"{duration_words(avail.capacity_minutes)} available" if avail.capacity_minutes
                   else "not working this day")
            return f"{lane.name}: {load} — {cap}. Right-click for working hours and time off."
        if view.block_at(pos) is not None:
            return None
        why = reason_at(avail, view.ts_for(pos.x()))
        if why is None:
            return None
        name = first_name(lane.name)
        return f"{name} is off: {why}" if why != "Outside working hours" else f"Outside {name}'s working hours"

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            menu = self.header_menu(event.pos())
            if menu is not None:
                menu.popup(event.globalPos())
                return True
        elif kind == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tooltip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.window.view.viewport())
                return True
        return False


def install(window: MainWindow, live: LiveSync) -> AvailabilityMenu:
    menu = AvailabilityMenu(window, live)
    window.availability = menu  # type: ignore[attr-defined]
    return menu
