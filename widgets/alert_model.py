"""The open-alerts item model: worst first (LATE, stale bookings, customer notes, change requests), live minutes."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from models.alerts import severity
from models.enums import AlertKind
from models.timefmt import clock_time, day_time, parse_iso_or_none

if TYPE_CHECKING:
    from console.store import Store

Index = QModelIndex | QPersistentModelIndex
KIND_LABELS = {"late": "LATE", "booking_stale": "Booking waiting", "customer_note": "Customer note",
               "change_request": "Change request", "estimate_approved": "Estimate approved"}


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
    """One open alert; `fetched` holds its appointment only when the store does not (another day)."""

    alert: dict[str, Any]
    fetched: dict[str, Any] | None = None

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

    def sort_key(self) -> tuple[int, float, int]:
        created = parse_iso_or_none(self.alert.get("created_at"))
        return (severity(self.kind), created.timestamp() if created else 0.0, self.id)


class AlertModel(QAbstractListModel):
    """Rows of AlertItem in severity order; updated in place (insert/remove/dataChanged), never reset per event.

    Appointments, technicians, fixes and the server's clock come from the store; the alert's own fields
    (technician, customer, window start, ETA) cover an appointment the store does not hold.
    """

    ItemRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.items: list[AlertItem] = []
        # Indexes, so an appointment, position or technician event touches only its own rows.
        self._rows: dict[int, int] = {}  # alert id -> row
        self._by_appt: dict[int, set[int]] = {}  # appointment id -> alert ids
        self._by_tech: dict[int, set[int]] = {}  # technician id -> alert ids
        self._tech_of: dict[int, int] = {}  # alert id -> the technician it was indexed under

    @property
    def time_zone(self) -> str:
        return self.store.time_zone

    # --- changes ------------------------------------------------------------------------------------
    def set_all(self, items: list[AlertItem]) -> None:
        self.beginResetModel()
        self.items = sorted(items, key=AlertItem.sort_key)
        self._by_appt, self._by_tech, self._tech_of = {}, {}, {}
        for it in self.items:
            self._index(it)
        self._renumber()
        self.endResetModel()

    def row_of(self, alert_id: int) -> int | None:
        return self._rows.get(alert_id)

    def upsert(self, item: AlertItem) -> str:
        row = self.row_of(item.id)
        if row is not None:
            self._unindex(self.items[row])
            self.items[row].alert = item.alert
            self._index(self.items[row])
            self.changed(row)
            return "changed"
        keys = [it.sort_key() for it in self.items]
        pos = bisect.bisect(keys, item.sort_key())
        self.beginInsertRows(QModelIndex(), pos, pos)
        self.items.insert(pos, item)
        self._index(item)
        self._renumber()
        self.endInsertRows()
        return "inserted"

    def remove(self, alert_id: int) -> bool:
        row = self.row_of(alert_id)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        self._unindex(self.items.pop(row))
        self._renumber()
        self.endRemoveRows()
        return True

    def appointment_changed(self, appt_id: int) -> bool:
        """Repaint the alerts of one appointment (it may have a new technician); False when it has none."""
        ids = self._by_appt.get(appt_id)
        if not ids:
            return False
        for alert_id in list(ids):
            it = self.items[self._rows[alert_id]]
            it.fetched = None  # the store has it now
            self._unindex(it)
            self._index(it)
            self.changed(self._rows[alert_id])
        return True

    def technician_changed(self, tech_id: int) -> None:
        for alert_id in self._by_tech.get(tech_id, ()):
            self.changed(self._rows[alert_id])

    def _renumber(self) -> None:
        self._rows = {it.id: r for r, it in enumerate(self.items)}

    def _index(self, it: AlertItem) -> None:
        if it.appointment_id is not None:
            self._by_appt.setdefault(it.appointment_id, set()).add(it.id)
        tech_id = self.technician_id(it)
        if tech_id is not None:
            self._by_tech.setdefault(tech_id, set()).add(it.id)
            self._tech_of[it.id] = tech_id

    def _unindex(self, it: AlertItem) -> None:
        if it.appointment_id is not None:
            self._by_appt.get(it.appointment_id, set()).discard(it.id)
        tech_id = self._tech_of.pop(it.id, None)
        if tech_id is not None:
            self._by_tech.get(tech_id, set()).discard(it.id)

    def changed(self, row: int) -> None:
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx)

    def tick(self) -> None:
        """Repaint every row (minutes overdue and fix ages move on)."""
        if self.items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.items) - 1, 0))

    # --- derived values ---------------------------------------------------------------------------------
    def item(self, row: int) -> AlertItem | None:
        return self.items[row] if 0 <= row < len(self.items) else None

    def appt(self, it: AlertItem) -> dict[str, Any] | None:
        """The alert's appointment: the store's copy, else one fetched for an action."""
        if it.appointment_id is None:
            return None
        return self.store.appointment(it.appointment_id) or it.fetched

    def _field(self, it: AlertItem, key: str) -> Any:
        a = self.appt(it)
        return a.get(key) if a is not None and key in a else it.alert.get(key)

    def technician_id(self, it: AlertItem) -> int | None:
        v = self._field(it, "technician_id")
        return int(v) if v is not None else None

    def overdue_minutes(self, it: AlertItem) -> int | None:
        """Minutes past the window start on the server's clock (LATE alerts only)."""
        start = parse_iso_or_none(self._field(it, "window_start"))
        if it.kind != AlertKind.LATE or start is None:
            return None
        return max(0, int((self.store.server_now() - start).total_seconds() // 60))

    def badge(self, it: AlertItem) -> str:
        label = KIND_LABELS.get(it.kind, it.kind.replace("_", " ").capitalize())
        mins = self.overdue_minutes(it)
        return f"{label} · {mins} min" if mins is not None else label

    def title(self, it: AlertItem) -> str:
        customer, service = self._field(it, "customer_name"), self._field(it, "service_type")
        if customer:
            return f"{customer} — {service}" if service else str(customer)
        return str(it.alert.get("message", ""))

    def address(self, it: AlertItem) -> str:
        if it.appointment_id is None:
            created = parse_iso_or_none(it.alert.get("created_at"))
            return f"Raised {day_time(created, self.time_zone)}" if created else ""
        return str(self._field(it, "address") or "")

    def fix_age_s(self, tech_id: int | None) -> float | None:
        return self.store.fix_age_s(tech_id)

    def eta_text(self, it: AlertItem) -> str:
        """The backend's ETA of the technician to the site."""
        eta = parse_iso_or_none(self._field(it, "eta_at"))
        return f"ETA {clock_time(eta, self.time_zone)}" if eta is not None else "ETA unknown"

    def details(self, it: AlertItem) -> str:
        if it.appointment_id is None:
            return "Open the booking inbox to respond." if it.kind == AlertKind.BOOKING_STALE else ""
        start = parse_iso_or_none(self._field(it, "window_start"))
        end = parse_iso_or_none(self._field(it, "window_end"))
        tz = self.time_zone
        window = (f"{clock_time(start, tz)}–{clock_time(end, tz)}" if start and end
                  else clock_time(start, tz) if start else "")
        tech_id = self.technician_id(it)
        parts = [str(self._field(it, "technician_name") or "Unassigned"), window]
        if tech_id is not None:
            parts += [f"last fix {age_text(self.fix_age_s(tech_id))}", self.eta_text(it)]
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
