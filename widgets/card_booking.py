"""What the board adds to an appointment card: Edit job…, Edit customer…, Book follow-up… (from a paused visit),
the job site's location state, and the conflict check before the card's reassign/reschedule is saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from models.enums import AppointmentStatus as S
from models.timefmt import clock_time, parse_iso
from services.api_client import ApiError
from widgets.appointment_card import AppointmentCard
from widgets.conflict_panel import ConflictPanel
from widgets.customer_editor import CustomerEditor
from widgets.follow_up import FollowUpDialog
from widgets.job_editor import NO_LOCATION, JobEditor

WARN = "color:#B4461B;"


class CardBooking(QObject):
    """Attached to one card; `booked(appointment)` is where a new follow-up goes (the live store)."""

    def __init__(self, card: AppointmentCard, *, technicians: Callable[[], list[dict[str, Any]]],
                 company: Callable[[], dict[str, Any]], tile_url: str = "",
                 booked: Callable[[dict[str, Any]], None] | None = None):
        super().__init__(card)
        self.card, self.api = card, card.api
        self.technicians, self.company, self.tile_url = technicians, company, tile_url
        self.booked = booked or (lambda _a: None)
        self.dialog: FollowUpDialog | JobEditor | CustomerEditor | None = None
        self.checks = 0
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit_btn = QPushButton("Edit job…")
        self.edit_btn.setToolTip("Service, description, internal notes, job site and its pin")
        self.edit_btn.clicked.connect(lambda: card.tasks.spawn(self.edit_job(), "open the job"))
        self.customer_btn = QPushButton("Edit customer…")
        self.customer_btn.setToolTip("The customer's name, mobile phone and email")
        self.customer_btn.clicked.connect(lambda: card.tasks.spawn(self.edit_customer(), "open the customer"))
        self.follow_btn = QPushButton("Book follow-up…")
        self.follow_btn.setToolTip("A new visit on the same job, prefilled from this one")
        self.follow_btn.clicked.connect(self.book_follow_up)
        self.location = QLabel("", wordWrap=True)
        row.addWidget(self.edit_btn)
        row.addWidget(self.customer_btn)
        row.addWidget(self.follow_btn)
        row.addWidget(self.location, 1)
        card.body.insertWidget(1, bar)
        self.conflicts = ConflictPanel(card)
        self.conflicts.bookAnyway.connect(lambda: card.save_schedule(allow_conflicts=True))
        self.conflicts.cancelled.connect(lambda: card.show_notice("Not saved: the technician and window are as "
                                                                   "they were.", error=False))
        root = card.layout()
        if isinstance(root, QBoxLayout):
            root.insertWidget(root.indexOf(card.notice) + 1, self.conflicts)
        card.save_btn.clicked.disconnect(card.save_schedule)
        card.save_btn.clicked.connect(lambda: card.tasks.spawn(self.save_checked(), "check the schedule"))
        card.scheduleRefused.connect(lambda found: self._ask(found, raced=True))
        card.shown.connect(self.show_data)
        if card.data:
            self.show_data(card.data)
        else:
            self.follow_btn.setVisible(False)

    def show_data(self, data: dict[str, Any]) -> None:
        """Follow-up only from a paused visit; the location line says when there is no pin."""
        self.follow_btn.setVisible(data.get("status") == S.PAUSED)
        missing = data.get("site_lat") is None or data.get("site_lng") is None
        self.location.setStyleSheet(WARN if missing else "")
        self.location.setText(("⚠ " + NO_LOCATION) if missing else "")
        self.location.setToolTip("Without a pin the geofence can't mark the arrival and no ETA is computed. "
                                 "Use Edit job… to place it." if missing else "")

    # --- reassign / reschedule from the card ----------------------------------------------------------------
    def _proposed(self) -> tuple[Any, datetime, datetime]:
        c = self.card
        d, t = c.date_edit.date(), c.time_edit.time()
        start = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=ZoneInfo(c.tz))
        return c.tech_combo.currentData(), start, start + timedelta(minutes=c.duration.value())

    async def save_checked(self) -> list[dict[str, Any]]:
        """Ask the server what the new technician/window would clash with; save at once when nothing does."""
        c = self.card
        if not c.data:
            return []
        tech, start, end = self._proposed()
        unchanged = (tech == c.data.get("technician_id") and start == parse_iso(c.data["window_start"])
                     and end == parse_iso(c.data["window_end"]))
        found: list[dict[str, Any]] = []
        if tech is not None and not unchanged:
            try:
                found = (await self.api.check_appointment(int(tech), start, end, appointment_id=c.appt_id))[
                    "conflicts"]
            except ApiError:
                found = []  # the server checks again on save; a 409 comes back through scheduleRefused
        self.checks += 1
        if found:
            self._ask(found)
        else:
            self.conflicts.clear()
            c.save_schedule()
        return found

    def _ask(self, found: list[dict[str, Any]], *, raced: bool = False) -> None:
        tech = self.card.tech_combo.currentText() or "The technician"
        self.card.notice.hide()
        self.conflicts.show_conflicts(tech, list(found), question=(
            "Someone else booked that time first. Save anyway?" if raced else "Save anyway?"))

    # --- job and follow-up ----------------------------------------------------------------------------------
    async def edit_job(self) -> JobEditor | None:
        data = self.card.data
        if not data.get("job_id"):
            return None
        try:
            job = await self.api.job(int(data["job_id"]))
        except ApiError as exc:
            self.card.show_notice(f"Couldn't open the job: {exc.message}")
            return None
        services = [str(s) for s in self.company().get("bookable_services") or []]
        dlg = JobEditor(self.api, job, services=services, tile_url=self.tile_url, parent=self.card)
        dlg.saved.connect(lambda _job: self.card.reload())
        dlg.saved.connect(lambda job: self.card.show_notice(f"Job saved: {job['service_type']}.", error=False))
        self.dialog = dlg
        dlg.open()
        return dlg

    async def edit_customer(self) -> CustomerEditor | None:
        data = self.card.data
        if not data.get("customer_id"):
            return None
        try:
            customer = await self.api.customer(int(data["customer_id"]))
        except ApiError as exc:
            self.card.show_notice(f"Couldn't open the customer: {exc.message}")
            return None
        dlg = CustomerEditor(self.api, customer, country=str(self.company().get("country") or "US"),
                             parent=self.card)
        dlg.saved.connect(lambda _c: self.card.reload())
        dlg.saved.connect(lambda c: self.card.show_notice(f"Customer saved: {c['name']}.", error=False))
        self.dialog = dlg
        dlg.open()
        return dlg

    def book_follow_up(self) -> FollowUpDialog | None:
        data = self.card.data
        if not data:
            return None
        dlg = FollowUpDialog(self.api, data, technicians=self.technicians(), tz=self.card.tz, parent=self.card)
        dlg.created.connect(self._followed_up)
        self.dialog = dlg
        dlg.open()
        return dlg

    def _followed_up(self, appt: dict[str, Any]) -> None:
        self.booked(appt)
        when = parse_iso(appt["window_start"]).astimezone(ZoneInfo(self.card.tz))
        self.card.show_notice(f"Follow-up booked for {when:%a, %b} {when.day} at {clock_time(when, self.card.tz)} with "
                              f"{appt.get('technician_name') or 'nobody yet (Unassigned)'}.", error=False)
