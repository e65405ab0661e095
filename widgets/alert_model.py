"""The open-alerts item model: worst first (LATE, stale bookings, customer notes, change requests), live minutes."""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from models.timefmt import clock_time

Index = QModelIndex | QPersistentModelIndex
SEVERITY = {"late": 0, "booking_stale": 1, "customer_note": 2, "change_request": 3, "estimate_approved": 4}
KIND_LABELS = {"late": "LATE", "booking_stale": "Booking waiting", "customer_note": "Customer note",
               "change_request": "Change request", "estimate_approved": "Estimate approved"}


def parse_dt(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "no fix"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s ago"
    if s < 90 * 60:
        return f"{s // 60} min ago"
    return f"{s // 3600} h {s % 3600 // 60:02d} min ago"


@dataclass
class AlertItem:
    """One open alert with its appointment (when it has one) and when this console first saw it."""

    alert: dict[str, Any]
    appt: dict[str, Any] | None = None
    seen_mono: float = field(default_factory=time.monotonic)
    age_at_seen_s: float = 0.0

    @property
    def id(self) -> int:
        return int(self.alert["id"])

    @property
    def kind(self) -> str:
        return str(self.alert.get("kind", ""))

    @property
    def appointment_id(self) -> int | None:
        v = self.alert.get("appointment_id")
        return int(v) if v is not None else None

    @property
    def technician_id(self) -> int | None:
        v = (self.appt or {}).get("technician_id")
        return int(v) if v is not None else None

    def sort_key(self) -> tuple[int, float, int]:
        created = parse_dt(self.alert.get("created_at"))
        return (SEVERITY.get(self.kind, 9), created.timestamp() if created else 0.0, self.id)

    def overdue_minutes(self) -> int | None:
        """Minutes past the window start: what the backend saw at creation plus the time elapsed since."""
        if self.kind != "late" or not self.appt:
            return None
        created, start = parse_dt(self.alert.get("created_at")), parse_dt(self.appt.get("window_start"))
        if created is None or start is None:
            return None
        elapsed = self.age_at_seen_s + (time.monotonic() - self.seen_mono)
        return max(0, int(((created - start).total_seconds() + elapsed) // 60))


class AlertModel(QAbstractListModel):
    """Rows of AlertItem in severity order; updated in place (insert/remove/dataChanged), never reset per event."""

    ItemRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: QObject | None = None, time_zone: str = "America/Chicago"):
        super().__init__(parent)
        self.items: list[AlertItem] = []
        self.time_zone = time_zone
        self.techs: dict[int, dict[str, Any]] = {}
        self.fixes: dict[int, tuple[datetime, float, float]] = {}  # tech id -> (recorded_at, lat, lng)
        self.skew_s = 0.0  # local clock minus server clock

    # --- changes ------------------------------------------------------------------------------------
    def set_all(self, items: list[AlertItem]) -> None:
        self.beginResetModel()
        self.items = sorted(items, key=AlertItem.sort_key)
        self.endResetModel()

    def row_of(self, alert_id: int) -> int | None:
        return next((i for i, it in enumerate(self.items) if it.id == alert_id), None)

    def upsert(self, item: AlertItem) -> str:
        row = self.row_of(item.id)
        if row is not None:
            old = self.items[row]
            old.alert = item.alert
            if item.appt is not None:
                old.appt = item.appt
            self.changed(row)
            return "changed"
        keys = [it.sort_key() for it in self.items]
        pos = bisect.bisect(keys, item.sort_key())
        self.beginInsertRows(QModelIndex(), pos, pos)
        self.items.insert(pos, item)
        self.endInsertRows()
        return "inserted"

    def remove(self, alert_id: int) -> bool:
        row = self.row_of(alert_id)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        self.items.pop(row)
        self.endRemoveRows()
        return True

    def set_appointment(self, appt: dict[str, Any]) -> list[int]:
        rows = [i for i, it in enumerate(self.items) if it.appointment_id == int(appt["id"])]
        for r in rows:
            cur = self.items[r].appt
            if cur is None or int(appt.get("version", 0)) >= int(cur.get("version", 0)):
                self.items[r].appt = appt
                self.changed(r)
        return rows

    def set_fix(self, tech_id: int, recorded_at: datetime, lat: float, lng: float) -> None:
        prev = self.fixes.get(tech_id)
        if prev is not None and prev[0] > recorded_at:
            return
        self.fixes[tech_id] = (recorded_at, lat, lng)
        for r, it in enumerate(self.items):
            if it.technician_id == tech_id:
                self.changed(r)

    def changed(self, row: int) -> None:
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx)

    def tick(self) -> None:
        """Repaint every row (minutes overdue and fix ages move on)."""
        if self.items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.items) - 1, 0))

    # --- derived text -----------------------------------------------------------------------------------
    def item(self, row: int) -> AlertItem | None:
        return self.items[row] if 0 <= row < len(self.items) else None

    def badge(self, it: AlertItem) -> str:
        label = KIND_LABELS.get(it.kind, it.kind.replace("_", " ").capitalize())
        mins = it.overdue_minutes()
        return f"{label} · {mins} min" if mins is not None else label

    def title(self, it: AlertItem) -> str:
        if it.appt:
            return f"{it.appt.get('customer_name', '')} — {it.appt.get('service_type', '')}"
        return str(it.alert.get("message", ""))

    def address(self, it: AlertItem) -> str:
        if it.appt is None:
            created = parse_dt(it.alert.get("created_at"))
            return f"Raised {created.astimezone(ZoneInfo(self.time_zone)):%a %b %d, %I:%M %p}" if created else ""
        return str(it.appt.get("address") or "")

    def fix_age_s(self, tech_id: int | None) -> float | None:
        fix = self.fixes.get(tech_id) if tech_id is not None else None
        if fix is None:
            return None
        return max(0.0, datetime.now(UTC).timestamp() - self.skew_s - fix[0].timestamp())

    def eta_text(self, it: AlertItem) -> str:
        a = it.appt or {}
        eta = parse_dt(a.get("eta_at"))
        if eta is not None:
            return f"ETA {clock_time(eta, self.time_zone)}"
        fix = self.fixes.get(it.technician_id) if it.technician_id is not None else None
        if fix is None or a.get("site_lat") is None or a.get("site_lng") is None:
            return "ETA unknown"
        from services.eta import OfflineEta

        secs = OfflineEta().estimate(fix[1], fix[2], float(a["site_lat"]), float(a["site_lng"])).seconds
        return f"~{max(1, round(secs / 60))} min away"

    def details(self, it: AlertItem) -> str:
        a = it.appt
        if not a:
            return "Open the booking inbox to respond." if it.kind == "booking_stale" else ""
        start, end = parse_dt(a.get("window_start")), parse_dt(a.get("window_end"))
        window = f"{clock_time(start, self.time_zone)}–{clock_time(end, self.time_zone)}" if start and end else ""
        tech = a.get("technician_name") or "Unassigned"
        parts = [tech, window]
        if it.technician_id is not None:
            parts += [f"last fix {age_text(self.fix_age_s(it.technician_id))}", self.eta_text(it)]
        return "  ·  ".join(p for p in parts if p)

    def ack_text(self, it: AlertItem) -> str:
        by = it.alert.get("acknowledged_by")
        return f"✓ {by}" if by else "New"

    # --- QAbstractListModel -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        it = self.item(index.row()) if index.isValid() else None
        if it is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self.badge(it)}: {self.title(it)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{it.alert.get('message', '')}\n{self.address(it)}\n{self.details(it)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.badge(it)}. {self.title(it)}. {self.address(it)}. {self.details(it)}. {self.ack_text(it)}"
        if role == self.ItemRole:
            return it
        if role == self.IdRole:
            return it.id
        return None
