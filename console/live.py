"""Live sync: loads the day into the schedule model and keeps it current from the event stream."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal

from models.events import EventName
from services.api_client import ApiClient, ApiError
from services.event_stream import EventStream, LinkState
from widgets.schedule_model import ScheduleModel

log = logging.getLogger(__name__)

#: Events that may change an appointment block (the LATE flag rides on alerts).
APPOINTMENT_EVENTS = {EventName.APPOINTMENT_UPDATED}
ALERT_EVENTS = {EventName.ALERT_CREATED, EventName.ALERT_UPDATED}
MAX_REFETCH = 4  # appointment refetches in flight at once


def spawn(coro: Coroutine[Any, Any, Any], tasks: set[asyncio.Task[Any]]) -> asyncio.Task[Any]:
    """Run a coroutine on the Qt-integrated loop, keeping a reference until it finishes."""
    task = asyncio.ensure_future(coro)
    tasks.add(task)

    def done(t: asyncio.Task[Any]) -> None:
        tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("background task failed", exc_info=t.exception())

    task.add_done_callback(done)
    return task


class LiveSync(QObject):
    """Owns the event stream and the schedule model's data; widgets only see the model and these signals."""

    linkChanged = Signal(str, str)  # state, text for the status bar
    eventReceived = Signal(str, dict)  # every event, for the panels
    dayLoaded = Signal(object)  # the date
    loadFailed = Signal(str)
    appointmentRefreshed = Signal(int)
    unauthorized = Signal(str)

    def __init__(self, client: ApiClient, model: ScheduleModel, *, offline_after_s: float = 5.0,
                 base_delay_s: float = 0.5, max_delay_s: float = 15.0, parent: QObject | None = None):
        super().__init__(parent)
        self.client = client
        self.model = model
        self.company: dict[str, Any] = {"name": "", "time_zone": model.time_zone}
        self.technicians: list[dict[str, Any]] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.stream = EventStream(client, on_event=self._on_event, on_refresh=self._on_refresh,
                                  on_state=self._on_state, offline_after_s=offline_after_s,
                                  base_delay_s=base_delay_s, max_delay_s=max_delay_s)
        self._pending: dict[int, None] = {}
        self._workers = 0
        self._load_seq = 0
        self.events_handled = 0
        self.last_load_s = 0.0
        client.on_unauthorized.append(lambda err: self.unauthorized.emit(err.message))

    @property
    def tz(self) -> str:
        return str(self.company.get("time_zone") or self.model.time_zone)

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.tz)).date()

    # --- lifecycle ----------------------------------------------------------------------------------
    async def start(self, day: date | None = None) -> None:
        """Load the company, start the stream; the stream's first connection triggers the day's load."""
        try:
            self.company = await self.client.company()
        except ApiError as exc:
            if exc.status == 401:
                raise
            log.warning("company unavailable: %s", exc)
        self.model.set_time_zone(self.tz)
        if day is not None:
            self.model.day = day
        self.stream.start()

        async def fallback() -> None:  # server slow to stream: show what we can, reload once live
            await asyncio.sleep(2.0)
            if self.stream.state != LinkState.LIVE and self._load_seq == 0:
                await self.load_day(self.model.day)

        spawn(fallback(), self.tasks)

    async def stop(self) -> None:
        await self.stream.stop()
        for t in list(self.tasks):
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def resume(self) -> None:
        """After a new sign-in: reconnect the stream now."""
        self.stream.kick()

    # --- loading ------------------------------------------------------------------------------------
    async def load_day(self, day: date) -> bool:
        """Fetch technicians and the day's appointments and replace the model's day."""
        self._load_seq += 1
        seq = self._load_seq
        t0 = time.perf_counter()
        try:
            techs, appts = await asyncio.gather(self.client.technicians(), self.client.appointments(day))
        except ApiError as exc:
            self.loadFailed.emit(f"Couldn't load the schedule for {day:%b %d}: {exc.message}")
            return False
        if seq != self._load_seq:
            return False  # a newer load superseded this one
        self.technicians = techs
        self.model.load(day, techs, appts)
        self.last_load_s = time.perf_counter() - t0
        self.dayLoaded.emit(day)
        return True

    def request_day(self, day: date) -> None:
        spawn(self.load_day(day), self.tasks)

    async def refresh_appointment(self, appt_id: int) -> dict[str, Any] | None:
        """Refetch one appointment now and apply it in place."""
        try:
            data = await self.client.appointment(appt_id)
        except ApiError as exc:
            if exc.status == 404:
                self.model.remove(appt_id)
            else:
                log.info("refresh of appointment %s failed: %s", appt_id, exc)
            return None
        self.model.upsert(data)
        self.appointmentRefreshed.emit(appt_id)
        return data

    def queue_refresh(self, appt_id: int) -> None:
        """Coalesce refetches: each id is fetched once however many events name it; few requests in flight."""
        self._pending[appt_id] = None
        if self._workers < MAX_REFETCH:
            self._workers += 1
            spawn(self._drain(), self.tasks)

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
        self.model.upsert(data)
        self.appointmentRefreshed.emit(int(data["id"]))

    # --- stream callbacks -----------------------------------------------------------------------------
    def _on_event(self, ev_id: int | None, name: str, data: dict[str, Any]) -> None:
        self.events_handled += 1
        if name in APPOINTMENT_EVENTS and "id" in data:
            appt_id = int(data["id"])
            current = self.model.appointment(appt_id)
            version = int(data.get("version", 0))
            if current is None or version > current.version:
                status = str(data.get("status") or "")
                # One version step with a new status is a pure status change (reassign/reschedule never change
                # status): the event says everything the grid shows, so no refetch. Otherwise paint, then refetch.
                pure = current is not None and version == current.version + 1 and status and status != current.status
                if current is not None and status:
                    self.model.patch_status(appt_id, status, version)
                if not pure:
                    self.queue_refresh(appt_id)
                else:
                    self.appointmentRefreshed.emit(appt_id)
        elif name in ALERT_EVENTS and data.get("appointment_id") and data.get("kind") == "late":
            appt_id = int(data["appointment_id"])
            if self.model.appointment(appt_id) is not None:
                self.queue_refresh(appt_id)
        elif name == EventName.TECHNICIAN_UPDATED and "id" in data:
            spawn(self._refresh_technician(int(data["id"])), self.tasks)
        elif name == EventName.SETTINGS_UPDATED and {"name", "phone", "time_zone"} & set(data.get("changed") or []):
            spawn(self._refresh_company(), self.tasks)
        self.eventReceived.emit(name, data)

    async def _refresh_company(self) -> None:
        """Another console changed the company profile: a new time zone redraws the day in it."""
        try:
            company = await self.client.company()
        except ApiError as exc:
            log.info("company refresh failed: %s", exc)
            return
        moved = company.get("time_zone") != self.company.get("time_zone")
        self.company = company
        if moved:
            self.model.set_time_zone(self.tz)
            self.request_day(self.model.day)

    async def _refresh_technician(self, tech_id: int) -> None:
        try:
            tech = await self.client.technician(tech_id)
        except ApiError as exc:
            log.info("technician %s refresh failed: %s", tech_id, exc)
            return
        self.technicians = [tech if t["id"] == tech_id else t for t in self.technicians]
        if all(t["id"] != tech_id for t in self.technicians):
            self.technicians.append(tech)
        self.model.upsert_technician(tech)

    def _on_refresh(self, reason: str) -> None:
        log.info("full refresh (%s)", reason)
        self.request_day(self.model.day)
        self.eventReceived.emit("stream.refresh", {"reason": reason})

    def _on_state(self, state: LinkState, since: datetime | None) -> None:
        self.linkChanged.emit(state.value, self.describe(state, since))

    def describe(self, state: LinkState, since: datetime | None) -> str:
        tz = ZoneInfo(self.tz)

        def hm(dt: datetime) -> str:
            return dt.astimezone(tz).strftime("%I:%M %p").lstrip("0")

        if state == LinkState.LIVE:
            return "Live"
        if state == LinkState.CONNECTING:
            return "Connecting…"
        if state == LinkState.RECONNECTING:
            return "Reconnecting…"
        if state == LinkState.SIGNED_OUT:
            return "Signed out — sign in again to resume live updates"
        last = self.stream.last_event_at
        tail = f" (last update {hm(last)})" if last else ""
        return f"Offline since {hm(since) if since else 'now'} — schedule, alerts and crew map may be stale{tail}"
