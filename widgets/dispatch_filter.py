"""The schedule's "Skills & zones" filter: tick skills to keep only technicians with any of them, tick zones to
highlight only visits in any of them (the others dim, as with the status filter). Multi-select, in one menu."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from models.zones import ZoneShape, zip_in_address, zones_for
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet


class SkillZoneFilter(QToolButton):
    """`changed()` whenever the ticked skills or zones change; read `tech_ids()` and `match(appt)`."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.tasks = TaskSet()
        self.techs: list[dict[str, Any]] = []
        self.zones: list[ZoneShape] = []
        self.skills: list[str] = []
        self.chosen_skills: set[str] = set()
        self.chosen_zones: set[int] = set()
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolTip("Show only technicians with some skills, or highlight visits in some zones")
        self.setAccessibleName("Skills and zones filter")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("Electrical · Downtown") + 28)
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        self._build()

    # --- data -------------------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.tasks.spawn(self._reload(), "load skills and zones")

    async def _reload(self) -> None:
        try:
            techs, zones = await self.api.technician_skills(), await self.api.zones()
        except ApiError as exc:
            self.setToolTip(f"Couldn't load skills and zones: {exc.message}")
            return
        self.techs = techs
        self.skills = sorted({s for t in techs for s in t["skills"]}, key=str.lower)
        self.zones = [ZoneShape(int(z["id"]), str(z["name"]), tuple((float(a), float(b)) for a, b in z["polygon"]),
                                frozenset(z["zips"])) for z in zones]
        self.chosen_skills &= set(self.skills)
        self.chosen_zones &= {z.id for z in self.zones}
        self._build()
        self.changed.emit()
        self.loaded.emit()

    # --- the filter -------------------------------------------------------------------------------------------
    def tech_ids(self) -> set[int] | None:
        """Technicians with any ticked skill; None when no skill is ticked (everyone)."""
        if not self.chosen_skills:
            return None
        return {int(t["technician_id"]) for t in self.techs if self.chosen_skills & set(t["skills"])}

    def match(self, appt: Any) -> bool:
        """Whether a visit's site (point or the ZIP in its address) is in a ticked zone; True with none ticked."""
        return self.match_data(appt.data)

    def match_data(self, d: dict[str, Any]) -> bool:
        """`match` for an appointment's fields (the crew map's job sites)."""
        if not self.chosen_zones:
            return True
        shapes = [z for z in self.zones if z.id in self.chosen_zones]
        return bool(zones_for(shapes, d.get("site_lat"), d.get("site_lng"), zip_in_address(d.get("address"))))

    def active(self) -> bool:
        return bool(self.chosen_skills or self.chosen_zones)

    def set_choice(self, skills: set[str], zones: set[int]) -> None:
        self.chosen_skills = set(skills) & set(self.skills)
        self.chosen_zones = set(zones) & {z.id for z in self.zones}
        for key, act in self.actions_.items():  # tick in place: the menu may be open
            act.blockSignals(True)
            act.setChecked(key in self.chosen_skills or key in self.chosen_zones)
            act.blockSignals(False)
        self._label()
        self.changed.emit()

    # --- the menu ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        m = self.menu_
        m.clear()
        self.actions_: dict[str | int, QAction] = {}
        m.addSection("Technicians with any of these skills")
        if not self.skills:
            m.addAction("No technician has a skill yet (Dispatch → Skills and zones…)").setEnabled(False)
        for name in self.skills:
            m.addAction(self._toggle(name, name, name in self.chosen_skills, lambda on, n=name: self._skill(n, on)))
        m.addSection("Visits in any of these zones")
        if not self.zones:
            m.addAction("No zones yet (Dispatch → Skills and zones…)").setEnabled(False)
        for z in self.zones:
            m.addAction(self._toggle(z.id, z.name, z.id in self.chosen_zones, lambda on, i=z.id: self._zone(i, on)))
        m.addSeparator()
        self.clear_action = m.addAction("Show everyone and every zone", lambda: self.set_choice(set(), set()))
        self._label()

    def _label(self) -> None:
        self.clear_action.setEnabled(self.active())
        parts = sorted(self.chosen_skills, key=str.lower) + [z.name for z in self.zones if z.id in self.chosen_zones]
        self.label = "Skills & zones" if not parts else \
            (" · ".join(parts) if len(parts) <= 2 else f"{parts[0]} + {len(parts) - 1} more")
        self.setText(self.label.replace("&", "&&"))  # a single & would underline the next letter

    def _toggle(self, key: str | int, text: str, on: bool, slot: Any) -> QAction:
        act = QAction(text, self.menu_, checkable=True, checked=on)
        act.toggled.connect(slot)
        self.actions_[key] = act
        return act

    def _skill(self, name: str, on: bool) -> None:
        (self.chosen_skills.add if on else self.chosen_skills.discard)(name)
        self._label()  # the menu stays as it is while open
        self.changed.emit()

    def _zone(self, zone_id: int, on: bool) -> None:
        (self.chosen_zones.add if on else self.chosen_zones.discard)(zone_id)
        self._label()
        self.changed.emit()
