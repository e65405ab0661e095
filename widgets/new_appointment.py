"""The New appointment dialog: customer (found or new), job, job site on a map, window and technician.

It saves customer → job → contacts → appointment through the existing endpoints, after asking the server for
conflicts (`POST /appointments/check`) and letting the dispatcher "Book anyway" or go back.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import DEFAULT_TIME_ZONE, window_text
from services.api_client import ApiClient, ApiError
from widgets.conflict_panel import ConflictPanel, conflict_lines
from widgets.customer_picker import CustomerPicker
from widgets.pin_map import PinMap, show_candidates
from widgets.suggest_list import WhoIsBestDialog
from widgets.tasks import TaskSet
from widgets.visit_time import visit_time_fields

NO_LOCATION = "No location: no auto-arrival, no ETA. Find the address or click the map to place the pin."
WARN = "color:#B4461B;"
CHECK_MS = 400


class NewAppointmentDialog(QDialog):
    """Book a visit from the board. `created` carries the new appointment once everything is saved."""

    created = Signal(dict)

    def __init__(self, api: ApiClient, *, technicians: list[dict[str, Any]], company: dict[str, Any],
                 tile_url: str = "", technician_id: int | None = None, start: datetime | None = None,
                 duration_min: int = 120, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.tz = str(company.get("time_zone") or DEFAULT_TIME_ZONE)
        self.techs = {int(t["id"]): t for t in technicians if t.get("active", True)}
        self.tasks = TaskSet()
        self.made_customer: dict[str, Any] | None = None
        self.made_job: dict[str, Any] | None = None
        self.pending_contacts: list[dict[str, Any]] = []
        self.appointment: dict[str, Any] | None = None
        self.pin_source = ""
        self.checks = 0  # answered live checks (tests wait on it)
        self._address_touched = False
        self.setWindowTitle("New appointment")
        self.resize(1180, 800)

        self.customer = CustomerPicker(api, self.tz)
        self.customer.changed.connect(self._on_customer)
        cust_box = self._box("1 · Customer", self.customer)
        job_box = self._box("2 · Job", self._build_job(company))
        site_box = self._box("3 · Job site", self._build_site(tile_url))
        when_box = self._box("4 · When and who", self._build_when(start, duration_min, technician_id))
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(cust_box, 3)
        left.addWidget(job_box, 2)
        right.addWidget(site_box, 3)
        right.addWidget(when_box, 0)
        cols = QHBoxLayout()
        cols.addLayout(left, 1)
        cols.addLayout(right, 1)
        root = QVBoxLayout(self)
        root.addLayout(cols, 1)
        self.conflicts = ConflictPanel(self)
        self.conflicts.bookAnyway.connect(lambda: self.tasks.spawn(self.save(anyway=True)))
        self.conflicts.cancelled.connect(lambda: self._say("Not booked. Change the time or the technician."))
        root.addWidget(self.conflicts)
        bottom = QHBoxLayout()
        self.status = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        bottom.addWidget(self.status, 1)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setAutoDefault(False)
        self.cancel_btn.clicked.connect(self.reject)
        self.save_btn = QPushButton("Create appointment")
        self.save_btn.setAutoDefault(False)
        self.save_btn.setToolTip("Ctrl+Enter")
        self.save_btn.clicked.connect(lambda: self.tasks.spawn(self.save()))
        bottom.addWidget(self.cancel_btn)
        bottom.addWidget(self.save_btn)
        root.addLayout(bottom)
        self.conflicts.shown.connect(lambda on: [b.setVisible(not on) for b in (self.cancel_btn, self.save_btn)])
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=lambda: self.tasks.spawn(self.save()))
        self.check_timer = QTimer(self, singleShot=True, interval=CHECK_MS)
        self.check_timer.timeout.connect(lambda: self.tasks.spawn(self.live_check()))
        self._update_location()
        self._on_when_changed()
        self.customer.search.setFocus()
        self._fit_screen()

    def _fit_screen(self) -> None:
        """1180×800 where it fits; on a smaller screen (1280×720) the available area, minus a margin."""
        screen = (self.parentWidget() or self).screen()
        if screen is not None:
            room = screen.availableGeometry()
            self.resize(min(1180, room.width() - 40), min(800, room.height() - 40))

    # --- building -----------------------------------------------------------------------------------------
    @staticmethod
    def _box(title: str, body: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(10, 8, 10, 10)
        lay.addWidget(body)
        return box

    def _build_job(self, company: dict[str, Any]) -> QWidget:
        w = QWidget()
        f = QFormLayout(w)
        f.setContentsMargins(0, 0, 0, 0)
        self.service = QComboBox()
        self.service.setEditable(True)
        self.service.addItems([str(s) for s in company.get("bookable_services") or []])
        self.service.setCurrentIndex(-1)
        self.service.lineEdit().setPlaceholderText("Pick a service or type one")
        self.description = QPlainTextEdit(placeholderText="What the customer told us (the technician sees this)")
        self.notes = QPlainTextEdit(placeholderText="Internal notes: gate codes, pets, billing — never shown to the "
                                                    "customer")
        for edit in (self.description, self.notes):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(54)
        f.addRow("Service", self.service)
        f.addRow("Description", self.description)
        f.addRow("Internal notes", self.notes)
        contacts = QWidget()
        v = QVBoxLayout(contacts)
        v.setContentsMargins(0, 0, 0, 0)
        self.contact_list = QListWidget()
        self.contact_list.setFixedHeight(44)
        self.contact_list.setAccessibleName("Job contacts")
        grid = QGridLayout()
        self.contact_fields = {k: QLineEdit(placeholderText=p) for k, p in (
            ("name", "Name"), ("relation", "Relation, e.g. tenant"), ("phone", "Phone"), ("email", "Email"))}
        for i, k in enumerate(self.contact_fields):
            grid.addWidget(self.contact_fields[k], i // 2, i % 2)
        add = QPushButton("Add contact")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_contact)
        grid.addWidget(add, 1, 2)
        v.addWidget(self.contact_list)
        v.addLayout(grid)
        f.addRow("Job contacts", contacts)
        return w

    def _build_site(self, tile_url: str) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        v.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.address = QLineEdit(placeholderText="The customer's address, or where the job is")
        self.address.setAccessibleName("Job address")
        self.address.textEdited.connect(self._on_address_edited)
        self.address.returnPressed.connect(lambda: self.tasks.spawn(self.find_address()))
        self.find_btn = QPushButton("Find on map")
        self.find_btn.setAutoDefault(False)
        self.find_btn.clicked.connect(lambda: self.tasks.spawn(self.find_address()))
        row.addWidget(self.address, 1)
        row.addWidget(self.find_btn)
        v.addLayout(row)
        self.candidates = QListWidget()
        self.candidates.setAccessibleName("Places found for the address")
        self.candidates.setFixedHeight(66)
        self.candidates.setVisible(False)
        self.candidates.currentItemChanged.connect(self._on_candidate)
        v.addWidget(self.candidates)
        self.map = PinMap(tile_url)
        self.map.setMinimumHeight(200)
        self.map.pinMoved.connect(self._on_pin_moved)
        v.addWidget(self.map, 1)
        self.location = QLabel("", wordWrap=True)
        v.addWidget(self.location)
        return w

    def _build_when(self, start: datetime | None, duration_min: int, tech_id: int | None) -> QWidget:
        w = QWidget()
        f = QFormLayout(w)
        f.setContentsMargins(0, 0, 0, 0)
        z = ZoneInfo(self.tz)
        if start is None:
            now = datetime.now(z)
            start = datetime.combine(now.date() + timedelta(days=1), time(9, 0), tzinfo=z)
        local = start.astimezone(z)
        self.date, self.start, self.duration = visit_time_fields(local, duration_min)
        self.window_label = QLabel("", objectName="Muted")
        self.tech = QComboBox()
        self.tech.addItem("Unassigned", None)
        for t in sorted(self.techs.values(), key=lambda t: str(t["name"])):
            self.tech.addItem(str(t["name"]), int(t["id"]))
        if tech_id is not None and self.tech.findData(tech_id) >= 0:
            self.tech.setCurrentIndex(self.tech.findData(tech_id))
        self.best_btn = QPushButton("Who is best?")
        self.best_btn.setAutoDefault(False)
        self.best_btn.setToolTip("Technicians ranked by when they can really be there, with reasons and warnings")
        self.best_btn.clicked.connect(self.who_is_best)
        self.best: WhoIsBestDialog | None = None
        who = QHBoxLayout()
        who.addWidget(self.tech, 1)
        who.addWidget(self.best_btn)
        self.check_label = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        when = QHBoxLayout()
        when.addWidget(self.date, 3)
        when.addWidget(self.start, 2)
        when.addWidget(self.duration, 2)
        f.addRow("Arrival", when)
        f.addRow("", self.window_label)
        f.addRow("Technician", who)
        f.addRow("", self.check_label)
        for sig in (self.date.dateChanged, self.start.timeChanged, self.duration.currentIndexChanged,
                    self.tech.currentIndexChanged):
            sig.connect(self._on_when_changed)
        return w

    # --- reactions ----------------------------------------------------------------------------------------
    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(WARN if error else "")
        self.status.setText(text)

    def _on_customer(self) -> None:
        if self._address_touched:
            return
        self.address.setText(self.customer.address())
        coords = self.customer.coords()
        if coords is not None:
            self.map.set_pin(*coords)
            self.pin_source = "the customer's location on file"
        elif self.pin_source == "the customer's location on file":
            self.map.clear_pin()
            self.pin_source = ""
        self._update_location()

    def _on_address_edited(self, _text: str) -> None:
        self._address_touched = True

    def _on_pin_moved(self, lat: float, lng: float) -> None:
        self.pin_source = "placed on the map"
        self._update_location()

    def _on_candidate(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        if item is None:
            return
        c = item.data(Qt.ItemDataRole.UserRole)
        self.map.set_pin(float(c["lat"]), float(c["lng"]))
        self.pin_source = f"found: {c['label']}"
        self._update_location()

    def _update_location(self) -> None:
        pin = self.map.pin
        if pin is None:
            self.location.setStyleSheet(WARN)
            self.location.setText(NO_LOCATION)
        else:
            self.location.setStyleSheet("")
            self.location.setText(f"Pinned at {pin[0]:.5f}, {pin[1]:.5f} — {self.pin_source}. Drag the pin to "
                                  "correct it.")

    def window(self) -> tuple[datetime, datetime]:
        d, t = self.date.date(), self.start.time()
        start = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=ZoneInfo(self.tz))
        return start, start + timedelta(minutes=int(self.duration.currentData()))

    def _on_when_changed(self, *_: Any) -> None:
        start, end = self.window()
        self.window_label.setText(window_text(start, end, self.tz))
        self.conflicts.clear()
        self.check_label.setText("")
        if self.tech.currentData() is not None:
            self.check_timer.start()

    def who_is_best(self) -> WhoIsBestDialog | None:
        """Technicians ranked for this site, window and service; the one chosen fills Technician."""
        if self.map.pin is None:
            self._say("Place the job on the map first (find the address or click the map): the ranking needs "
                      "where the job is.", error=True)
            return None
        start, end = self.window()
        service = self.service.currentText().strip()
        who = self.customer.selected.get("name") if self.customer.selected else "New customer"
        self._say("")
        self.best = WhoIsBestDialog(self.api, f"{who} — {service or 'visit'} · {window_text(start, end, self.tz)}",
                                    time_zone=self.tz, parent=self, lat=self.map.pin[0], lng=self.map.pin[1],
                                    window_start=start, window_end=end, service_type=service or None)
        self.best.picked.connect(lambda tid: self.tech.setCurrentIndex(max(0, self.tech.findData(tid))))
        self.best.open()
        return self.best

    async def live_check(self) -> list[dict[str, Any]] | None:
        """Ask the server what this booking would clash with; shown under the technician. None: not checked."""
        tech = self.tech.currentData()
        if tech is None:
            return []
        start, end = self.window()
        try:
            res = await self.api.check_appointment(tech, start, end)
        except ApiError as exc:
            self.check_label.setStyleSheet(WARN)
            self.check_label.setText(f"Couldn't check {self.tech.currentText()}'s schedule: {exc.message}")
            return None
        if (tech, start, end) != (self.tech.currentData(), *self.window()):
            return None  # changed meanwhile; a newer check follows
        self.checks += 1
        found = res["conflicts"]
        self.check_label.setStyleSheet(WARN if found else "")
        self.check_label.setText("\n".join(conflict_lines(found)) if found else
                                 f"{self.tech.currentText()} is free then.")
        return found

    # --- job contacts and address -------------------------------------------------------------------------
    def add_contact(self) -> None:
        c = {k: w.text().strip() for k, w in self.contact_fields.items()}
        if not c["name"] or not (c["phone"] or c["email"]):
            self._say("A job contact needs a name and a phone number or email.", error=True)
            return
        self.pending_contacts.append(c)
        reach = c["phone"] or c["email"]
        self.contact_list.addItem(f"{c['name']}" + (f" ({c['relation']})" if c["relation"] else "") + f" — {reach}")
        for w in self.contact_fields.values():
            w.clear()
        self._say(f"{c['name']} will get this job's texts and emails.")

    async def find_address(self) -> None:
        q = self.address.text().strip()
        if len(q) < 3:
            self._say("Type the address first.", error=True)
            return
        self.find_btn.setEnabled(False)
        self._say(f"Looking up “{q}”…")
        try:
            res = await self.api.geocode(q)
        except ApiError as exc:
            self._say(exc.message, error=True)
            return
        finally:
            self.find_btn.setEnabled(True)
        found = res.get("candidates") or []
        show_candidates(self.candidates, found)
        if not found:
            self._say(f"No place found for “{q}”. Click the map where the job is.", error=True)
            return
        self._say("Found it. Check the pin; drag it if the house is elsewhere." if len(found) == 1 else
                  f"{len(found)} places match — pick the right one, or drag the pin.")

    # --- saving -------------------------------------------------------------------------------------------
    def problem(self) -> str | None:
        return self.customer.problem() or (None if self.service.currentText().strip()
                                           else "Pick the service (or type what the job is).")

    async def save(self, anyway: bool = False) -> dict[str, Any] | None:
        """Check conflicts (unless `anyway`), then create customer → job → contacts → appointment."""
        if not self.save_btn.isEnabled():
            return None
        problem = self.problem()
        if problem:
            self._say(problem, error=True)
            return None
        start, end = self.window()
        tech = self.tech.currentData()
        self.save_btn.setEnabled(False)
        try:
            if tech is not None and not anyway:
                self._say(f"Checking {self.tech.currentText()}'s schedule…")
                found = (await self.api.check_appointment(tech, start, end))["conflicts"]
                if found:
                    self._say("")
                    self.conflicts.show_conflicts(self.tech.currentText(), found)
                    return None
            self._say("Saving…")
            customer_id = await self._ensure_customer()
            job = await self._ensure_job(customer_id)
            while self.pending_contacts:
                await self.api.add_job_contact(job["id"], **self.pending_contacts[0])
                self.pending_contacts.pop(0)
            appt = await self.api.create_appointment(job["id"], start, end, tech, allow_conflicts=anyway)
        except ApiError as exc:
            raced = (exc.details or {}).get("conflicts") if exc.code == "schedule_conflict" else None
            if raced:  # another console booked that time meanwhile: ask again, with what the server found
                self._say("Someone else just booked that time.", error=True)
                self.conflicts.show_conflicts(self.tech.currentText(), raced)
                return None
            where = " (nothing was saved)" if self.made_customer is None and self.made_job is None else ""
            self._say(f"Not saved{where}: {exc.message}", error=True)
            return None
        finally:
            self.save_btn.setEnabled(True)
        self.appointment = appt
        who = self.tech.currentText() if tech is not None else "Unassigned"
        self._say(f"Booked {appt['customer_name']} · {window_text(start, end, self.tz)} · {who}.")
        self.created.emit(appt)
        self.accept()
        return appt

    def _same_site(self) -> bool:
        return self.address.text().strip() == self.customer.address()

    async def _ensure_customer(self) -> int:
        if not self.customer.creating:
            assert self.customer.selected is not None
            return int(self.customer.selected["id"])
        if self.made_customer is None:
            body = self.customer.new_customer()
            if self.map.pin is not None and self._same_site():
                body["lat"], body["lng"] = self.map.pin
            self.made_customer = await self.api.create_customer(**body)
        return int(self.made_customer["id"])

    async def _ensure_job(self, customer_id: int) -> dict[str, Any]:
        if self.made_job is None:
            pin = self.map.pin
            self.made_job = await self.api.create_job_full(
                customer_id, self.service.currentText().strip(), description=self.description.toPlainText().strip(),
                internal_notes=self.notes.toPlainText().strip(), address=self.address.text().strip(),
                lat=pin[0] if pin else None, lng=pin[1] if pin else None)
        return self.made_job

    def done(self, result: int) -> None:
        self.tasks.cancel()
        self.check_timer.stop()
        super().done(result)
