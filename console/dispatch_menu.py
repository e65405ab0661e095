"""The Dispatch menu (and its toolbar button): Optimize day…, Who is best for the selected visit…, Assign on the
map…, Pin, Skills and zones…, plus the schedule bar's Skills & zones filter. Each dialog works over the one API
client; saved changes go into the live store so the grid follows."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar, QWidget

from console import theme
from models.timefmt import parse_iso
from services.api_client import ApiError
from widgets.assign_map import AssignMapDialog
from widgets.conflict_panel import conflict_lines
from widgets.dispatch_filter import SkillZoneFilter
from widgets.optimize_dialog import OptimizeDialog
from widgets.skills_zones_editor import SkillsZonesEditor
from widgets.suggest_list import WhoIsBestDialog

if TYPE_CHECKING:
    from console.live import LiveSync
    from console.main_window import MainWindow


class DispatchMenu:
    """Owns the actions; `install()` builds it into a window."""

    def __init__(self, window: MainWindow, live: LiveSync):
        self.window, self.live = window, live
        self.dialog: QWidget | None = None
        self.ask: QMessageBox | None = None  # the "Assign anyway?" question, while open
        self.assign_anyway: Any = None
        self.filter = SkillZoneFilter(live.client)
        self.actions = {
            "optimize": self._action("&Optimize day…", "Ctrl+Shift+O", self.open_optimize, "route",
                                     "Re-plan the day's routes for one technician or all, preview, then apply"),
            "best": self._action("&Who is best for the selected visit…", "Ctrl+Shift+W", self.open_who_is_best,
                                 "people", "Technicians ranked by when they can really be there, with warnings"),
            "map": self._action("Assign on the &map…", "Ctrl+Shift+M", self.open_assign_map, "preview",
                                "The selected visit and who could take it on a map, each with when they can be there"),
            "pin": self._action("&Pin the selected visit in place", "Ctrl+Shift+K", self.toggle_pin, "open",
                                "Optimize day keeps a pinned visit's technician and time (📌 on the schedule)"),
            "skills": self._action("&Skills and zones…", None, self.open_skills_zones, "tags",
                                   "Skills technicians carry, skills each service needs, and service zones"),
        }

    def _action(self, text: str, shortcut: str | None, slot: Any, icon: str, tip: str) -> QAction:
        act = QAction(theme.icon(icon), text, self.window)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            tip += f" ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(act)
        return act

    def install(self) -> QMenu:
        """The Dispatch menu before Reports/Help, and Optimize day on the main toolbar."""
        bar = self.window.menuBar()
        menu = QMenu("&Dispatch", self.window)
        menu.addActions([self.actions["optimize"], self.actions["best"], self.actions["map"], self.actions["pin"]])
        menu.addSeparator()
        menu.addAction(self.actions["skills"])
        before = next((a for a in bar.actions() if a.text().replace("&", "") in ("Reports", "Help")), None)
        bar.insertMenu(before, menu) if before is not None else bar.addMenu(menu)
        tb = self.window.findChild(QToolBar, "toolbar_main")
        if tb is not None:
            tb.addSeparator()
            tb.addAction(self.actions["optimize"])
            tb.layout().invalidate()  # a window already shown lays its toolbar out again now
            tb.layout().activate()
        self.window.bar.add_filter(self.filter)
        self.filter.changed.connect(self._filter)
        self.filter.reload()
        self.window.view.block_actions += [self.actions["best"], self.actions["map"], self.actions["pin"]]
        self.actions["pin"].setCheckable(True)
        self.window.appointmentSelected.connect(lambda _id: self._sync_pin())
        self.live.appointmentRefreshed.connect(lambda _id: self._sync_pin())
        self.window.actions_by_name.update({f"dispatch_{k}": a for k, a in self.actions.items()})
        return menu

    def _filter(self) -> None:
        f = self.filter
        self.window.view.set_extra_filter(f.tech_ids(), f.match if f.chosen_zones else None)
        crew_map = self.window.panels.get("Crew map")
        if crew_map is not None and hasattr(crew_map, "set_filter"):
            crew_map.set_filter(f.tech_ids(), f.match_data if f.chosen_zones else None)

    def _show(self, dialog: QWidget) -> QWidget:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None) if self.dialog is dialog else None)
        self.dialog = dialog
        dialog.show()
        return dialog

    # --- the actions ------------------------------------------------------------------------------------------
    def open_optimize(self) -> OptimizeDialog:
        crew_map = self.window.panels.get("Crew map")
        dlg = OptimizeDialog(self.live.client, self.live.store.active_technicians(), self.live.model.day,
                             time_zone=self.live.tz, tile_url=str(getattr(crew_map, "tile_url", "") or ""),
                             parent=self.window)
        dlg.applied.connect(self._applied)
        self._show(dlg)
        return dlg

    def _applied(self, result: dict[str, Any]) -> None:
        for appt in result.get("saved") or []:
            self.live.apply(appt)

    def _selected_or_say(self, what: str) -> Any:
        appt = self._selected()
        if appt is None:
            self.window.banner.show_message("Select a visit on the schedule first (an unassigned one, or one to "
                                            f"hand to someone else), then {what}.", kind="info")
        return appt

    def open_who_is_best(self) -> WhoIsBestDialog | None:
        """For the visit selected on the grid (an unassigned one, or one to hand to someone else)."""
        appt = self._selected_or_say("ask who is best")
        if appt is None:
            return None
        data, appt_id = appt.data, appt.id
        heading = f"{data.get('customer_name')} — {data.get('service_type')} · now with " \
                  f"{data.get('technician_name') or 'nobody (unassigned)'}"
        dlg = WhoIsBestDialog(self.live.client, heading, time_zone=self.live.tz, assign_text="Assign",
                              parent=self.window, appointment_id=appt_id)
        dlg.picked.connect(lambda tech_id: self.assign(appt_id, tech_id))
        self._show(dlg)
        return dlg

    def open_assign_map(self) -> AssignMapDialog | None:
        """The selected visit and its candidate technicians on a map; clicking one and Assign assigns."""
        appt = self._selected_or_say("assign it on the map")
        if appt is None:
            return None
        crew_map = self.window.panels.get("Crew map")
        dlg = AssignMapDialog(self.live.client, dict(appt.data), time_zone=self.live.tz,
                              tile_url=str(getattr(crew_map, "tile_url", "") or ""), parent=self.window)
        appt_id = appt.id
        dlg.picked.connect(lambda tech_id: self.assign(appt_id, tech_id))
        self._show(dlg)
        return dlg

    def assign(self, appt_id: int, tech_id: int) -> None:
        """Assign with the conflict check first: a clash (overlap, hours, time off, skills) asks before saving."""
        appt = self.live.model.appointment(appt_id)
        if appt is None:
            return
        if appt.technician_id == tech_id:
            self.window.statusBar().showMessage("Already with that technician; nothing changed.", 6000)
            return
        version, name, data = appt.version, appt.data.get("customer_name"), appt.data
        tech = next((str(t["name"]) for t in self.live.store.active_technicians() if int(t["id"]) == tech_id),
                    "that technician")

        async def check() -> None:
            try:
                found = (await self.live.client.check_appointment(
                    tech_id, parse_iso(data["window_start"]), parse_iso(data["window_end"]),
                    appointment_id=appt_id))["conflicts"]
            except ApiError as exc:
                self.window.banner.show_message(escape(f"Couldn't check {tech}'s schedule: {exc.message}"))
                return
            if not found:
                await save(anyway=False)
                return
            ask = QMessageBox(QMessageBox.Icon.Warning, "Assign anyway?",
                              f"Assigning {name} to {tech} clashes with their schedule:", parent=self.window)
            ask.setInformativeText("\n".join(conflict_lines(found)))
            self.assign_anyway = ask.addButton(f"Assign to {tech} anyway", QMessageBox.ButtonRole.AcceptRole)
            ask.addButton(QMessageBox.StandardButton.Cancel)
            ask.setDefaultButton(QMessageBox.StandardButton.Cancel)
            ask.buttonClicked.connect(lambda b: self.window.tasks.spawn(save(anyway=True), "assign the visit")
                                      if b is self.assign_anyway else
                                      self.window.statusBar().showMessage(f"{name} was not assigned.", 6000))
            self.ask = ask
            ask.open()

        async def save(anyway: bool) -> None:
            # Through the window's asking client: "Text the customer?" first, and Ctrl+Z undoes it.
            try:
                out = await self.window.changes.api.patch_appointment(appt_id, version, technician_id=tech_id,
                                                                      allow_conflicts=anyway)
            except ApiError as exc:
                if exc.code == "cancelled":
                    self.window.statusBar().showMessage(f"{name} was not assigned.", 6000)
                elif exc.status == 412:
                    await self.live.refresh_appointment(appt_id)
                    self.window.banner.show_message(escape(
                        f"{name}'s visit was changed by {(exc.details or {}).get('updated_by') or 'someone else'} "
                        "first, so it was not reassigned. The grid shows the latest; ask again."))
                else:
                    self.window.banner.show_message(escape(f"Couldn't assign {name}: {exc.message}"))
                return
            self.live.apply(out)
            self.window.statusBar().showMessage(f"Assigned {name} to {out.get('technician_name')}.", 6000)

        self.window.tasks.spawn(check(), "check the technician's schedule")

    def _selected(self) -> Any:
        appt_id = self.window.view.selected_id
        return self.live.model.appointment(appt_id) if appt_id is not None else None

    def _sync_pin(self) -> None:
        appt = self._selected()
        self.actions["pin"].setChecked(bool(appt is not None and appt.data.get("pinned")))

    def toggle_pin(self) -> None:
        """Pin the selected visit (Optimize day leaves its technician and time alone) or unpin it."""
        appt = self._selected()
        if appt is None:
            self._sync_pin()
            self.window.banner.show_message("Select a visit on the schedule first, then pin it.", kind="info")
            return
        pinned, name, appt_id = not appt.data.get("pinned"), appt.data.get("customer_name"), appt.id

        async def go() -> None:
            try:
                data = await self.live.client.pin_appointment(appt_id, pinned)
            except ApiError as exc:
                self._sync_pin()
                self.window.banner.show_message(escape(f"Couldn't {'pin' if pinned else 'unpin'} {name}: "
                                                       f"{exc.message}"))
                return
            self.live.apply(data)
            self._sync_pin()
            self.window.statusBar().showMessage(
                f"Pinned {name}: Optimize day keeps this visit's technician and time." if pinned else
                f"Unpinned {name}: Optimize day may move it.", 6000)

        self.window.tasks.spawn(go(), "pin the visit")

    def open_skills_zones(self) -> SkillsZonesEditor:
        editor = SkillsZonesEditor(self.live.client, is_admin=self.window.role == "admin", parent=self.window)
        editor.changed.connect(self.filter.reload)  # the schedule's filter lists what was just saved
        self._show(editor)
        return editor


def install(window: MainWindow, live: LiveSync) -> DispatchMenu:
    """Add the Dispatch menu and the Optimize day toolbar button to the main window."""
    menu = DispatchMenu(window, live)
    menu.install()
    window.dispatch_menu = menu  # type: ignore[attr-defined]
    return menu
