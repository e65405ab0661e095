"""The appointment card: details, contact, notes, history in words, manual statusing, reassign and reschedule."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import SIGNAL, QDate, Qt, QTime, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from models.enums import AppointmentStatus as S
from models.phones import display
from models.status_machine import ORDER, is_backward
from models.timefmt import clock_time, local, parse_iso
from services.api_client import ApiClient, ApiError
from widgets import card_offline
from widgets.card_text import FINAL, STATUS_ACTIONS, Prompts, describe_changes, history_sentence, time_on_site
from widgets.job_contacts import JobContacts
from widgets.notification_history import NotificationHistory
from widgets.notify_choice import NotifyPrompt, preview_change
from widgets.status_colors import LATE_COLOR, label_for, style_for
from widgets.tasks import TaskSet
from widgets.team_notes import TeamNotes
from widgets.visit_photos import Widget as VisitPhotos

if TYPE_CHECKING:
    from console.store import Store

log = logging.getLogger(__name__)

class AppointmentCard(QDialog):
    """Opens on click or Enter on a block. Every change goes through the API client with If-Match."""

    changed = Signal(dict)  # the appointment as the API returned it after a change or reload
    shown, scheduleRefused = Signal(dict), Signal(object)  # the appointment as shown; a 409's conflicts
    performed = Signal(dict, dict, object)  # before, after, customer texted (None: not asked) — for undo

    def __init__(self, api: ApiClient, appt_id: int, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.appt_id, self.store = api, appt_id, store
        self.data: dict[str, Any] = {}
        self.prompts = Prompts(self)
        self.notify = NotifyPrompt(self)  # "Text the customer about this change?"
        self.tasks = TaskSet(lambda text: self.show_notice(escape(text)))
        self._retry: Callable[[], Awaitable[None]] | None = None
        self.setWindowTitle(f"Appointment #{appt_id}")
        self.setObjectName("AppointmentCard")
        self.resize(640, 760)
        self._build()
        card_offline.start(self)  # loads it, or shows what the console holds while offline

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.banner = QFrame(objectName="StatusBanner")
        bl = QVBoxLayout(self.banner)
        bl.setContentsMargins(18, 14, 18, 12)
        top = QHBoxLayout()
        self.status_label = QLabel("Loading…", objectName="StatusTitle")
        self.late_label = QLabel("⚠ LATE", objectName="LateBadge")
        self.late_label.setStyleSheet(f"background:{LATE_COLOR};color:white;border-radius:4px;padding:2px 8px;"
                                      "font-weight:bold;")
        self.late_label.hide()
        top.addWidget(self.status_label)
        top.addWidget(self.late_label)
        top.addStretch(1)
        bl.addLayout(top)
        self.actions_row = QHBoxLayout()
        self.actions_row.setSpacing(6)
        bl.addLayout(self.actions_row)
        root.addWidget(self.banner)

        self.notice = QFrame(objectName="CardNotice")
        nl = QHBoxLayout(self.notice)
        nl.setContentsMargins(18, 8, 12, 8)
        self.notice_text = QLabel(wordWrap=True)
        self.notice_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_btn = QPushButton("Retry my change")
        self.retry_btn.clicked.connect(self._do_retry)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.notice.hide)
        nl.addWidget(self.notice_text, 1)
        nl.addWidget(self.retry_btn)
        nl.addWidget(dismiss)
        self.notice.hide()
        root.addWidget(self.notice)

        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(18, 12, 18, 12)
        self.body.setSpacing(10)
        self.title = QLabel(objectName="CardTitle", wordWrap=True)
        self.body.addWidget(self.title)

        self.when_box = when = QGroupBox("When and who")
        form = QFormLayout(when)
        self.tech_combo = QComboBox()
        self.date_edit = QDateEdit(calendarPopup=True)
        self.date_edit.setDisplayFormat("ddd, MMM d, yyyy")
        self.time_edit = QTimeEdit()
        self.time_edit.setDisplayFormat("h:mm AP")
        self.duration = QSpinBox(minimum=15, maximum=12 * 60, singleStep=15, suffix=" min")
        self.save_btn = QPushButton("Save changes")
        self.save_btn.setShortcut(QKeySequence("Ctrl+S"))
        self.save_btn.setToolTip("Reassign / reschedule (Ctrl+S)")
        self.save_btn.clicked.connect(self.save_schedule)
        row = QHBoxLayout()
        row.addWidget(self.date_edit)
        row.addWidget(self.time_edit)
        row.addWidget(self.duration)
        form.addRow("Technician", self.tech_combo)
        form.addRow("Window", row)
        form.addRow("", self.save_btn)
        self.on_site = QLabel("Not on site yet.", objectName="Muted")
        form.addRow("Time on site", self.on_site)
        self.body.addWidget(when)

        self.customer_box = QLabel(wordWrap=True, objectName="CardSection")
        self.customer_box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self._section("Customer", self.customer_box))
        self.desc = QLabel(wordWrap=True)
        self.desc.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self._section("Job description", self.desc))
        self.notes = QLabel(wordWrap=True, objectName="InternalNotes")
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self._section("Internal notes — never shown to the customer", self.notes))
        self.history = QLabel(wordWrap=True, objectName="History")
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self._section("Status history", self.history))

        self.contacts = JobContacts(self.api)
        self.body.addWidget(self._section("Job contacts — also get this job's notifications", self.contacts))
        self.photos = VisitPhotos(self.api)
        self.body.addWidget(self._section("Visit photos", self.photos))
        self.team_notes = TeamNotes(self.api)
        self.body.addWidget(self._section("Notes from the team — staff only", self.team_notes))
        self.sent = NotificationHistory(self.api, self.store)
        self.body.addWidget(self._section("Messages sent — to the customer, job contacts and technician", self.sent))

        msg = QGroupBox("Message the technician")
        ml = QHBoxLayout(msg)
        self.msg_edit = QLineEdit(placeholderText="e.g. Customer asked you to call before arriving")
        self.msg_btn = QPushButton("Send text")
        self.msg_btn.clicked.connect(self.send_message)
        self.msg_edit.returnPressed.connect(self.send_message)
        ml.addWidget(self.msg_edit, 1)
        ml.addWidget(self.msg_btn)
        self.body.addWidget(msg)
        self.body.addStretch(1)
        scroll.setWidget(body)
        root.addWidget(scroll, 1)

        foot = QHBoxLayout()
        foot.setContentsMargins(18, 8, 18, 12)
        self.updated_label = QLabel(objectName="Muted")
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        foot.addWidget(self.updated_label, 1)
        foot.addWidget(close)
        root.addLayout(foot)

    @staticmethod
    def _section(title: str, content: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        lay = QVBoxLayout(box)
        lay.addWidget(content)
        return box

    # --- data -----------------------------------------------------------------------------------------
    @property
    def tz(self) -> str:
        return self.store.time_zone

    def reload(self) -> None:
        self.tasks.spawn(self._reload(), "load the appointment")

    async def _reload(self) -> dict[str, Any] | None:
        try:
            data = await self.api.appointment(self.appt_id)
        except ApiError as exc:
            card_offline.load_failed(self, exc)
            return None
        self.show_data(data)
        return data

    def show_data(self, data: dict[str, Any]) -> None:
        self.data = data
        tz = self.tz
        status = data["status"]
        st = style_for(status)
        self.banner.setStyleSheet(f"#StatusBanner{{background:{st.fill};border-bottom:3px solid {st.border};}}"
                                  f"#StatusBanner QLabel#StatusTitle{{color:{st.text};}}")
        self.status_label.setText(f"{st.glyph}  {label_for(status)}")
        self.late_label.setVisible(bool(data.get("late")))
        self._build_actions(data)
        start, end = parse_iso(data["window_start"]), parse_iso(data["window_end"])
        self.title.setText(f"<span style='font-size:15pt;font-weight:600'>{escape(data['customer_name'])}</span>"
                           f"<br>{escape(data['service_type'])} · "
                           f"{escape(clock_time(start, tz))} – {escape(clock_time(end, tz))}")
        self.tech_combo.blockSignals(True)
        self.tech_combo.clear()
        self.tech_combo.addItem("Unassigned", None)
        for t in self.store.technicians.values():
            if t.get("active", True) or t["id"] == data.get("technician_id"):
                self.tech_combo.addItem(t["name"], t["id"])
        if data.get("technician_id") and self.tech_combo.findData(data["technician_id"]) < 0:
            self.tech_combo.addItem(data.get("technician_name") or f"#{data['technician_id']}", data["technician_id"])
        self.tech_combo.setCurrentIndex(max(0, self.tech_combo.findData(data.get("technician_id"))))
        self.tech_combo.blockSignals(False)
        there = local(start, tz)
        self.date_edit.setDate(QDate(there.year, there.month, there.day))
        self.time_edit.setTime(QTime(there.hour, there.minute))
        self.duration.setValue(int((end - start).total_seconds() // 60))
        final = status in FINAL
        for w in (self.tech_combo, self.date_edit, self.time_edit, self.duration, self.save_btn):
            w.setEnabled(not final)
        contact = [f"<b>{escape(data['customer_name'])}</b>"]
        if data.get("customer_phone"):
            phone, country = escape(data["customer_phone"]), str(self.store.company.get("country") or "US")
            contact.append(f"Phone: <a href='tel:{phone}'>{escape(display(data['customer_phone'], country))}</a>")
        if data.get("customer_email"):
            contact.append(f"Email: {escape(data['customer_email'])}")
        if data.get("address"):
            contact.append(f"Address: {escape(data['address'])}")
        self.customer_box.setText("<br>".join(contact))
        self.customer_box.setOpenExternalLinks(True)
        self.desc.setText(escape(data.get("description") or "No description given."))
        self.notes.setText(escape(data.get("internal_notes") or "None."))
        lines = [escape(history_sentence(h, tz)) for h in data.get("history") or []]
        if data.get("customer_message"):
            lines.append(f"<i>Customer currently sees: “{escape(data['customer_message'])}”</i>")
        self.history.setText("<br>".join(lines) if lines else "No status changes yet — still as scheduled.")
        upd = parse_iso(data["updated_at"]) if data.get("updated_at") else None
        self.updated_label.setText(
            f"#{data['id']} · version {data['version']}"
            + (f" · last changed by {data.get('updated_by') or 'someone'} at {clock_time(upd, tz)}" if upd else ""))
        self.setWindowTitle(f"{data['customer_name']} — {data['service_type']}")
        self.on_site.setText(time_on_site(data.get("time_entry"), tz, status))
        if data.get("job_id"):
            self.contacts.set_job(int(data["job_id"]))
        if self.photos.appt_id != data["id"]:
            self.photos.set_appointment(int(data["id"]))
        self.team_notes.set_appointment(int(data["id"]))
        self.sent.set_appointment(data)
        self.shown.emit(data)

    def _build_actions(self, data: dict[str, Any]) -> None:
        while self.actions_row.count():
            item = self.actions_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.status_buttons: dict[str, QPushButton] = {}
        allowed = data.get("allowed_transitions") or []
        if not allowed:
            lab = QLabel("This visit is closed; its status can no longer change.")
            self.actions_row.addWidget(lab)
            return
        current = S(data["status"])
        for target in sorted(allowed, key=lambda s: ORDER[S(s)]):
            text, key = STATUS_ACTIONS.get(target, (label_for(target), ""))
            back = is_backward(current, S(target))
            btn = QPushButton(("↩ " if back else "") + text + ("…" if back and not text.endswith("…") else ""))
            btn.setObjectName("StatusAction")
            btn.setProperty("target", target)
            if key:
                btn.setShortcut(QKeySequence(key))
            hint = "needs a reason" if back else ("needs a message for the customer" if target == S.PAUSED else "")
            btn.setToolTip(f"Set status to {label_for(target)}" + (f" — {hint}" if hint else "") + f" ({key})")
            btn.clicked.connect(lambda _=False, t=target: self.request_status(t))
            self.actions_row.addWidget(btn)
            self.status_buttons[target] = btn
        self.actions_row.addStretch(1)

    # --- actions --------------------------------------------------------------------------------------
    def request_status(self, target: str) -> None:
        """Ask what the transition needs (reason, customer message, confirmation), then send it."""
        if not self.data:
            return
        current = S(self.data["status"])
        reason, message = "", ""
        if target == S.CANCELLED:
            if not (reason := self.prompts.cancel_reason(self.data["customer_name"]) or ""):
                self.show_notice("Not cancelled: say why the visit is cancelled.", error=False)
                return
        elif is_backward(current, S(target)):
            got = self.prompts.reason(current.value, target)
            if not got:
                self.show_notice("Not changed: a backward correction needs a reason.")
                return
            reason = got
        if target == S.PAUSED:
            got = self.prompts.customer_message()
            if not got:
                self.show_notice("Not paused: pausing needs a message the customer will see.")
                return
            message = got

        async def attempt() -> None:
            data = await self.api.set_status(self.appt_id, int(self.data["version"]), target, reason=reason,
                                             customer_message=message)
            self.notice.hide()
            self._applied(data)

        self.tasks.spawn(self._guarded(attempt, f"set the status to {label_for(target)}"))

    def save_schedule(self, allow_conflicts: bool = False) -> None:
        if not self.data:
            return
        tz = ZoneInfo(self.tz)
        d, t = self.date_edit.date(), self.time_edit.time()
        start = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=tz)
        end = start + timedelta(minutes=self.duration.value())
        tech = self.tech_combo.currentData()
        old_start = parse_iso(self.data["window_start"])
        old_end = parse_iso(self.data["window_end"])
        tech_changed = tech != self.data.get("technician_id")
        time_changed = start != old_start or end != old_end
        if not tech_changed and not time_changed:
            self.show_notice("Nothing to save: technician and window are unchanged.", error=False)
            return
        moved = {"tech_id": tech if tech_changed else None, "unassign": tech_changed and tech is None,
                 "start": start if time_changed else None, "end": end if time_changed else None}
        notify = self.notify.ask(preview_change(self.data, self.store.company, self.store.technicians, tz=self.tz,
                                                **moved))
        if notify is None:
            return

        async def attempt() -> None:
            data = await self.api.patch_appointment(
                self.appt_id, int(self.data["version"]), technician_id=moved["tech_id"], unassign=moved["unassign"],
                window_start=moved["start"], window_end=moved["end"], notify_customer=notify,
                allow_conflicts=allow_conflicts)
            self.notice.hide()
            self._applied(data, notify)

        self.tasks.spawn(self._guarded(attempt, "save the new technician and window"))

    def send_message(self) -> None:
        text = self.msg_edit.text().strip()
        if not text:
            self.show_notice("Type a message for the technician first.")
            return

        async def attempt() -> None:
            await self.api.message_tech(self.appt_id, text)
            self.msg_edit.clear()
            self.show_notice("Text sent to the technician (see the outbox for delivery).", error=False)

        self.tasks.spawn(self._guarded(attempt, "text the technician"))

    async def _guarded(self, attempt: Callable[[], Awaitable[None]], what: str) -> None:
        """Run an action with controls disabled; a 412 reloads, says who changed what, and offers a retry."""
        self.banner.setEnabled(False)
        self.save_btn.setEnabled(False)
        try:
            await attempt()
        except ApiError as exc:
            if exc.status == 412:
                before = dict(self.data)
                fresh = await self._reload()
                if fresh is not None:
                    who = fresh.get("updated_by") or "Someone else"
                    at = clock_time(parse_iso(fresh["updated_at"]), self.tz) if fresh.get("updated_at") else ""
                    changes = "; ".join(describe_changes(before, fresh, self.tz))
                    self._retry = attempt
                    self.show_notice(f"<b>{escape(who)}</b> changed this appointment first"
                                     f"{' at ' + at if at else ''}: {escape(changes)}. Your change ({what}) was "
                                     "not applied — the card now shows the latest version.", retry=True)
                    self.changed.emit(fresh)
            elif exc.code == "schedule_conflict" and self.receivers(SIGNAL("scheduleRefused(PyObject)")):
                self.scheduleRefused.emit(exc.details.get("conflicts"))
            else:
                card_offline.action_failed(self, exc, what)
        finally:
            self.banner.setEnabled(not self.offline)
            self.save_btn.setEnabled(not self.offline and self.data.get("status") not in FINAL)

    def _do_retry(self) -> None:
        attempt, self._retry = self._retry, None
        if attempt is not None:
            self.notice.hide()
            self.tasks.spawn(self._guarded(attempt, "retry"))

    def _applied(self, data: dict[str, Any], notified: bool | None = None) -> None:
        before = self.data
        self.show_data(data)
        self.changed.emit(data)
        self.performed.emit(before, data, notified)

    def show_notice(self, html: str, *, retry: bool = False, error: bool = True) -> None:
        self.notice.setProperty("kind", "error" if error else "info")
        self.notice.setStyleSheet("#CardNotice{background:%s;border-bottom:1px solid %s;}" % (
            ("#FDECE3", "#D55E00") if error else ("#E6F3FB", "#56B4E9")) + "#CardNotice QLabel{color:#1F2933;}")
        self.notice_text.setText(html)
        self.retry_btn.setVisible(retry)
        self.notice.show()

    def closeEvent(self, event: Any) -> None:
        self.tasks.cancel()
        for part in (self.contacts, self.photos, self.team_notes, self.sent):
            part.tasks.cancel()
        super().closeEvent(event)
