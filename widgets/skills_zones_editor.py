"""Skills and zones (administrators edit, dispatchers read): skill tags, each technician's skills, the skills each
service requires, and service zones by ZIP code and/or an outline drawn on a map."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

IdRole = Qt.ItemDataRole.UserRole


def zip_list(text: str) -> list[str]:
    """'78701, 78702 78703' → ['78701', '78702', '78703'] (the server checks each)."""
    return [z for z in re.split(r"[\s,;]+", text.strip()) if z]


class SkillsZonesEditor(QDialog):
    """Four tabs over the smart-dispatch tables; `changed` after every save."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, api: ApiClient, *, is_admin: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.is_admin = api, is_admin
        self.tasks = TaskSet()
        self.skills: list[dict[str, Any]] = []
        self.techs: list[dict[str, Any]] = []
        self.services: list[dict[str, Any]] = []
        self.zones: list[dict[str, Any]] = []
        self.setWindowTitle("Skills and zones")
        self.resize(820, 600)
        root = QVBoxLayout(self)
        self.banner = QLabel("Only administrators can change skills and zones. You can read them here.")
        self.banner.setStyleSheet("background:#fff4d6;color:#7a4b00;padding:8px;border-radius:6px;")
        self.banner.setVisible(not is_admin)
        root.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._skills_tab(), "Skills")
        self.tabs.addTab(self._assign_tab("tech"), "Technicians")
        self.tabs.addTab(self._assign_tab("service"), "Services")
        self.tabs.addTab(self._zones_tab(), "Zones")
        root.addWidget(self.tabs, 1)
        self.status = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        root.addWidget(self.status)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        root.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs.currentChanged.connect(lambda i: self._show_map() if i == 3 else None)
        for w in (self.add_skill_btn, self.rename_btn, self.remove_skill_btn, self.save_tech, self.save_service,
                  self.zone_add, self.zone_save, self.zone_remove, self.undo_corner, self.clear_outline):
            w.setVisible(is_admin)
        self.reload()

    # --- building ---------------------------------------------------------------------------------------------
    def _skills_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(QLabel("Skill and trade tags technicians carry and services may require."))
        self.skill_list = QListWidget()
        self.skill_list.setAccessibleName("Skills")
        lay.addWidget(self.skill_list, 1)
        row = QHBoxLayout()
        self.new_skill = QLineEdit(placeholderText="New skill, e.g. EPA 608")
        self.new_skill.setVisible(self.is_admin)
        self.new_skill.returnPressed.connect(self._add_skill)
        self.add_skill_btn = QPushButton("Add skill")
        self.add_skill_btn.clicked.connect(self._add_skill)
        self.rename_btn = QPushButton("Rename…")
        self.rename_btn.clicked.connect(self._rename_skill)
        self.remove_skill_btn = QPushButton("Remove")
        self.remove_skill_btn.clicked.connect(self._remove_skill)
        for x in (self.new_skill, self.add_skill_btn, self.rename_btn, self.remove_skill_btn):
            row.addWidget(x)
        lay.addLayout(row)
        return w

    def _assign_tab(self, kind: str) -> QWidget:
        split = QSplitter()
        owners = QListWidget()
        owners.setAccessibleName("Technicians" if kind == "tech" else "Services")
        checks = QListWidget()
        checks.setAccessibleName("Skills of the selected technician" if kind == "tech" else "Skills it requires")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(QLabel("Has these skills:" if kind == "tech" else
                            "Needs a technician with every skill ticked (none: anyone can do it):"))
        rl.addWidget(checks, 1)
        save = QPushButton("Save skills")
        rl.addWidget(save, 0, Qt.AlignmentFlag.AlignRight)
        split.addWidget(owners)
        split.addWidget(right)
        split.setSizes([300, 500])
        if kind == "tech":
            self.tech_list, self.tech_checks, self.save_tech = owners, checks, save
            owners.currentRowChanged.connect(lambda _r: self._fill_checks("tech"))
            save.clicked.connect(lambda: self._save_checks("tech"))
        else:
            self.service_list, self.service_checks, self.save_service = owners, checks, save
            owners.currentRowChanged.connect(lambda _r: self._fill_checks("service"))
            save.clicked.connect(lambda: self._save_checks("service"))
        return split

    def _zones_tab(self) -> QWidget:
        split = QSplitter()
        self.zone_list = QListWidget()
        self.zone_list.setAccessibleName("Zones")
        self.zone_list.currentRowChanged.connect(self._fill_zone)
        form_box = QWidget()
        fl = QVBoxLayout(form_box)
        form = QFormLayout()
        self.zone_name = QLineEdit(placeholderText="e.g. North Austin")
        self.zone_zips = QLineEdit(placeholderText="ZIP codes, e.g. 78758, 78727, 78729")
        self.zone_color = QLineEdit(placeholderText="#3366cc (optional)")
        self.zone_outline = QLabel("", objectName="Muted", wordWrap=True)
        form.addRow("Name", self.zone_name)
        form.addRow("ZIP codes", self.zone_zips)
        form.addRow("Colour", self.zone_color)
        form.addRow("Outline", self.zone_outline)
        fl.addLayout(form)
        fl.addWidget(QLabel("Click the map to draw the zone's outline corner by corner (other zones show faintly). "
                            "A site is in the zone when its ZIP code is listed or it lies inside the outline."
                            if self.is_admin else "The map shows each zone's outline.",
                            wordWrap=True, objectName="Muted"))
        self.map_box = QVBoxLayout()
        fl.addLayout(self.map_box, 1)
        self.zone_map: Any = None  # a web page, built when the Zones tab is first shown
        self.outline: list[list[float]] = []
        draw = QHBoxLayout()
        self.undo_corner = QPushButton("Undo last corner")
        self.undo_corner.clicked.connect(lambda: self.zone_map.undo() if self.zone_map else None)
        self.clear_outline = QPushButton("Clear outline")
        self.clear_outline.clicked.connect(lambda: self.zone_map.clear() if self.zone_map else None)
        draw.addStretch(1)
        draw.addWidget(self.undo_corner)
        draw.addWidget(self.clear_outline)
        fl.addLayout(draw)
        row = QHBoxLayout()
        self.zone_add = QPushButton("Add as new zone")
        self.zone_add.clicked.connect(self._add_zone)
        self.zone_save = QPushButton("Save changes")
        self.zone_save.clicked.connect(self._save_zone)
        self.zone_remove = QPushButton("Remove zone")
        self.zone_remove.clicked.connect(self._remove_zone)
        for b in (self.zone_add, self.zone_save, self.zone_remove):
            row.addWidget(b)
        fl.addLayout(row)
        for e in (self.zone_name, self.zone_zips, self.zone_color):
            e.setReadOnly(not self.is_admin)
        split.addWidget(self.zone_list)
        split.addWidget(form_box)
        split.setSizes([260, 540])
        return split

    # --- loading ----------------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.tasks.spawn(self._reload())

    async def _reload(self) -> None:
        try:
            self.skills = await self.api.skills()
            self.techs = await self.api.technician_skills()
            self.services = await self.api.service_skills()
            self.zones = await self.api.zones()
        except ApiError as exc:
            self.status.setText(f"Couldn't load skills and zones: {exc.message}")
            return
        self._fill()
        self.loaded.emit()

    def _fill(self) -> None:
        keep = {"skill": self.skill_list.currentRow(), "tech": self.tech_list.currentRow(),
                "service": self.service_list.currentRow(), "zone": self.zone_list.currentRow()}
        self.skill_list.clear()
        for s in self.skills:
            n, svc = s["technicians"], ", ".join(s["services"])
            item = QListWidgetItem(f"{s['name']} — {n} technician{'s' if n != 1 else ''}"
                                   + (f" · required by {svc}" if svc else ""))
            item.setData(IdRole, s["id"])
            self.skill_list.addItem(item)
        self.tech_list.clear()
        for t in self.techs:
            self.tech_list.addItem(f"{t['name']} ({', '.join(t['skills']) or 'no skills'})")
        self.service_list.clear()
        for s in self.services:
            self.service_list.addItem(f"{s['service_type']} ({', '.join(s['skills']) or 'anyone'})")
        self.zone_list.clear()
        for z in self.zones:
            self.zone_list.addItem(f"{z['name']} · {len(z['zips'])} ZIP" + ("s" if len(z["zips"]) != 1 else "")
                                   + (" · outline" if len(z["polygon"]) >= 3 else ""))
        for key, lst in (("skill", self.skill_list), ("tech", self.tech_list), ("service", self.service_list),
                         ("zone", self.zone_list)):
            if lst.count():
                lst.setCurrentRow(min(max(keep[key], 0), lst.count() - 1))

    def _fill_checks(self, kind: str) -> None:
        owners, checks, rows = ((self.tech_list, self.tech_checks, self.techs) if kind == "tech"
                                else (self.service_list, self.service_checks, self.services))
        checks.clear()
        r = owners.currentRow()
        if r < 0 or r >= len(rows):
            return
        have = {s.lower() for s in rows[r]["skills"]}
        if not self.skills:
            hint = QListWidgetItem("No skills yet: add them on the Skills tab (e.g. HVAC, Plumbing, EPA 608).")
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            checks.addItem(hint)
        for s in self.skills:
            item = QListWidgetItem(s["name"])
            flags = Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.ItemIsUserCheckable if self.is_admin else
                                                 Qt.ItemFlag.NoItemFlags)
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Checked if s["name"].lower() in have else Qt.CheckState.Unchecked)
            checks.addItem(item)

    def _fill_zone(self, r: int) -> None:
        if r < 0 or r >= len(self.zones):
            return
        z = self.zones[r]
        self.zone_name.setText(z["name"])
        self.zone_zips.setText(", ".join(z["zips"]))
        self.zone_color.setText(z["color"])
        self.outline = [list(p) for p in z["polygon"]]
        self._outline_text()
        self._show_map()

    def _outline_text(self) -> None:
        n = len(self.outline)
        self.zone_outline.setText(f"{n} corners" if n >= 3 else
                                  f"{n} corner{'s' if n != 1 else ''} (an outline needs at least 3)" if n else "none")

    def _show_map(self) -> None:
        """The map with every zone's outline and the selected one's (built the first time the tab is shown)."""
        if self.tabs.currentIndex() != 3:
            return
        if self.zone_map is None:
            from widgets.zone_map import ZoneMap

            self.zone_map = ZoneMap()
            self.zone_map.setMinimumHeight(260)
            self.zone_map.outlineChanged.connect(self._outline_drawn)
            self.zone_map.ready.connect(self._show_map)
            self.map_box.addWidget(self.zone_map, 1)
        r = self.zone_list.currentRow()
        others = [z for i, z in enumerate(self.zones) if i != r]
        self.zone_map.show_zones(others, self.outline, self.zone_color.text().strip() or "#0B5CAD", self.is_admin)

    def _outline_drawn(self, points: list[list[float]]) -> None:
        self.outline = points
        self._outline_text()

    # --- saving -----------------------------------------------------------------------------------------------
    def _run(self, coro: Any, done: str) -> None:
        self.status.setText("Saving…")
        self.tasks.spawn(self._save(coro, done))

    async def _save(self, coro: Any, done: str) -> None:
        try:
            await coro
        except ApiError as exc:
            self.status.setText(f"Not saved: {exc.message}")
            return
        await self._reload()
        self.status.setText(done)
        self.changed.emit()

    def _current(self, lst: QListWidget, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        r = lst.currentRow()
        return rows[r] if 0 <= r < len(rows) else None

    def _add_skill(self) -> None:
        name = self.new_skill.text().strip()
        if not name:
            self.status.setText("Type the new skill's name first.")
            return
        self.new_skill.clear()
        self._run(self.api.add_skill(name), f"Added the skill {name}.")

    def _rename_skill(self) -> None:
        s = self._current(self.skill_list, self.skills)
        if s is None:
            return
        name, ok = QInputDialog.getText(self, "Rename skill", "New name:", text=s["name"])
        if ok and name.strip():
            self._run(self.api.rename_skill(s["id"], name.strip()), f"Renamed {s['name']} to {name.strip()}.")

    def _remove_skill(self) -> None:
        s = self._current(self.skill_list, self.skills)
        if s is not None:
            self._run(self.api.remove_skill(s["id"]), f"Removed {s['name']}; nobody has it or needs it now.")

    def _save_checks(self, kind: str) -> None:
        checks = self.tech_checks if kind == "tech" else self.service_checks
        names = [checks.item(i).text() for i in range(checks.count())
                 if checks.item(i).checkState() == Qt.CheckState.Checked]
        if kind == "tech":
            t = self._current(self.tech_list, self.techs)
            if t is not None:
                self._run(self.api.set_technician_skills(t["technician_id"], names),
                          f"Saved {t['name']}'s skills: {', '.join(names) or 'none'}.")
        else:
            s = self._current(self.service_list, self.services)
            if s is not None:
                self._run(self.api.set_service_skills(s["service_type"], names),
                          f"{s['service_type']} now needs: {', '.join(names) or 'no particular skill'}.")

    def _add_zone(self) -> None:
        name = self.zone_name.text().strip()
        self._run(self.api.add_zone(name, zips=zip_list(self.zone_zips.text()), polygon=self.outline,
                                    color=self.zone_color.text().strip()), f"Added the zone {name}.")

    def _save_zone(self) -> None:
        z = self._current(self.zone_list, self.zones)
        if z is not None:
            self._run(self.api.change_zone(z["id"], name=self.zone_name.text().strip(), polygon=self.outline,
                                           zips=zip_list(self.zone_zips.text()), color=self.zone_color.text().strip()),
                      f"Saved the zone {self.zone_name.text().strip()}.")

    def _remove_zone(self) -> None:
        z = self._current(self.zone_list, self.zones)
        if z is not None:
            self._run(self.api.remove_zone(z["id"]), f"Removed the zone {z['name']}.")

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.tasks.cancel()
        super().closeEvent(event)
