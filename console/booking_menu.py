"""Booking from the board: New appointment (toolbar, Ctrl+N, double-click on an empty slot, grid context menu)
and the conflict check before every drag, drop and reassign ("Book anyway" / "Cancel")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import QMenu, QToolBar, QVBoxLayout

from console import theme
from models.timefmt import clock_time
from services.api_client import ApiError
from widgets.appointment_card import AppointmentCard
from widgets.card_booking import CardBooking
from widgets.conflict_panel import ConflictPanel
from widgets.new_appointment import NewAppointmentDialog
from widgets.schedule_paint import GUTTER, HEADER

if TYPE_CHECKING:
    from console.live import LiveSync
    from console.main_window import MainWindow

HINT = "\nDouble-click an empty slot, or press Ctrl+N, to book a visit."
SLOT_S = 30 * 60  # a double-click books at the half hour it falls in
DEFAULT_MIN = 120

#: (appointment id, lane changed?, technician id or -1, new start epoch s or -1)
Move = tuple[int, bool, int, float]


class BookingMenu(QObject):
    """Owns the New appointment action, the grid's slot gestures and the drop-conflict strip above the grid."""

    def __init__(self, window: MainWindow, live: LiveSync):
        super().__init__(window)
        self.window, self.live, self.api = window, live, live.client
        self.dialog: NewAppointmentDialog | None = None
        self.pending: Move | None = None  # the move the conflict strip is asking about
        self.checks = 0  # conflict checks answered (tests wait on it)
        self.action = QAction(theme.icon("new"), "&New appointment…", window)
        self.action.setShortcut(QKeySequence("Ctrl+N"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setToolTip("Book a visit: customer, job, job site, time and technician (Ctrl+N)")
        self.action.triggered.connect(lambda: self.open_new())
        window.addAction(self.action)
        window.actions_by_name["new"] = self.action  # listed in Help → Keyboard shortcuts
        self._add_to_menus()
        self.conflicts = ConflictPanel(window)
        self.conflicts.setAccessibleName("Move conflicts")
        self.conflicts.bookAnyway.connect(self._move_anyway)
        self.conflicts.cancelled.connect(self._move_cancelled)
        esc = QShortcut(QKeySequence("Esc"), self.conflicts, activated=self.conflicts.cancel_btn.click)
        esc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # Esc while the question has the focus
        central = window.centralWidget().layout()
        if isinstance(central, QVBoxLayout):
            central.insertWidget(central.indexOf(window.banner) + 1, self.conflicts)
        view = window.view
        view.moveRequested.disconnect(window.request_move)
        view.moveRequested.connect(self.on_move)
        window.moveRefused.connect(self._refused)
        window.cardOpened.connect(self.attach_card)
        live.dayLoaded.connect(self._day_loaded)
        view.viewport().installEventFilter(self)
        if live.store.loaded:
            self._day_loaded(live.model.day)

    def _add_to_menus(self) -> None:
        bar = self.window.menuBar()
        menu = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "Schedule"), None)
        if isinstance(menu, QMenu):
            first = menu.actions()[0] if menu.actions() else None
            menu.insertAction(first, self.action)
            menu.insertSeparator(first)
        tb = self.window.findChild(QToolBar, "toolbar_main")
        if tb is not None:
            first = tb.actions()[0] if tb.actions() else None
            tb.insertAction(first, self.action)
            tb.insertSeparator(first)

    # --- new appointment --------------------------------------------------------------------------------
    def slot_at(self, pos: QPoint) -> tuple[int | None, datetime] | None:
        """(technician id or None for Unassigned, start at the half hour) of an empty spot of the grid."""
        view = self.window.view
        row = view.lane_at(pos.y())
        if row is None or pos.x() < GUTTER or pos.y() < HEADER or view.block_at(pos) is not None:
            return None
        ts = view.ts_for(pos.x())
        start = datetime.fromtimestamp(ts - ts % SLOT_S, UTC)
        tech = view.model.lanes[row].tech_id
        return (None if tech is None else int(tech)), start

    def open_new(self, technician_id: int | None = None, start: datetime | None = None) -> NewAppointmentDialog:
        """The New appointment dialog, prefilled; what it books lands on the grid through the store."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        dlg = NewAppointmentDialog(self.api, technicians=self.live.technicians, company=self.live.company,
                                   tile_url=self.tile_url(), technician_id=technician_id, start=start,
                                   duration_min=DEFAULT_MIN, parent=self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.created.connect(self._created)
        dlg.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dlg
        dlg.open()
        return dlg

    def _created(self, appt: dict[str, Any], reveal: bool = True) -> None:
        """Into the store (the grid shows it when it is on the grid's day); `reveal` goes to its day."""
        self.live.apply(appt)
        if self.live.store.local_day(appt["window_start"]) == self.live.model.day:
            self.window.view.select(int(appt["id"]))
        elif reveal:
            self.window.select_appointment(int(appt["id"]))
        who = appt.get("technician_name") or "Unassigned"
        when = clock_time(datetime.fromisoformat(appt["window_start"]), self.live.tz)
        self.window.statusBar().showMessage(f"Booked {appt.get('customer_name')} at {when} · {who}.", 8000)

    def context_menu(self, pos: QPoint) -> QMenu:
        """The grid's menu: "New appointment here…" on an empty slot, Open on a block."""
        view = self.window.view
        menu = QMenu(view)
        hit = view.block_at(pos)
        if hit is not None:
            view.select(hit, scroll=False)
            menu.addAction("Open appointment", lambda: self.window.open_card(hit))
        slot = self.slot_at(pos)
        if slot is not None:
            tech, start = slot
            lane = "Unassigned" if tech is None else self.live.store.technicians.get(tech, {}).get("name", "")
            act = menu.addAction(f"New appointment here…  ({lane}, {clock_time(start, self.live.tz)})",
                                 lambda: self.open_new(tech, start))
            act.setObjectName("new_here")
        menu.addAction(self.action)
        return menu

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonDblClick and isinstance(event, QMouseEvent) \
                and event.button() == Qt.MouseButton.LeftButton:
            slot = self.slot_at(event.position().toPoint())
            if slot is not None:
                self.open_new(*slot)
                return True
        elif kind == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent) and event.pos().x() >= GUTTER:
            self.context_menu(event.pos()).popup(event.globalPos())  # the row headers have their own menu
            return True
        return False

    def tile_url(self) -> str:
        tiles = getattr(self.window.panels.get("Crew map"), "tile_url", None)
        return str(tiles if tiles is not None else QSettings().value("map/tile_url", "") or "")

    def attach_card(self, card: AppointmentCard) -> CardBooking:
        """Edit job…, Book follow-up…, the location state and the conflict check on the card's Save."""
        return CardBooking(card, technicians=lambda: self.live.technicians, company=lambda: self.live.company,
                           tile_url=self.tile_url(), booked=lambda a: self._created(a, reveal=False))

    # --- conflicts before a move --------------------------------------------------------------------------
    def on_move(self, appt_id: int, lane_changed: bool, tech_id: int, start_ts: float) -> None:
        """A drop: ask the server what it would clash with; move at once when nothing, else ask first."""
        self.window.tasks.spawn(self.check_move((appt_id, lane_changed, tech_id, start_ts)), "check the move")

    async def check_move(self, move: Move) -> list[dict[str, Any]]:
        appt_id, lane_changed, tech_id, start_ts = move
        appt = self.live.model.appointment(appt_id)
        if appt is None:
            return []
        tech = (tech_id if tech_id >= 0 else None) if lane_changed else appt.data.get("technician_id")
        start = datetime.fromtimestamp(start_ts if start_ts >= 0 else appt.start, UTC)
        end = start + timedelta(seconds=appt.end - appt.start)
        found: list[dict[str, Any]] = []
        if tech is not None:
            try:
                found = (await self.api.check_appointment(int(tech), start, end, appointment_id=appt_id))["conflicts"]
            except ApiError:
                found = []  # the server checks again when the move is saved (a 409 comes back here)
        self.checks += 1
        if found:
            self.ask(move, found)
        else:
            self.conflicts.clear()
            self.window.request_move(*move)
        return found

    def ask(self, move: Move, found: list[dict[str, Any]], *, raced: bool = False) -> None:
        """Show the conflicts above the grid; nothing is saved until "Book anyway"."""
        appt_id, lane_changed, tech_id, _start = move
        appt = self.live.model.appointment(appt_id)
        name = (appt.data.get("customer_name") if appt else None) or f"appointment #{appt_id}"
        tech = self._tech_name(tech_id if lane_changed else (appt.data.get("technician_id") if appt else None))
        self.pending = move
        question = (f"Someone else booked that time first. Move {name} anyway?" if raced
                    else f"Move {name} anyway?")
        self.conflicts.show_conflicts(tech, found, question=question)

    def _tech_name(self, tech_id: Any) -> str:
        if tech_id is None or int(tech_id) < 0:
            return "Unassigned"
        return str(self.live.store.technicians.get(int(tech_id), {}).get("name") or f"Technician #{tech_id}")

    def _move_anyway(self) -> None:
        move, self.pending = self.pending, None
        if move is not None:
            self.window.request_move(*move, anyway=True)

    def _move_cancelled(self) -> None:
        move, self.pending = self.pending, None
        if move is not None:
            appt = self.live.model.appointment(move[0])
            name = appt.data.get("customer_name") if appt else "The appointment"
            self.window.statusBar().showMessage(f"Not moved: {name} stays where it was.", 6000)

    def _day_loaded(self, _day: Any) -> None:
        """Another day is shown: a question about a move on the old one is dropped (nothing was saved), and an
        empty day with technicians says how to book onto it."""
        view = self.window.view
        if len(self.live.model.lanes) > 1 and not self.live.model.appts and HINT not in view.empty_text:
            view.empty_text += HINT
            view.viewport().update()
        if self.pending is not None:
            self.pending = None
            self.conflicts.clear()

    def _refused(self, refused: tuple[Move, list[dict[str, Any]]]) -> None:
        """The server refused a move the check had allowed (another console booked meanwhile): ask again."""
        move, found = refused
        appt_id = move[0]
        self.ask(move, list(found or []), raced=True)
        self.live.queue_refresh(appt_id)


def install(window: MainWindow, live: LiveSync) -> BookingMenu:
    """Add New appointment (Schedule menu, toolbar, Ctrl+N, grid gestures) and the conflict check on moves."""
    menu = BookingMenu(window, live)
    window.booking = menu  # type: ignore[attr-defined]
    return menu

