"""What was sent about one appointment — to the customer, job contacts and technicians: when, how, what, and
whether it was delivered, is waiting (quiet hours, retries) or failed and why.

Reads `GET /api/v1/notifications?appointment_id=` (staff only). `set_appointment(data)` loads it for the card's
appointment; `on_event` reloads when the event stream says a message about it was queued; while something is
still waiting to go out it looks again every few seconds (delivery is not an event), a few times at most.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from models.events import EventName
from models.phones import display as phone_display
from models.timefmt import clock_time, day_time, local, parse_iso
from services.api_client import ApiError
from widgets.tasks import TaskSet

if TYPE_CHECKING:
    from console.store import Store

CHANNELS = {"sms": "Text", "email": "Email", "push": "Push"}
#: (glyph, words, colour) per outbox status.
STATES = {"sent": ("✓", "Delivered", "#2E9E4F"), "queued": ("…", "Waiting to send", "#B7791F"),
          "held": ("⏸", "Held for quiet hours", "#B7791F"), "failed": ("✗", "Failed", "#E0422F")}  # light and dark
WHAT = {"appointment_scheduled": "Appointment scheduled", "appointment_rescheduled": "New time",
        "technician_changed": "New technician", "en_route": "On the way", "arrived": "Arrived", "late": "Running late",
        "tech_assigned": "Job assigned", "tech_unassigned": "Job taken off their schedule",
        "tech_rescheduled": "Job moved", "dispatcher_message": "Message from dispatch"}
POLL_MS, POLLS = 4000, 5


def recipient(n: dict[str, Any], appt: dict[str, Any], technicians: dict[int, dict[str, Any]]) -> str:
    """Who a message went to, in words: 'Ann Lee (customer)', 'Marcus Reed (technician)', '(512) 555-0142 (job
    contact)'."""
    if n.get("technician_id") is not None:
        name = (technicians.get(int(n["technician_id"])) or {}).get("name") or "A technician"
        return f"{name} (technician)"
    to = str(n.get("to") or "")
    if n.get("channel") == "push" or to in (appt.get("customer_phone"), appt.get("customer_email")):
        return f"{appt.get('customer_name') or 'The customer'} (customer)"
    return f"{phone_display(to) if '@' not in to else to} (job contact)"


def entry_html(n: dict[str, Any], appt: dict[str, Any], technicians: dict[int, dict[str, Any]], tz: str) -> str:
    """One message as the card shows it."""
    glyph, words, colour = STATES.get(str(n.get("status")), ("?", str(n.get("status")), "#5B6776"))
    when = day_time(parse_iso(n["created_at"]), tz)
    if n.get("status") == "sent" and n.get("sent_at"):
        sent, made = parse_iso(n["sent_at"]), parse_iso(n["created_at"])
        same_day = local(sent, tz).date() == local(made, tz).date()
        state = f"{words} {clock_time(sent, tz) if same_day else day_time(sent, tz)}"
    elif n.get("status") == "failed":
        state = f"{words}: {n.get('last_error') or 'no reason given'}"
    elif n.get("last_error"):
        state = f"{words} (retrying: {n['last_error']})"
    else:
        state = words
    what = WHAT.get(str(n.get("kind")), str(n.get("kind") or "").replace("_", " ").capitalize())
    channel = CHANNELS.get(str(n.get("channel")), str(n.get("channel")))
    return (f"<div style='margin-bottom:8px'><b>{escape(when)}</b> · {escape(channel)} to "
            f"{escape(recipient(n, appt, technicians))} · {escape(what)}<br>"
            f"<span style='color:#7A8594'>“{escape(str(n.get('body') or ''))}”</span><br>"
            f"<span style='color:{colour};font-weight:600'>{glyph} {escape(state)}</span></div>")


class NotificationHistory(QWidget):
    """The card's "Messages sent" section."""

    def __init__(self, api: Any, store: Store, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.store = api, store
        self.appt: dict[str, Any] = {}
        self.items: list[dict[str, Any]] = []
        self.tasks = TaskSet(lambda text: self.label.setText(escape(text)))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Loading…", wordWrap=True, objectName="SentMessages")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label)
        self.polls = 0
        self.poll = QTimer(self, singleShot=True, interval=POLL_MS)
        self.poll.timeout.connect(self.reload)

    def set_appointment(self, appt: dict[str, Any]) -> None:
        self.appt = appt
        self.polls = 0
        self.reload()

    def reload(self) -> None:
        if self.appt.get("id") is not None:
            self.tasks.spawn(self.load(), "load the messages sent")

    def on_event(self, name: str, data: Any) -> None:
        """A message about this appointment was queued: show it."""
        if name == EventName.NOTIFICATION_CREATED and isinstance(data, dict) and self.appt.get("id") is not None \
                and data.get("appointment_id") == self.appt.get("id"):
            self.polls = 0
            self.reload()

    async def load(self) -> None:
        try:
            items = await self.api.notifications(appointment_id=int(self.appt["id"]))
        except ApiError as exc:
            self.label.setText(escape(f"Couldn't load the messages sent: {exc.message}"))
            return
        self.show_items(items)
        waiting = any(n.get("status") in ("queued",) for n in items)
        if waiting and self.polls < POLLS:
            self.polls += 1
            self.poll.start()

    def show_items(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        if not items:
            self.label.setText("Nothing has been sent about this appointment yet.")
            return
        tz, techs = self.store.time_zone, self.store.technicians
        self.label.setText("".join(entry_html(n, self.appt, techs, tz) for n in items))
