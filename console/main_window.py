"""The main window: schedule grid in the centre, tabbable dock panels, menus, toolbar and the link status."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from PySide6.QtCore import SIGNAL, QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from console import theme
from console.live import LiveSync
from console.schedule_bar import ScheduleBar
from console.selection import job_for_technician
from console.undo import ChangeDesk
from console.wiring import PANELS
from models.enums import AlertKind
from services.api_client import ApiError
from widgets.appointment_card import AppointmentCard
from widgets.banner import Banner
from widgets.card_text import describe_changes
from widgets.schedule_grid import ScheduleView
from widgets.tasks import TaskSet

log = logging.getLogger(__name__)

LINK_STYLE = {"live": "LinkLive", "connecting": "LinkWarn", "reconnecting": "LinkWarn", "offline": "LinkOffline",
              "signed_out": "LinkOffline"}


class MainWindow(QMainWindow):
    """Other panels plug in with `set_panel(name, widget)`; the selection bus is `select_*` + the signals."""

    appointmentSelected = Signal(int)
    technicianSelected = Signal(int)
    signInRequested = Signal(str)
    closing = Signal()
    cardOpened, moveRefused = Signal(object), Signal(object)  # a new card; (request_move's arguments, conflicts)

    def __init__(self, live: LiveSync, *, settings: QSettings | None = None, user_name: str = "",
                 server_label: str = "", role: str = "dispatcher", parent: QWidget | None = None):
        super().__init__(parent)
        self.live = live
        self.role = role
        self.api = live.client
        self.settings = settings or QSettings()
        self.tasks = TaskSet(lambda text: self.banner.show_message(escape(text)))
        self.cards: dict[int, AppointmentCard] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        self.dark = self.settings.value("theme/dark", False, type=bool)
        self.setWindowTitle("Dispatch Console")
        self.setWindowIcon(theme.icon("app"))
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.bar = ScheduleBar()
        self.banner = Banner()
        self.view = ScheduleView(live.model)
        self.view.dark = self.dark
        lay.addWidget(self.bar)
        lay.addWidget(self.banner)
        lay.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self._build_docks()
        self._build_actions()
        self._build_status(user_name, server_label)
        self.changes = ChangeDesk(self)  # "Text the customer?" before moves; undo of the last change
        self._connect()
        self._restore()

    # --- construction ---------------------------------------------------------------------------------
    def _build_docks(self) -> None:
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for spec in PANELS:
            name, empty = spec.name, spec.empty_text
            dock = QDockWidget(name, self)
            dock.setObjectName("dock_" + name.lower().replace(" ", "_"))
            label = QLabel(empty, objectName="EmptyState", wordWrap=True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            dock.setWidget(label)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(right, dock)
            self.docks[name] = dock
        d = self.docks
        self.splitDockWidget(d["Booking requests"], d["Crew map"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(d["Booking requests"], d["Late alerts"])
        self.tabifyDockWidget(d["Late alerts"], d["Bio approvals"])
        self.tabifyDockWidget(d["Crew map"], d["Portal preview"])
        d["Late alerts"].raise_()
        d["Crew map"].raise_()
        self.resizeDocks([d["Late alerts"]], [440], Qt.Orientation.Horizontal)
        self.resizeDocks([d["Late alerts"], d["Crew map"]], [62, 38], Qt.Orientation.Vertical)  # room to read

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Any,
                icon: str = "", tip: str = "") -> QAction:
        act = QAction(theme.icon(icon) if icon else theme.icon("none"), text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setToolTip(f"{tip or text.replace('&', '')}"
                       + (f" ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                          if shortcut is not None else ""))
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        a = self.actions_by_name = {
            "prev": self._action("&Previous day", "Alt+Left", lambda: self.bar.step(-1), "prev"),
            "today": self._action("&Today", "Ctrl+T", self.go_today, "today"),
            "next": self._action("&Next day", "Alt+Right", lambda: self.bar.step(1), "next"),
            "goto": self._action("&Go to date…", "Ctrl+G", self._focus_date),
            "refresh": self._action("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh, "refresh",
                                    "Reload the day from the server"),
            "find": self._action("&Find…", QKeySequence.StandardKey.Find, self._focus_search, "search"),
            "open": self._action("&Open appointment", "Ctrl+O", self._open_selected, "open"),
            "theme": self._action("&Dark theme", "Ctrl+Shift+D", self.toggle_theme, "theme"),
            "signin": self._action("Sign &in again…", None, lambda: self.signInRequested.emit(""), "signin"),
            "settings": self._action("&Settings…", "Ctrl+,", self.open_settings, "settings",
                                     "Company, customer portal, notifications, map and ETA"),
            "team": self._action("&Technicians…", None, self.open_technicians, "none",
                                 "Add technicians, edit their details and field-app sign-in"),
            "locks": self._action("&Locked accounts…", None, self.open_locked_accounts, "signin",
                                  "Who cannot sign in after wrong passwords; administrators can unlock"),
            "preview": self._action("Preview in &portal", "Ctrl+Shift+P", self.preview_selected, "preview",
                                    "Show the selected appointment as its customer sees it"),
            "quit": self._action("&Quit", QKeySequence.StandardKey.Quit, self.close),
            "reset": self._action("Reset &layout", None, self.reset_layout),
            "keys": self._action("&Keyboard shortcuts", "F1", self.show_shortcuts),
        }
        a["theme"].setCheckable(True)
        a["theme"].setChecked(self.dark)
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([a["team"], a["settings"], a["locks"], a["signin"]])
        m.addSeparator()
        m.addAction(a["quit"])
        m = mb.addMenu("&Schedule")
        m.addActions([a["prev"], a["today"], a["next"], a["goto"]])
        m.addSeparator()
        m.addActions([a["find"], a["open"], a["preview"], a["refresh"]])
        m = mb.addMenu("&View")
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        m.addActions([a["theme"], a["reset"]])
        m = mb.addMenu("&Help")
        m.addAction(a["keys"])
        tb = self.addToolBar("Main")
        tb.setObjectName("toolbar_main")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addActions([a["prev"], a["today"], a["next"]])
        tb.addSeparator()
        tb.addActions([a["refresh"], a["open"], a["preview"]])
        tb.addSeparator()
        tb.addAction(a["theme"])

    def _build_status(self, user_name: str, server_label: str) -> None:
        sb = self.statusBar()
        self.link_label = QLabel("Connecting…", objectName="LinkWarn")
        self.link_label.setAccessibleName("Connection status")
        self.counts_label = QLabel(objectName="Muted")
        self.user_label = QLabel(objectName="Muted")
        self.set_user(user_name, server_label)
        sb.addWidget(self.link_label)
        sb.addWidget(self.counts_label)
        sb.addPermanentWidget(self.bar.legend)
        sb.addPermanentWidget(self.user_label)

    def set_user(self, user_name: str, server_label: str) -> None:
        self.user_label.setText(f"{user_name} · {server_label}" if server_label else user_name)

    def _connect(self) -> None:
        lv = self.live
        lv.linkChanged.connect(self.set_link)
        lv.dayLoaded.connect(self._day_loaded)
        lv.loadFailed.connect(lambda msg: self.banner.show_message(escape(msg), retry=self.refresh))
        lv.unauthorized.connect(self.signInRequested.emit)
        self._counts_timer = QTimer(self, singleShot=True, interval=400)
        self._counts_timer.timeout.connect(self._update_counts)
        lv.appointmentRefreshed.connect(lambda _id: self._counts_timer.start()
                                        if not self._counts_timer.isActive() else None)
        self._late_flagged: set[int] | None = None  # appointments with an open LATE alert (kept until alerts change)
        lv.store.alertChanged.connect(self._alerts_changed)
        lv.store.reset.connect(self._alerts_changed)
        self.bar.dayRequested.connect(self.go_to_day)
        self.bar.filtersChanged.connect(self.view.set_filters)
        self.view.appointmentSelected.connect(self.appointmentSelected.emit)
        self.view.technicianSelected.connect(self.technicianSelected.emit)
        self.view.appointmentActivated.connect(self.open_card)
        self.view.moveRequested.connect(self.request_move)
        self.view.pairPhoneRequested.connect(self.open_pair_phone)
        self.bar.set_day(lv.model.day, lv.today())

    # --- selection bus --------------------------------------------------------------------------------
    def select_appointment(self, appt_id: int) -> None:
        """Select and reveal an appointment on the grid (loads its day when it is on another day)."""
        if self.live.model.appointment(appt_id) is not None:
            self.view.select(appt_id)
            return

        async def find() -> None:
            try:
                data = await self.api.appointment(appt_id)
            except ApiError as exc:
                self.banner.show_message(escape(f"Couldn't show appointment #{appt_id}: {exc.message}"))
                return
            day = self.live.store.local_day(data["window_start"])
            if day != self.live.model.day:
                await self.live.load_day(day)
            self.view.select(appt_id)

        self.tasks.spawn(find(), f"show appointment #{appt_id}")

    def select_technician(self, tech_id: int) -> None:
        pick = job_for_technician(self.live.model, tech_id, self.view.selected_id)
        if pick is not None and pick != self.view.selected_id:
            self.view.select(pick, emit=False)
        self.technicianSelected.emit(tech_id)

    def set_panel(self, name: str, widget: QWidget) -> None:
        """Put a feature's widget into its dock (replacing the empty-state label)."""
        dock = self.docks.get(name)
        if dock is None:
            dock = QDockWidget(name, self)
            dock.setObjectName("dock_" + name.lower().replace(" ", "_"))
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.docks[name] = dock
        dock.setWidget(widget)
        self.panels[name] = widget

    def set_panel_count(self, name: str, count: int) -> None:
        """Show a panel's count in its tab ("Late alerts (3)"); the View menu keeps the plain name."""
        dock = self.docks.get(name)
        if dock is not None:
            dock.setWindowTitle(f"{name} ({count})" if count else name)
            dock.toggleViewAction().setText(name)

    # --- day and link ---------------------------------------------------------------------------------
    def go_to_day(self, day: date) -> None:
        self.bar.set_day(day, self.live.today())
        self.settings.setValue("schedule/last_day", day.isoformat())
        self.live.request_day(day)

    def go_today(self) -> None:
        self.view.placement.reset(self.live.today())
        self.go_to_day(self.live.today())

    def refresh(self) -> None:
        self.banner.hide()
        self.live.request_reload()

    def _day_loaded(self, day: date) -> None:
        self.bar.set_day(day, self.live.today())
        if len(self.live.model.lanes) <= 1:  # only the Unassigned lane: a new install
            self.view.empty_text = ("No appointments on this day, and no technicians yet.\n"
                                    "Add your team with File → Technicians…, then book work with New appointment "
                                    "(online bookings arrive in the inbox).\n"
                                    "To look around first, start the console with --demo.")
        else:
            self.view.empty_text = f"No appointments on {day:%A, %B} {day.day}."
        self.view.viewport().update()
        lanes = [(ln.tech_id, ln.name) for ln in self.live.model.lanes]
        self.bar.set_technicians(lanes)
        self.view.set_filters(*self.bar.filters())
        self._update_counts()
        self.view.viewport().repaint()  # the schedule paints now; the panels fill in on the next turn

    def _update_counts(self) -> None:
        """Appointments, unassigned and late on the grid day (late read through the open LATE alerts: a few,
        instead of every appointment of a 10,000-appointment day on each change)."""
        model = self.live.model
        if self._late_flagged is None:
            self._late_flagged = {int(a["appointment_id"]) for a in self.live.store.alerts.values()
                                  if a.get("kind") == AlertKind.LATE and a.get("appointment_id") is not None}
        late = sum(1 for i in self._late_flagged if (appt := model.appointment(i)) is not None and appt.late)
        unassigned = len(self.live.model.lanes[0].ids) if self.live.model.lanes else 0
        self.counts_label.setText(f"{len(self.live.model.appts)} appointments · {unassigned} unassigned"
                                  + (f" · ⚠ {late} late" if late else ""))

    def _alerts_changed(self, *_: Any) -> None:
        self._late_flagged = None

    def set_link(self, state: str, text: str) -> None:
        self.link_label.setObjectName(LINK_STYLE.get(state, "LinkWarn"))
        self.link_label.style().unpolish(self.link_label)
        self.link_label.style().polish(self.link_label)
        self.link_label.setText(("● " if state == "live" else "◌ " if state != "offline" else "⚠ ") + text)
        self.link_state = state

    # --- cards and moves ------------------------------------------------------------------------------
    def open_settings(self) -> Any:
        """The Settings dialog; only admins can save company-wide settings (the server enforces it too)."""
        from console.settings_dialog import SettingsDialog

        dlg = SettingsDialog(self.api, is_admin=self.role == "admin", parent=self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        dlg.start()
        return dlg

    def open_technicians(self) -> Any:
        from widgets.technicians_dialog import open_dialog

        dlg = open_dialog(self.api, self.live.store, parent=self)
        dlg.pairPhoneRequested.connect(self.open_pair_phone)
        hours = getattr(self, "availability", None)  # installed with the board (console/availability_menu.py)
        if hours is not None:
            dlg.hoursRequested.connect(hours.open_editor)
        else:
            dlg.hours_btn.hide()
        return dlg

    def edit_technician(self, tech_id: int) -> Any:
        """The team list with this technician's form open (a row header's menu)."""
        dlg = self.open_technicians()
        dlg.select(tech_id)
        dlg.edit_selected()
        return dlg

    def open_locked_accounts(self) -> Any:
        from widgets.locked_accounts import open_dialog

        return open_dialog(self.api, is_admin=self.role == "admin", parent=self)

    def preview_selected(self) -> None:
        """Open the selected appointment in the portal preview panel (what its customer sees)."""
        panel = self.panels.get("Portal preview")
        if panel is None:
            self.banner.show_message("The portal preview is not available in this build.", kind="info")
            return
        if self.view.selected_id is None:
            self.banner.show_message("Select an appointment on the schedule first, then preview it.", kind="info")
            return
        dock = self.docks["Portal preview"]
        dock.show()
        dock.raise_()
        panel.open_appointment(self.view.selected_id)  # type: ignore[attr-defined]

    def _open_selected(self) -> None:
        if self.view.selected_id is not None:
            self.open_card(self.view.selected_id)

    def open_card(self, appt_id: int) -> AppointmentCard:
        card = self.cards.get(appt_id)
        if card is None:
            card = AppointmentCard(self.api, appt_id, self.live.store, parent=self)
            card.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            card.changed.connect(self.live.apply)
            card.performed.connect(self.changes.record)
            card.notify = self.changes.prompt_for(card)
            self.live.eventReceived.connect(card.sent.on_event)  # new messages show on the card as they queue
            card.destroyed.connect(lambda *_: self.cards.pop(appt_id, None))
            self.cards[appt_id] = card
            self.cardOpened.emit(card)
        card.show()
        card.raise_()
        card.activateWindow()
        return card

    def open_pair_phone(self, tech_id: int) -> QWidget:
        """Pair phone… for a technician (from the schedule's row header or the crew map)."""
        from widgets.pair_phone import PairPhoneDialog

        name = next((str(t.get("name")) for t in self.live.technicians if t.get("id") == tech_id), "")
        dialog = PairPhoneDialog(self.api, tech_id, name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def request_move(self, appt_id: int, lane_changed: bool, tech_id: int, start_ts: float,
                     anyway: bool = False) -> None:
        """Drag-and-drop result: PATCH with the version on screen; a 412 offers a retry; a 409 → `moveRefused`."""
        appt = self.live.model.appointment(appt_id)
        if appt is None:
            return
        if self.live.store.offline:  # nothing is sent (or queued) while the server can't be reached
            return self.banner.show_message("Not moved: the server can't be reached. Moving works again as soon "
                                            "as the console reconnects.", kind="info")
        new_start = datetime.fromtimestamp(start_ts, UTC) if start_ts >= 0 else None
        duration = timedelta(seconds=appt.end - appt.start)
        notify = self.changes.ask(appt.data, tech_id=tech_id if lane_changed and tech_id >= 0 else None,
                                  unassign=lane_changed and tech_id < 0, start=new_start,
                                  end=new_start + duration if new_start else None)
        if notify is None:
            return  # the dispatcher cancelled the move

        async def attempt(version: int, before: dict[str, Any]) -> None:
            try:
                data = await self.api.patch_appointment(
                    appt_id, version, technician_id=tech_id if lane_changed and tech_id >= 0 else None,
                    unassign=lane_changed and tech_id < 0, window_start=new_start,
                    window_end=new_start + duration if new_start else None, notify_customer=notify,
                    allow_conflicts=anyway)
            except ApiError as exc:
                if exc.code == "schedule_conflict" and self.receivers(SIGNAL("moveRefused(PyObject)")):
                    self.moveRefused.emit(((appt_id, lane_changed, tech_id, start_ts), exc.details.get("conflicts")))
                elif exc.status == 412:
                    fresh = await self.live.refresh_appointment(appt_id) or (exc.details or {}).get("current") or before
                    who = fresh.get("updated_by") or "Someone else"
                    changes = "; ".join(describe_changes(before, fresh, self.live.tz))
                    self.banner.show_message(
                        f"<b>{escape(who)}</b> changed {escape(before.get('customer_name', 'this appointment'))} "
                        f"first: {escape(changes)}. Your move was not applied — the grid shows the latest.",
                        retry=lambda: self.tasks.spawn(attempt(int(fresh["version"]), fresh), "move the appointment"))
                else:
                    self.banner.show_message(escape(f"Couldn't move {before.get('customer_name')}: {exc.message}"))
                return
            self.live.apply(data)
            self.changes.record(before, data, notify)  # "Moved … to … at …. Undo"

        self.tasks.spawn(attempt(appt.version, dict(appt.data)), "move the appointment")

    # --- theme, layout, settings ----------------------------------------------------------------------
    def toggle_theme(self) -> None:
        self.dark = not self.dark
        self.actions_by_name["theme"].setChecked(self.dark)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, self.dark)
        self.view.dark = self.dark
        self.view.viewport().update()
        self.settings.setValue("theme/dark", self.dark)

    def reset_layout(self) -> None:
        if self._default_state is not None:
            self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()

    def _restore(self) -> None:
        self._default_state: QByteArray | None = self.saveState()
        geo = self.settings.value("window/geometry")
        self.restored = isinstance(geo, QByteArray) and not geo.isEmpty() and self.restoreGeometry(geo)
        if not self.restored:
            self.resize(1600, 960)  # the size when un-maximized; the app opens it maximized (console/app.py)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def saved_day(self) -> date | None:
        raw = self.settings.value("schedule/last_day")
        try:
            return date.fromisoformat(str(raw)) if raw else None
        except ValueError:
            return None

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("schedule/last_day", self.live.model.day.isoformat())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        for card in list(self.cards.values()):
            card.close()
        super().closeEvent(event)
        self.closing.emit()

    def _focus_search(self) -> None:
        self.bar.search.setFocus()
        self.bar.search.selectAll()

    def _focus_date(self) -> None:
        self.bar.date_edit.setFocus()

    def show_shortcuts(self) -> None:
        rows = [(a.text().replace("&", ""), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in self.actions_by_name.values() if not a.shortcut().isEmpty()]
        rows += [("Open the selected appointment", "Enter"), ("Move between appointments", "Arrow keys"),
                 ("Card: set a status", "Alt+D / R / A / I / P / C, Alt+H back, Alt+X cancel"),
                 ("Card: save technician and window", "Ctrl+S"), ("Cancel a drag", "Esc"),
                 ("Clear the search", "Esc"), ("Submit a correction's reason", "Ctrl+Enter"),
                 ("Reject a bio with the typed reason", "Enter"),
                 ("Search every date / next match / previous", "Enter / Enter / Shift+Enter in the search")]
        html = "<table>" + "".join(f"<tr><td>{escape(n)}&nbsp;&nbsp;</td><td><b>{escape(k)}</b></td></tr>"
                                   for n, k in rows) + "</table>"
        QMessageBox.information(self, "Keyboard shortcuts", html)
