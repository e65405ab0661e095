"""Live sync: fills the console's store in one load, then keeps it current from the event stream."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal

from console.store import Store
from models.events import STREAM_REFRESH, EventName
from models.timefmt import DEFAULT_TIME_ZONE, clock_time
from services.api_client import ApiClient, ApiError
from services.event_stream import EventStream, LinkState
from widgets.schedule_model import ScheduleModel
from widgets.tasks import TaskSet

log = logging.getLogger(__name__)

MAX_REFETCH = 4  # appointment refetches in flight at once
COMPANY_FIELDS = {"name", "phone", "time_zone", "text_customer_on_reschedule", "text_customer_on_reassign"}


class LiveSync(QObject):
    """Owns the event stream and the store's loading; widgets see the store, the model and these signals."""

    linkChanged = Signal(str, str)  # state, text for the status bar
    eventReceived = Signal(str, object)  # every event and its dict (after the store applied it), STREAM_REFRESH
    dayLoaded = Signal(object)  # the date
    loadFailed = Signal(str)
    appointmentRefreshed = Signal(int)
    unauthorized = Signal(str)

    def __init__(self, client: ApiClient, model: ScheduleModel, *, offline_after_s: float = 5.0,
                 base_delay_s: float = 0.5, max_delay_s: float = 15.0, parent: QObject | None = None):
        super().__init__(parent)
        self.client = client
        self.model = model
        self.store = Store(model, self)
        self.tasks = TaskSet(self.loadFailed.emit)
        self.stream = EventStream(client, on_event=self._on_event, on_refresh=self._on_refresh,
                                  on_state=self._on_state, offline_after_s=offline_after_s,
                                  base_delay_s=base_delay_s, max_delay_s=max_delay_s)
        self._pending: dict[int, None] = {}
        self._company_first: asyncio.Future[dict[str, Any]] | None = None
        self._workers = 0
        self._load_seq = 0
        self.events_handled = 0
        self.last_load_s = 0.0
        self.store.appointmentChanged.connect(lambda d: self.appointmentRefreshed.emit(int(d["id"])))
        client.on_unauthorized.append(lambda err: self.unauthorized.emit(err.message))

    @property
    def tz(self) -> str:
        return self.store.time_zone

    @property
    def company(self) -> dict[str, Any]:
        return self.store.company

    @property
    def technicians(self) -> list[dict[str, Any]]:
        return list(self.store.technicians.values())

    def today(self) -> date:
        return self.store.today()

    # --- lifecycle ----------------------------------------------------------------------------------
    async def start(self, day: date | None = None) -> None:
        """Start the stream; its first connection triggers the full load (a fallback loads if it is slow).

        The company (its time zone says which day is today) is asked for while the stream connects."""
        if day is not None:
            self.model.day = day
        self._company_first = asyncio.ensure_future(self.client.company())
        self.stream.start()
        try:
            self.store.set_company(await self._company_first)
        except ApiError as exc:
            if exc.status == 401:
                raise
            log.warning("company unavailable: %s", exc)

        async def fallback() -> None:  # server slow to stream: show what we can, reload once live
            await asyncio.sleep(2.0)
            if self.stream.state != LinkState.LIVE and self._load_seq == 0:
                await self.reload()

        self.tasks.spawn(fallback(), "load the schedule")

    async def stop(self) -> None:
        await self.stream.stop()
        await self.tasks.drain()

    def resume(self) -> None:
        """After a new sign-in: reconnect the stream now."""
        self.stream.kick()

    # --- loading ------------------------------------------------------------------------------------
    async def reload(self, day: date | None = None) -> bool:
        """Load everything the store holds in one go (start-up, a gap the stream can't replay, Refresh)."""
        day = day or self.model.day
        self._load_seq += 1
        seq = self._load_seq
        t0 = time.perf_counter()
        c = self.client
        known = self.store.company
        first = self._company_first
        if first is not None:  # start()'s answer: its zone says which day is today
            if not first.done():
                await asyncio.wait([first])
            if not first.cancelled() and first.exception() is None:
                known = first.result()
            self._company_first = None
        try:
            # All at once; "today" is taken in the zone known so far (the answer may still move it).
            today = self.store.server_now().astimezone(_zone(known)).date()
            calls = [c.company(), c.technicians(), c.appointments(day), c.crew_positions(), c.alerts(),
                     c.booking_requests()]
            if day != today:
                calls.append(c.appointments(today))
            company, techs, appts, positions, alerts, bookings, *rest = await asyncio.gather(*calls)
            zone_today = self.store.server_now().astimezone(_zone(company)).date()
            if zone_today != today:  # the company's zone has just moved the date: today's list is another day's
                today = zone_today
                rest = [await c.appointments(today)] if day != today else []
        except ApiError as exc:
            self.loadFailed.emit(f"Couldn't load the schedule for {day:%b %d}: {exc.message}")
            return False
        if seq != self._load_seq:
            return False  # a newer load superseded this one
        self.store.set_company(company)
        self.store.load(company=company, technicians=techs, day=day, appointments=appts,
                        today=rest[0] if rest else None, positions=positions, alerts=alerts, bookings=bookings)
        self.last_load_s = time.perf_counter() - t0
        self.dayLoaded.emit(day)
        return True

    async def load_day(self, day: date) -> bool:
        """Show another day: only its appointments are fetched (the rest of the store stays)."""
        if not self.store.loaded:
            return await self.reload(day)
        self._load_seq += 1
        seq = self._load_seq
        t0 = time.perf_counter()
        try:
            appts = await self.client.appointments(day)
        except ApiError as exc:
            self.loadFailed.emit(f"Couldn't load the schedule for {day:%b %d}: {exc.message}")
            return False
        if seq != self._load_seq:
            return False
        self.store.set_day(day, appts)
        self.last_load_s = time.perf_counter() - t0
        self.dayLoaded.emit(day)
        return True

    def request_day(self, day: date) -> None:
        self.tasks.spawn(self.load_day(day), f"load the schedule for {day:%b %d}")

    def request_reload(self) -> None:
        self.tasks.spawn(self.reload(), "reload the schedule")

    async def refresh_appointment(self, appt_id: int) -> dict[str, Any] | None:
        """Refetch one appointment now and apply it in place."""
        try:
            data = await self.client.appointment(appt_id)
        except ApiError as exc:
            if exc.status == 404:
                self.store.remove_appointment(appt_id)
            else:
                log.info("refresh of appointment %s failed: %s", appt_id, exc)
            return None
        self.store.upsert_appointment(data)
        return data

    def queue_refresh(self, appt_id: int) -> None:
        """Coalesce refetches: each id is fetched once however many events name it; few requests in flight."""
        self._pending[appt_id] = None
        if self._workers < MAX_REFETCH:
            self._workers += 1
            self.tasks.spawn(self._drain(), "refresh an appointment")

    async def _drain(self) -> None:
        try:
            while self._pending:
                appt_id = next(iter(self._pending))
                del self._pending[appt_id]
                await self.refresh_appointment(appt_id)
        finally:
            self._workers -= 1

    def apply(self, data: dict[str, Any]) -> None:
        """Apply an appointment the API just returned (after our own change)."""
        self.store.upsert_appointment(data)

    # --- stream callbacks -----------------------------------------------------------------------------
    def _on_event(self, ev_id: int | None, name: str, data: dict[str, Any]) -> None:
        self.events_handled += 1
        store = self.store
        if name == EventName.APPOINTMENT_UPDATED and "id" in data:
            if store.patch_appointment(data) is False or data.get("details"):  # job edited: refetch
                self.queue_refresh(int(data["id"]))
        elif name in (EventName.ALERT_CREATED, EventName.ALERT_UPDATED) and "id" in data:
            store.apply_alert(data)
        elif name == EventName.POSITION_UPDATED and "technician_id" in data:
            store.apply_position(data)
        elif name == EventName.TECHNICIAN_UPDATED and "id" in data:
            self.tasks.spawn(self._refresh_technician(int(data["id"])), "refresh a technician")
        elif name in (EventName.BOOKING_CREATED, EventName.BOOKING_UPDATED) and "id" in data:
            self.tasks.spawn(self._refresh_booking(int(data["id"]), new=name == EventName.BOOKING_CREATED),
                             "load a booking request")
        elif name == EventName.SETTINGS_UPDATED:
            changed = [str(c) for c in data.get("changed") or []]
            if COMPANY_FIELDS & set(changed):
                self.tasks.spawn(self._refresh_company(), "refresh the company profile")
            store.settingsChanged.emit(changed)
        self.eventReceived.emit(name, data)

    async def _refresh_company(self) -> None:
        """Another console changed the company profile: a new time zone redraws the day in it."""
        company = await self.client.company()
        moved = company.get("time_zone") != self.store.company.get("time_zone")
        self.store.set_company(company)
        if moved:
            self.request_day(self.model.day)

    async def _refresh_technician(self, tech_id: int) -> None:
        tech = await self.client.technician(tech_id)
        self.store.upsert_technician(tech)
        row = self.model.lane_row_for_tech(tech_id)
        if not tech.get("active", True) and row is not None and not self.model.lanes[row].ids:
            self.request_day(self.model.day)  # off the team with nothing this day: the day's board leaves them out

    async def _refresh_booking(self, request_id: int, *, new: bool) -> None:
        self.store.upsert_booking(await self.client.booking_request(request_id), new=new)

    def _on_refresh(self, reason: str) -> None:
        log.info("full refresh (%s)", reason)
        self.request_reload()
        self.eventReceived.emit(STREAM_REFRESH, {"reason": reason})

    def _on_state(self, state: LinkState, since: datetime | None) -> None:
        self.store.set_link(state.value, since, self.stream.last_event_at)
        self.linkChanged.emit(state.value, self.describe(state, since))

    def describe(self, state: LinkState, since: datetime | None) -> str:
        if state == LinkState.LIVE:
            return "Live"
        if state == LinkState.CONNECTING:
            return "Connecting…"
        if state == LinkState.RECONNECTING:
            return "Reconnecting…"
        if state == LinkState.SIGNED_OUT:
            return "Signed out — sign in again to resume live updates"
        last = self.stream.last_event_at
        tail = f" (last update {clock_time(last, self.tz)})" if last else ""
        lost = clock_time(since, self.tz) if since else "now"
        return f"Offline since {lost} — schedule, alerts and crew map may be stale{tail}"



def _zone(company: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(company.get("time_zone") or DEFAULT_TIME_ZONE))
