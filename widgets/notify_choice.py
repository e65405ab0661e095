""""Text the customer about this change?" — asked before a reschedule or reassignment is saved, with the message.

`preview_change` works out, from what the console holds, which kinds of change a move makes, the exact texts the
customer would get (models/change_messages.py, as the backend sends them), which technicians are told anyway, and
the company's default answer. `NotifyPrompt.ask` shows `NotifyChoiceDialog` and returns True (text), False
(don't) or None (cancel the change); tests replace the prompt with scripted answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models import change_messages as cm
from models.enums import Channel
from models.notifications import Kind, Person, channel_for
from models.phones import display as phone_display
from models.timefmt import parse_iso, window_text
from services.api_client import ApiError
from widgets.tasks import TaskSet


@dataclass
class ChangePreview:
    """What a reschedule / reassignment would tell whom."""

    customer_name: str
    summary: str  # "New time: Tue, Dec 1 · 2:00 PM – 4:00 PM · New technician: Elena Torres"
    kinds: list[str]
    customer_texts: list[str]
    techs_told: list[str] = field(default_factory=list)  # "Marcus Reed (loses the job)"
    default: bool = True
    customer_id: int | None = None

    @property
    def asks(self) -> bool:
        """Whether there is anything to ask: some text would reach the customer."""
        return bool(self.customer_texts)


def preview_change(data: dict[str, Any], company: dict[str, Any], technicians: dict[int, dict[str, Any]], *,
                   tech_id: int | None, unassign: bool, start: datetime | None, end: datetime | None,
                   tz: str) -> ChangePreview:
    """The preview of PATCHing `data` (the appointment as the console holds it) with these changes."""
    old_tech = data.get("technician_id")
    new_tech = None if unassign else (tech_id if tech_id is not None else old_tech)
    reassign = new_tech != old_tech
    old_start, old_end = parse_iso(data["window_start"]), parse_iso(data["window_end"])
    new_start = start or old_start
    new_end = end or (new_start + (old_end - old_start))
    reschedule = (new_start, new_end) != (old_start, old_end)
    when = window_text(new_start, new_end, tz)
    new_name = str((technicians.get(new_tech) or {}).get("name") or "") if new_tech is not None else ""
    old_name = str(data.get("technician_name") or (technicians.get(old_tech) or {}).get("name") or "")
    first = new_name.split()[0] if new_name else None
    comp = cm.Company(str(company.get("name") or ""), str(company.get("phone") or ""),
                      str(company.get("portal_url") or "(your customer portal link)"))
    service = str(data.get("service_type") or "")
    texts = cm.customer_texts(comp, service, when, reschedule=reschedule, reassign=reassign, new_first_name=first)
    told = []
    if new_name and (reassign or reschedule):
        told.append(f"{new_name} ({'gets the job' if reassign else 'new time'})")
    if reassign and old_name:
        told.append(f"{old_name} (loses the job)")
    parts = []
    if reschedule:
        parts.append(f"New time: {when}")
    if reassign:
        parts.append(f"New technician: {new_name}" if new_name else "Unassigned (no technician)")
    kinds = cm.change_kinds(reassign, reschedule)
    default = cm.customer_default(kinds, {k: bool(company.get(k, True)) for k in cm.DEFAULT_SETTING.values()})
    return ChangePreview(str(data.get("customer_name") or "the customer"), " · ".join(parts), kinds,
                         texts, told, default, data.get("customer_id"))


def reach_text(customer: dict[str, Any]) -> str:
    """How the customer's own switches let this message reach them (models/notifications.py), in words."""
    name = str(customer.get("name") or "The customer")
    person = Person(name, str(customer.get("phone") or ""), str(customer.get("email") or ""),
                    bool(customer.get("notify_sms")), bool(customer.get("notify_email")), customer.get("id"))
    channel = channel_for(person, Kind.RESCHEDULED, notifications_on=bool(customer.get("notifications_enabled")))
    if channel is None:
        why = ("notifications are off for this customer" if not customer.get("notifications_enabled")
               else "they have turned off texts and email")
        return f"{name} won't get it: {why}."
    how = (f"by text to {phone_display(person.phone)}" if channel == Channel.SMS else f"by email to {person.email}")
    quiet = ""
    if customer.get("quiet_hours_start") and customer.get("quiet_hours_end"):
        quiet = (f" During their quiet hours ({customer['quiet_hours_start']}–{customer['quiet_hours_end']}) it "
                 "waits until they end.")
    return f"{name} gets it {how}.{quiet}"


class NotifyChoiceDialog(QDialog):
    """The question, the message as the customer will read it, who else is told; Text / Don't text / Cancel."""

    def __init__(self, preview: ChangePreview, parent: QWidget | None = None):
        super().__init__(parent)
        self.preview = preview
        self.choice: bool | None = None
        self.setWindowTitle("Text the customer?")
        self.setObjectName("NotifyChoice")
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        lay.setContentsMargins(20, 18, 20, 14)
        title = QLabel(f"<b style='font-size:13pt'>Text {escape(preview.customer_name)} about this change?</b>")
        lay.addWidget(title)
        lay.addWidget(QLabel(escape(preview.summary), wordWrap=True, objectName="Muted"))
        for text in preview.customer_texts:
            bubble = QLabel(escape(text), wordWrap=True, objectName="SmsPreview")
            bubble.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            bubble.setStyleSheet("QLabel#SmsPreview{background:#E6F3FB;color:#1F2933;border:1px solid #9CCBEA;"
                                 "border-radius:10px;padding:10px 12px;}")
            lay.addWidget(bubble)
        self.reach = QLabel("", wordWrap=True, objectName="CustomerReach")
        self.reach.hide()
        lay.addWidget(self.reach)
        note = QLabel("Job contacts who get this job's messages are texted too; each person's opt-outs and quiet "
                      "hours apply.", wordWrap=True, objectName="Muted")
        lay.addWidget(note)
        if preview.techs_told:
            line = QFrame(frameShape=QFrame.Shape.HLine)
            lay.addWidget(line)
            lay.addWidget(QLabel("Technicians are always told: " + escape(", ".join(preview.techs_told)) + ".",
                                 wordWrap=True, objectName="Muted"))
        box = QDialogButtonBox()
        self.text_btn = QPushButton("&Text the customer")
        self.quiet_btn = QPushButton("&Don't text")
        self.cancel_btn = QPushButton("Cancel change")
        box.addButton(self.text_btn, QDialogButtonBox.ButtonRole.AcceptRole)
        box.addButton(self.quiet_btn, QDialogButtonBox.ButtonRole.AcceptRole)
        box.addButton(self.cancel_btn, QDialogButtonBox.ButtonRole.RejectRole)
        self.text_btn.clicked.connect(lambda: self._choose(True))
        self.quiet_btn.clicked.connect(lambda: self._choose(False))
        self.cancel_btn.clicked.connect(self.reject)
        self.default_btn = self.text_btn if preview.default else self.quiet_btn
        for btn in (self.text_btn, self.quiet_btn, self.cancel_btn):
            btn.setAutoDefault(btn is self.default_btn)
        self.default_btn.setDefault(True)
        hint = QLabel("The default answer for each kind of change is set in Settings → Notifications.",
                      objectName="Muted")
        hint.setStyleSheet("font-size:11px;")
        lay.addWidget(hint)
        lay.addWidget(box)

    def set_customer(self, customer: dict[str, Any]) -> None:
        """Say how this customer's switches let the text reach them (loaded while the question is open)."""
        self.reach.setText(escape(reach_text(customer)))
        self.reach.show()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.default_btn.setFocus()  # Enter answers with the company's default for this kind of change

    def _choose(self, text: bool) -> None:
        self.choice = text
        self.accept()


class NotifyPrompt:
    """Asks the question (a modal dialog); tests replace `ask` with scripted answers."""

    def __init__(self, parent: QWidget | None = None,
                 load_customer: Callable[[int], Awaitable[dict[str, Any]]] | None = None):
        self.parent = parent
        self.load_customer = load_customer
        self.last: NotifyChoiceDialog | None = None
        self.tasks = TaskSet()

    def _dialog(self, preview: ChangePreview) -> NotifyChoiceDialog:
        dlg = NotifyChoiceDialog(preview, self.parent)
        self.last = dlg
        if self.load_customer is not None and preview.customer_id is not None:
            self.tasks.spawn(self._fill(dlg, int(preview.customer_id)), "load the customer's notification choices")
        return dlg

    async def _fill(self, dlg: NotifyChoiceDialog, customer_id: int) -> None:
        assert self.load_customer is not None
        try:
            customer = await self.load_customer(customer_id)
        except ApiError:
            return  # the question stands without it
        try:
            dlg.set_customer(customer)
        except RuntimeError:  # already answered and gone
            pass

    def ask(self, preview: ChangePreview) -> bool | None:
        """True: text the customer; False: don't; None: the dispatcher cancelled the change. Nothing to text:
        False without asking."""
        if not preview.asks:
            return False
        dlg = self._dialog(preview)
        ok = dlg.exec() == QDialog.DialogCode.Accepted
        return dlg.choice if ok else None

    async def ask_async(self, preview: ChangePreview) -> bool | None:
        """The same question from a coroutine: the dialog opens window-modal and the coroutine awaits the
        answer (no nested event loop)."""
        if not preview.asks:
            return False
        dlg = self._dialog(preview)
        answer: asyncio.Future[bool | None] = asyncio.get_event_loop().create_future()

        def finished(result: int) -> None:
            if not answer.done():
                answer.set_result(dlg.choice if result == QDialog.DialogCode.Accepted.value else None)

        dlg.finished.connect(finished)
        dlg.open()
        try:
            return await answer
        finally:
            dlg.deleteLater()
