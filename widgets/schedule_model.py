"""The day's schedule as a two-level item model: lanes (Unassigned + technicians) holding appointments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from models.enums import Actor, AppointmentStatus
from models.status_machine import allowed_targets
from models.timefmt import DEFAULT_TIME_ZONE, parse_iso
from widgets.status_colors import label_for

Index = QModelIndex | QPersistentModelIndex
UNASSIGNED = "Unassigned"


@cache
def _dispatcher_moves(status: str) -> tuple[str, ...]:
    return tuple(t.value for t in allowed_targets(AppointmentStatus(status), Actor.DISPATCHER))


def patched(data: dict[str, Any], status: str, version: int) -> dict[str, Any]:
    """An appointment dict with the status an event announced (labels and allowed moves follow)."""
    return {**data, "status": status, "version": version, "status_label": label_for(status),
            "allowed_transitions": list(_dispatcher_moves(status))}


@dataclass
class Appt:
    """One appointment block: the API's dict plus parsed times (epoch seconds) for fast layout."""

    id: int
    data: dict[str, Any]
    start: float
    end: float

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Appt:
        return cls(int(data["id"]), data, parse_iso(data["window_start"]).timestamp(),
                   parse_iso(data["window_end"]).timestamp())

    @property
    def status(self) -> str:
        return str(self.data.get("status", "scheduled"))

    @property
    def version(self) -> int:
        return int(self.data.get("version", 0))

    @property
    def technician_id(self) -> int | None:
        return self.data.get("technician_id")

    @property
    def late(self) -> bool:
        return bool(self.data.get("late"))

    def search_text(self) -> str:
        d = self.data
        return " ".join(str(d.get(k) or "") for k in (
            "customer_name", "service_type", "address", "technician_name", "customer_phone", "id")).lower()


@dataclass
class Lane:
    tech_id: int | None
    name: str
    ids: list[int] = field(default_factory=list)
    tech: dict[str, Any] = field(default_factory=dict)


class ScheduleModel(QAbstractItemModel):
    """Top-level rows are lanes; their children are appointments. Updated in place, never reset per event.

    Child indexes carry `lane row + 1` as internal id; lanes carry 0.
    """

    AppointmentRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2
    StatusRole = Qt.ItemDataRole.UserRole + 3
    LateRole = Qt.ItemDataRole.UserRole + 4
    TechIdRole = Qt.ItemDataRole.UserRole + 5
    IsLaneRole = Qt.ItemDataRole.UserRole + 6

    def __init__(self, time_zone: str = DEFAULT_TIME_ZONE, parent: QObject | None = None):
        super().__init__(parent)
        self.time_zone = time_zone
        self.day: date = datetime.now(ZoneInfo(time_zone)).date()
        self.lanes: list[Lane] = [Lane(None, UNASSIGNED)]
        self.appts: dict[int, Appt] = {}
        self._lane_of_tech: dict[int | None, int] = {None: 0}
        self._where: dict[int, int] = {}

    # --- loading ------------------------------------------------------------------------------------
    def set_time_zone(self, tz: str) -> None:
        self.time_zone = tz

    def load(self, day: date, technicians: list[dict[str, Any]], appointments: list[dict[str, Any]]) -> None:
        """Replace the whole day (a new day or a full refresh; never for a single event)."""
        self.beginResetModel()
        self.day = day
        self.lanes = [Lane(None, UNASSIGNED)]
        used = {a.get("technician_id") for a in appointments}
        for t in technicians:
            if t.get("active", True) or t["id"] in used:
                self.lanes.append(Lane(int(t["id"]), str(t["name"]), tech=t))
        self._lane_of_tech = {ln.tech_id: i for i, ln in enumerate(self.lanes)}
        self.appts, self._where = {}, {}
        for data in appointments:
            appt = Appt.from_api(data)
            row = self._lane_for(appt.technician_id, data, emit=False)
            self.appts[appt.id] = appt
            self.lanes[row].ids.append(appt.id)
            self._where[appt.id] = row
        self.endResetModel()

    def _lane_for(self, tech_id: int | None, data: dict[str, Any], *, emit: bool) -> int:
        row = self._lane_of_tech.get(tech_id)
        if row is not None:
            return row
        row = len(self.lanes)
        if emit:
            self.beginInsertRows(QModelIndex(), row, row)
        self.lanes.append(Lane(tech_id, str(data.get("technician_name") or f"Technician {tech_id}")))
        self._lane_of_tech[tech_id] = row
        if emit:
            self.endInsertRows()
        return row

    def on_day(self, appt: Appt) -> bool:
        return datetime.fromtimestamp(appt.start, ZoneInfo(self.time_zone)).date() == self.day

    # --- in-place updates ---------------------------------------------------------------------------
    def upsert(self, data: dict[str, Any]) -> str:
        """Apply one appointment as the API returned it: 'changed', 'moved', 'inserted', 'removed' or 'same'."""
        new = Appt.from_api(data)
        old = self.appts.get(new.id)
        if old is not None and new.version < old.version:
            return "same"  # an older answer that arrived late
        if not self.on_day(new):
            return "removed" if self.remove(new.id) else "same"
        if old is None:
            row = self._lane_for(new.technician_id, data, emit=True)
            lane = self.lanes[row]
            pos = len(lane.ids)
            self.beginInsertRows(self.index(row, 0), pos, pos)
            self.appts[new.id] = new
            lane.ids.append(new.id)
            self._where[new.id] = row
            self.endInsertRows()
            return "inserted"
        row = self._where[new.id]
        target = self._lane_for(new.technician_id, data, emit=True)
        if target == row:
            old.data, old.start, old.end = new.data, new.start, new.end
            idx = self.index(self.lanes[row].ids.index(new.id), 0, self.index(row, 0))
            self.dataChanged.emit(idx, idx)
            return "changed"
        src = self.lanes[row].ids.index(new.id)
        dst = len(self.lanes[target].ids)
        self.beginMoveRows(self.index(row, 0), src, src, self.index(target, 0), dst)
        self.lanes[row].ids.pop(src)
        self.lanes[target].ids.append(new.id)
        self._where[new.id] = target
        old.data, old.start, old.end = new.data, new.start, new.end
        self.endMoveRows()
        idx = self.index(dst, 0, self.index(target, 0))
        self.dataChanged.emit(idx, idx)
        return "moved"

    def patch_status(self, appt_id: int, status: str, version: int) -> bool:
        """Apply the status an event announced (full details follow from a refetch); False if not newer."""
        appt = self.appts.get(appt_id)
        if appt is None or version <= appt.version:
            return False
        appt.data = patched(appt.data, status, version)
        idx = self.index_of(appt_id)
        self.dataChanged.emit(idx, idx)
        return True

    def remove(self, appt_id: int) -> bool:
        row = self._where.get(appt_id)
        if row is None:
            return False
        pos = self.lanes[row].ids.index(appt_id)
        self.beginRemoveRows(self.index(row, 0), pos, pos)
        self.lanes[row].ids.pop(pos)
        del self._where[appt_id]
        del self.appts[appt_id]
        self.endRemoveRows()
        return True

    def upsert_technician(self, tech: dict[str, Any]) -> None:
        row = self._lane_of_tech.get(int(tech["id"]))
        if row is None:
            if tech.get("active", True):
                self._lane_for(int(tech["id"]), {"technician_name": tech["name"]}, emit=True)
                self.lanes[-1].tech = tech
            return
        self.lanes[row].name, self.lanes[row].tech = str(tech["name"]), tech
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx)

    # --- lookups ------------------------------------------------------------------------------------
    def appointment(self, appt_id: int) -> Appt | None:
        return self.appts.get(appt_id)

    def lane_row_of(self, appt_id: int) -> int | None:
        return self._where.get(appt_id)

    def lane_row_for_tech(self, tech_id: int | None) -> int | None:
        return self._lane_of_tech.get(tech_id)

    def index_of(self, appt_id: int) -> QModelIndex:
        row = self._where.get(appt_id)
        if row is None:
            return QModelIndex()
        return self.index(self.lanes[row].ids.index(appt_id), 0, self.index(row, 0))

    def appt_at(self, index: Index) -> Appt | None:
        if not index.isValid() or index.internalId() == 0:
            return None
        lane = self.lanes[int(index.internalId()) - 1]
        return self.appts.get(lane.ids[index.row()]) if index.row() < len(lane.ids) else None

    # --- QAbstractItemModel -------------------------------------------------------------------------
    def index(self, row: int, column: int = 0, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, 0, 0) if row < len(self.lanes) else QModelIndex()
        if parent.internalId() != 0:
            return QModelIndex()
        lane = parent.row()
        return self.createIndex(row, 0, lane + 1) if row < len(self.lanes[lane].ids) else QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(int(index.internalId()) - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.lanes)
        if parent.internalId() == 0:
            return len(self.lanes[parent.row()].ids)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | (Qt.ItemFlag.ItemIsDragEnabled if index.internalId() else Qt.ItemFlag.ItemIsDropEnabled)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            lane = self.lanes[index.row()]
            if role == Qt.ItemDataRole.DisplayRole:
                return lane.name
            if role == self.TechIdRole:
                return lane.tech_id
            if role == self.IsLaneRole:
                return True
            return None
        appt = self.appt_at(index)
        if appt is None:
            return None
        d = appt.data
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{d.get('customer_name', '')} — {d.get('service_type', '')}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{d.get('customer_name')}: {d.get('service_type')} ({label_for(appt.status)})"
        if role == self.AppointmentRole:
            return d
        if role == self.IdRole:
            return appt.id
        if role == self.StatusRole:
            return appt.status
        if role == self.LateRole:
            return appt.late
        if role == self.TechIdRole:
            return appt.technician_id
        if role == self.IsLaneRole:
            return False
        return None
