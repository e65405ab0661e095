"""The console's one store of live data: company, technicians, positions, appointments, alerts, bookings, skew.

`LiveSync` fills it (one full load, then the event stream); panels read it and follow its signals. The store
does no I/O: every method applies data the API or an event already carried.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal

from models.enums import FIX_SOURCE_LABELS, AlertKind
from models.timefmt import DEFAULT_TIME_ZONE, parse_iso, parse_iso_or_none
from widgets.schedule_model import ScheduleModel, patched

JSON = dict[str, Any]
#: An `appointment.updated` event carrying all three says where the appointment now is (reassign/reschedule).
PLACE_FIELDS = ("technician_id", "window_start", "window_end")


@dataclass(frozen=True)
class Fix:
    """A technician's latest position."""

    lat: float
    lng: float
    recorded_at: datetime
    source: str = ""  # where the fix came from, in words ("Field app", "Traccar Client")

    @property
    def ms(self) -> float:
        return self.recorded_at.timestamp() * 1000


class Store(QObject):
    """Live data with one Qt signal per kind of change; `reset` after a full reload (everything replaced).

    Dict payloads travel as `object`: every slot gets the store's own dict (read-only for panels) instead of a
    QVariantMap copy per connection, which would cost tenths of a millisecond per event.
    """

    reset = Signal()
    companyChanged = Signal(object)  # dict
    timeZoneChanged = Signal(str)
    technicianChanged = Signal(object)  # dict
    positionChanged = Signal(int)  # technician id
    appointmentChanged = Signal(object)  # dict: the appointment as it now is (grid day or today)
    appointmentRemoved = Signal(int)
    alertChanged = Signal(object)  # dict: opened, updated or closed (`open` false)
    bookingChanged = Signal(object, bool)  # dict: the request, True when it is new
    settingsChanged = Signal(object)  # list: names of company settings changed elsewhere (tiles, time zone, …)
    skewChanged = Signal(float)  # seconds, the local clock minus the server's (after a full load)
    linkChanged = Signal(str)  # the event stream's state: live, connecting, reconnecting, offline, signed_out

    def __init__(self, model: ScheduleModel, parent: QObject | None = None):
        super().__init__(parent)
        self.model = model
        self.company: JSON = {"name": "", "time_zone": model.time_zone}
        self.technicians: dict[int, JSON] = {}
        self.positions: dict[int, Fix] = {}
        self.alerts: dict[int, JSON] = {}
        self.bookings: dict[int, JSON] = {}
        self.skew_s = 0.0  # local clock minus the server's
        self._today: dict[int, JSON] = {}  # today's appointments while the grid shows another day
        # Today's appointments by technician (None: unassigned): built on first use, then kept up to date
        # change by change, so a panel never regroups the whole day for one event.
        self._by_tech: dict[int | None, dict[int, JSON]] | None = None
        self._tech_of: dict[int, int | None] = {}
        self._index_day: date | None = None
        self.loaded = False
        self.link = "connecting"
        self.offline_since: datetime | None = None  # when the server stopped answering (None while reachable)
        self.last_update_at: datetime | None = None  # the last event or full load received from the server

    # --- reading --------------------------------------------------------------------------------------
    @property
    def time_zone(self) -> str:
        return str(self.company.get("time_zone") or DEFAULT_TIME_ZONE)

    def server_now(self) -> datetime:
        """The server's clock as this console estimates it."""
        return datetime.now(UTC) - timedelta(seconds=self.skew_s)

    def today(self) -> date:
        return self.server_now().astimezone(ZoneInfo(self.time_zone)).date()

    def local_day(self, value: Any) -> date:
        return parse_iso(value).astimezone(ZoneInfo(self.time_zone)).date()

    def appointment(self, appt_id: int) -> JSON | None:
        appt = self.model.appointment(appt_id)
        return appt.data if appt is not None else self._today.get(appt_id)

    def todays_appointments(self) -> Iterator[JSON]:
        if self.model.day == self.today():
            return (a.data for a in self.model.appts.values())
        return iter(self._today.values())

    def todays_appointment(self, appt_id: int) -> JSON | None:
        """The appointment if its window starts today (company time zone), else None."""
        if self.model.day == self.today():
            appt = self.model.appointment(appt_id)
            return appt.data if appt is not None else None
        return self._today.get(appt_id)

    def todays_lookup(self) -> Callable[[int], JSON | None]:
        """`todays_appointment` for many ids at once (which day is today is decided once)."""
        if self.model.day == self.today():
            appts = self.model.appts
            return lambda appt_id: a.data if (a := appts.get(appt_id)) is not None else None
        return self._today.get

    def todays_for(self, tech_id: int | None) -> list[JSON]:
        """Today's appointments of one technician (None: the unassigned ones), from the incremental index."""
        return list(self._index().get(tech_id, {}).values())

    def _index(self) -> dict[int | None, dict[int, JSON]]:
        today = self.today()
        if self._by_tech is None or self._index_day != today:
            self._by_tech, self._tech_of, self._index_day = {}, {}, today
            for a in self.todays_appointments():
                self._index_put(int(a["id"]), a)
        return self._by_tech

    def _index_put(self, appt_id: int, data: JSON | None) -> None:
        assert self._by_tech is not None
        if appt_id in self._tech_of:
            bucket = self._by_tech.get(self._tech_of.pop(appt_id))
            if bucket is not None:
                bucket.pop(appt_id, None)
        if data is not None:
            tech = data.get("technician_id")
            tech = int(tech) if tech is not None else None
            self._by_tech.setdefault(tech, {})[appt_id] = data
            self._tech_of[appt_id] = tech

    def _reindex(self, appt_id: int) -> None:
        """One appointment changed: move it in the per-technician index (when built)."""
        if self._by_tech is not None and self._index_day == self.today():
            self._index_put(appt_id, self.todays_appointment(appt_id))

    def active_technicians(self) -> list[JSON]:
        return [t for t in self.technicians.values() if t.get("active", True)]

    def open_alerts(self) -> list[JSON]:
        return list(self.alerts.values())

    def booking_counts(self) -> dict[str, int]:
        """Booking requests per state."""
        return dict(Counter(str(r.get("state")) for r in self.bookings.values()))

    def fix_age_s(self, tech_id: int | None) -> float | None:
        fix = self.positions.get(tech_id) if tech_id is not None else None
        return None if fix is None else max(0.0, (self.server_now() - fix.recorded_at).total_seconds())

    # --- full loads -----------------------------------------------------------------------------------
    def load(self, *, company: JSON | None, technicians: list[JSON], day: date, appointments: list[JSON],
             today: list[JSON] | None = None, positions: list[JSON] = (), alerts: list[JSON] = (),  # type: ignore[assignment]
             bookings: list[JSON] = ()) -> None:  # type: ignore[assignment]
        """Replace everything (start-up, reconnect without replay, Refresh)."""
        if company is not None:
            self.set_company(company, emit=False)
        self.technicians = {int(t["id"]): t for t in technicians}
        self.positions, skews = {}, []
        now = datetime.now(UTC)
        for p in positions:
            rec = parse_iso_or_none(p.get("recorded_at"))
            if rec is None:
                continue
            self.positions[int(p["technician_id"])] = Fix(float(p["lat"]), float(p["lng"]), rec,
                                                     str(p.get("source_label") or ""))
            if p.get("age_s") is not None:
                skews.append((now - rec).total_seconds() - float(p["age_s"]))
        skew = statistics.median(skews) if skews else self.skew_s
        self.alerts = {int(a["id"]): a for a in alerts if a.get("open", True)}
        self.bookings = {int(r["id"]): r for r in bookings}
        self.set_day(day, appointments, today=today, emit=False)
        self.loaded = True
        self.last_update_at = datetime.now(UTC)
        if skew != self.skew_s:
            self.skew_s = skew
            self.skewChanged.emit(skew)
        self.reset.emit()

    def set_day(self, day: date, appointments: list[JSON], *, today: list[JSON] | None = None,
                emit: bool = True) -> None:
        """The grid moves to another day; today's appointments stay known for the crew and alerts."""
        now_day = self.today()
        if self.model.day == now_day and day != now_day and today is None:
            today = [a.data for a in self.model.appts.values()]
        self.model.load(day, list(self.technicians.values()), appointments)
        if day == now_day:
            self._today = {}
        elif today is not None:
            self._today = {int(a["id"]): a for a in today}
        self._by_tech = None  # regrouped on first use
        if emit:
            self.reset.emit()

    # --- single changes -------------------------------------------------------------------------------
    def set_company(self, company: JSON, *, emit: bool = True) -> None:
        moved = company.get("time_zone") != self.company.get("time_zone")
        self.company = company
        self.model.set_time_zone(self.time_zone)
        if emit:
            self.companyChanged.emit(company)
            if moved:
                self.timeZoneChanged.emit(self.time_zone)

    def upsert_technician(self, tech: JSON) -> None:
        self.technicians[int(tech["id"])] = tech
        self.model.upsert_technician(tech)
        self.technicianChanged.emit(tech)

    def apply_position(self, data: JSON) -> bool:
        """A position event; False when it is older than the fix already known."""
        rec = parse_iso_or_none(data.get("recorded_at")) or self.server_now()
        tid = int(data["technician_id"])
        prev = self.positions.get(tid)
        if prev is not None and prev.recorded_at > rec:
            return False
        source = FIX_SOURCE_LABELS.get(str(data.get("source") or ""), "")
        self.positions[tid] = Fix(float(data["lat"]), float(data["lng"]), rec, source)
        self.positionChanged.emit(tid)
        return True

    def upsert_appointment(self, data: JSON) -> None:
        """An appointment as the API returned it (after a refetch or our own change)."""
        appt_id = int(data["id"])
        current = self.appointment(appt_id)
        if current is not None and int(data.get("version", 0)) < int(current.get("version", 0)):
            return  # an older answer that arrived late
        self.model.upsert(data)
        if self.local_day(data["window_start"]) == self.today() and self.model.day != self.today():
            self._today[appt_id] = data
        else:
            self._today.pop(appt_id, None)
        self._reindex(appt_id)
        if self.appointment(appt_id) is None:
            self.appointmentRemoved.emit(appt_id)
        else:
            self.appointmentChanged.emit(data)

    def remove_appointment(self, appt_id: int) -> None:
        if self.model.remove(appt_id) | (self._today.pop(appt_id, None) is not None):
            self._reindex(appt_id)
            self.appointmentRemoved.emit(appt_id)

    def patch_appointment(self, data: JSON) -> bool | None:
        """Apply an `appointment.updated` event. True: the event said everything (status, ETA, and — when it
        carries technician and window — a reassignment or new time); False: the appointment must be refetched;
        None: not ours or not newer."""
        appt_id = int(data["id"])
        current = self.appointment(appt_id)
        version = int(data.get("version", 0))
        placed = all(k in data for k in PLACE_FIELDS)
        if current is None:
            if placed and self.local_day(data["window_start"]) not in (self.model.day, self.today()):
                return None  # on a day nothing here shows: nothing to fetch
            return False  # new to us, or moved onto a day we show: its details come from a refetch
        cur_version = int(current.get("version", 0))
        status = str(data.get("status") or "")
        changes: JSON = {}
        if "eta_at" in data and data["eta_at"] != current.get("eta_at"):
            changes["eta_at"] = data["eta_at"]
        if placed and status and version > cur_version and self._known_technician(data["technician_id"]):
            self._place(current, data, status, version, changes)
            return version == cur_version + 1  # a skipped version: other fields may have changed too
        if version > cur_version:
            if version != cur_version + 1 or not status or status == current.get("status"):
                # Reassign/reschedule bump the version without a status change: the event can't say where.
                if status:
                    self._patch(appt_id, current, status, version, changes)
                return False
            self._patch(appt_id, current, status, version, changes)
            return True
        if changes and version == cur_version:
            self._replace(appt_id, {**current, **changes})
            return True
        return None

    def _known_technician(self, tech_id: Any) -> bool:
        return tech_id is None or int(tech_id) in self.technicians

    def _place(self, current: JSON, data: JSON, status: str, version: int, changes: JSON) -> None:
        """The event says where the appointment now is: move it (lane, time, day) without a refetch."""
        tech_id = data["technician_id"]
        fresh = current if status == current.get("status") else patched(current, status, version)
        self.upsert_appointment({
            **fresh, **changes, "version": version, "technician_id": tech_id,
            "technician_name": self.technicians[int(tech_id)]["name"] if tech_id is not None else None,
            "window_start": data["window_start"], "window_end": data["window_end"]})

    def _patch(self, appt_id: int, current: JSON, status: str, version: int, changes: JSON) -> None:
        if self.model.patch_status(appt_id, status, version):
            fresh = self.model.appointment(appt_id)
            assert fresh is not None
            if changes:
                fresh.data = {**fresh.data, **changes}
            self._reindex(appt_id)
            self.appointmentChanged.emit(fresh.data)
            return
        self._replace(appt_id, {**patched(current, status, version), **changes})

    def _replace(self, appt_id: int, data: JSON) -> None:
        appt = self.model.appointment(appt_id)
        if appt is not None:
            appt.data = data
            idx = self.model.index_of(appt_id)
            self.model.dataChanged.emit(idx, idx)
        elif appt_id in self._today:
            self._today[appt_id] = data
        self._reindex(appt_id)
        self.appointmentChanged.emit(data)

    def apply_alert(self, alert: JSON) -> None:
        """An alert from an event or an action: kept while open; a LATE one flags its appointment."""
        alert_id = int(alert["id"])
        if alert.get("open", True):
            self.alerts[alert_id] = alert
        else:
            self.alerts.pop(alert_id, None)
        if alert.get("kind") == AlertKind.LATE and alert.get("appointment_id"):
            appt_id = int(alert["appointment_id"])
            current = self.appointment(appt_id)
            late = self._is_late(appt_id)
            if current is not None and bool(current.get("late")) != late:
                self._replace(appt_id, {**current, "late": late})
        self.alertChanged.emit(alert)

    def set_bookings(self, requests: list[JSON]) -> None:
        """Every booking request again (the inbox's Refresh); the panels rebuild from `booking_counts`."""
        self.bookings = {int(r["id"]): r for r in requests}

    def upsert_booking(self, request: JSON, *, new: bool = False) -> None:
        self.bookings[int(request["id"])] = request
        self.bookingChanged.emit(request, new)

    def set_link(self, state: str, since: datetime | None, last_update: datetime | None) -> None:
        """The event stream's state (panels that need the server say so while it is unreachable)."""
        self.link = state
        self.offline_since = since if state == "offline" else None
        self.last_update_at = last_update or self.last_update_at
        self.linkChanged.emit(state)

    @property
    def offline(self) -> bool:
        return self.link == "offline"

    # --- helpers --------------------------------------------------------------------------------------
    def _is_late(self, appt_id: int) -> bool:
        return any(a.get("kind") == AlertKind.LATE and a.get("appointment_id") == appt_id
                   for a in self.alerts.values())
