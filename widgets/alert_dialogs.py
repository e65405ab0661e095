"""Dialogs behind the alert panel's actions: call, message, reassign (who is best first), reschedule, resolve."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, Qt, QTimeZone, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from models.phones import display
from models.timefmt import clock_time, parse_iso_or_none
from services.api_client import ApiError
from widgets.conflict_panel import ConflictPanel
from widgets.suggest_list import SuggestList
from widgets.tasks import TaskSet

ERROR_STYLE = "color: #B42318;"


def describe_error(verb: str, exc: ApiError) -> str:
    """The API's message in words, with what to do for the common cases."""
    if exc.status == 412:
        return (f"Couldn't {verb}: someone else changed this appointment first "
                f"({(exc.details or {}).get('updated_by') or 'another dispatcher'}). "
                "It has been reloaded — check it and try again.")
    if exc.status == 0:
        return f"Couldn't {verb}: {exc.message}"
    return f"Couldn't {verb}: {exc.message}"


class _Busy(QWidget):
    """An indeterminate progress bar with a message line that turns red for errors."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setFixedHeight(6)
        self.bar.setTextVisible(False)
        self.bar.hide()
        self.text = QLabel("")
        self.text.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.bar)
        lay.addWidget(self.text)

    def working(self, text: str) -> None:
        self.bar.show()
        self.text.setStyleSheet("")
        self.text.setText(text)

    def done(self, text: str = "", error: bool = False) -> None:
        self.bar.hide()
        self.text.setStyleSheet(ERROR_STYLE if error else "")
        self.text.setText(text)


class _ActionDialog(QDialog):
    """A dialog whose OK runs one async action: disable → request → close on success or show the error."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.tasks = TaskSet()
        self.body = QVBoxLayout()
        self.busy = _Busy()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        #: A move the server refused as a schedule conflict is shown here; "Book anyway" submits again with
        #: `anyway` set (the override is audited), "Cancel" leaves everything as it was.
        self.anyway = False
        self.conflicts = ConflictPanel(self)
        self.conflicts.bookAnyway.connect(self._book_anyway)
        self.conflicts.cancelled.connect(lambda: self.busy.done("Not changed."))
        self.conflicts.shown.connect(lambda on: self.buttons.setVisible(not on))
        lay = QVBoxLayout(self)
        lay.addLayout(self.body)
        lay.addWidget(self.conflicts)
        lay.addWidget(self.busy)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def run_action(self, working: str, verb: str, action: Callable[[], Awaitable[Any]]) -> None:
        async def go() -> None:
            self.ok.setEnabled(False)
            self.busy.working(working)
            try:
                await action()
            except ApiError as exc:
                self.ok.setEnabled(True)
                found = (exc.details or {}).get("conflicts") if exc.code == "schedule_conflict" else None
                if found:
                    self.busy.done("")
                    self.conflicts.show_conflicts(self.conflict_who(), found)
                    return
                self.busy.done(describe_error(verb, exc), error=True)
                self.on_error(exc)
                return
            finally:
                self.anyway = False
            self.busy.done()
            self.accept()

        self.tasks.spawn(go())

    def conflict_who(self) -> str:
        """Whose schedule the conflicts are in (the dialogs say it in the panel's title)."""
        return "The technician"

    def _book_anyway(self) -> None:
        self.anyway = True
        self.submit()

    def on_error(self, exc: ApiError) -> None:
        """Hook for dialogs that reload after a failure."""

    #: Each concrete dialog (message, resolve, reschedule, reassign) defines what OK does.
    submit: Callable[[], None]


class CallTechDialog(QDialog):
    """The tech's phone number, a tel: link that opens the phone app, and copy to the clipboard."""

    def __init__(self, name: str, phone: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Call {name}")
        self.phone = phone
        number = QLabel(f'<a href="tel:{phone}" style="font-size:20pt; text-decoration:none">{display(phone)}</a>')
        number.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        number.setOpenExternalLinks(True)
        number.setToolTip("Opens your phone or softphone app")
        hint = QLabel("Click the number to call with your phone app, or copy it.")
        hint.setStyleSheet("color: palette(placeholder-text);")
        self.copy_btn = QPushButton("Copy number")
        self.copy_btn.clicked.connect(self.copy)
        call = QPushButton("Call")
        call.clicked.connect(lambda: QDesktopServices.openUrl(QUrl(f"tel:{phone}")))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(call)
        row.addWidget(self.copy_btn)
        row.addStretch(1)
        row.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b>{name}</b>"))
        lay.addWidget(number)
        lay.addWidget(hint)
        lay.addLayout(row)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.phone)
        self.copy_btn.setText("Copied ✓")


class MessageTechDialog(_ActionDialog):
    def __init__(self, name: str, draft: str, send: Callable[[str], Awaitable[Any]], parent: QWidget | None = None):
        super().__init__(f"Message {name}", "Send SMS", parent)
        self.send = send
        self.text = QPlainTextEdit(draft)
        self.text.setFixedHeight(110)
        self.body.addWidget(QLabel(f"Text message to <b>{name}</b> (sent through the outbox):"))
        self.body.addWidget(self.text)

    def submit(self) -> None:
        msg = self.text.toPlainText().strip()
        if not msg:
            self.busy.done("Write a message first.", error=True)
            return
        self.run_action("Sending…", "send the message", lambda: self.send(msg))


class ResolveDialog(_ActionDialog):
    def __init__(self, summary: str, resolve: Callable[[str], Awaitable[Any]], parent: QWidget | None = None):
        super().__init__("Resolve alert", "Resolve", parent)
        self.resolve = resolve
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("What happened? e.g. Tech stuck in traffic, customer called and agreed to 11:30.")
        self.note.setFixedHeight(90)
        self.body.addWidget(QLabel(summary))
        self.body.addWidget(QLabel("Note (other dispatchers see it):"))
        self.body.addWidget(self.note)

    def submit(self) -> None:
        self.run_action("Resolving…", "resolve the alert", lambda: self.resolve(self.note.toPlainText().strip()))


def eta_start(eta: datetime, step_min: int = 5) -> datetime:
    """The technician's ETA rounded up to the next `step_min` minutes: the new window's start."""
    eta = eta.replace(second=0, microsecond=0) + timedelta(minutes=1 if eta.second or eta.microsecond else 0)
    return eta + timedelta(minutes=-eta.minute % step_min)


class RescheduleDialog(_ActionDialog):
    def __init__(self, appt: dict[str, Any], tz: str, reschedule: Callable[[datetime, datetime, bool], Awaitable[Any]],
                 parent: QWidget | None = None):
        super().__init__("Reschedule visit", "Reschedule and tell the customer", parent)
        self.reschedule, self.tz, self.appt = reschedule, tz, appt
        start = parse_iso_or_none(appt.get("window_start")) or datetime.now(ZoneInfo(tz))
        end = parse_iso_or_none(appt.get("window_end")) or start + timedelta(hours=2)
        eta = parse_iso_or_none(appt.get("eta_at"))
        proposed = eta_start(eta) if eta is not None and eta > start else start
        zone = QTimeZone(tz.encode())
        self.start = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(proposed.timestamp()), zone))
        self.start.setTimeZone(zone)
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("ddd MMM d, yyyy  h:mm AP")
        self.hours = QSpinBox()
        self.hours.setRange(1, 12)
        self.hours.setSuffix(" h window")
        self.hours.setValue(max(1, round((end - start).total_seconds() / 3600)))
        form = QFormLayout()
        form.addRow("Customer", QLabel(f"{appt.get('customer_name')} — {appt.get('service_type')}"))
        form.addRow("Current window", QLabel(f"{clock_time(start, tz)}–{clock_time(end, tz)}"))
        form.addRow("Technician's ETA", QLabel(
            f"{clock_time(eta, tz)} — the new start defaults to it" if eta is not None and eta > start
            else "Unknown — the new start defaults to the current one"))
        form.addRow("New start", self.start)
        form.addRow("Length", self.hours)
        self.body.addLayout(form)
        self.body.addWidget(QLabel("You'll be asked whether to text the customer the new time."))

    def new_window(self) -> tuple[datetime, datetime]:
        start = datetime.fromtimestamp(self.start.dateTime().toSecsSinceEpoch(), ZoneInfo(self.tz))
        return start, start + timedelta(hours=self.hours.value())

    def submit(self) -> None:
        start, end = self.new_window()
        anyway = self.anyway
        self.run_action("Rescheduling…", "reschedule", lambda: self.reschedule(start, end, anyway))

    def conflict_who(self) -> str:
        return str(self.appt.get("technician_name") or "The technician")


class ReassignDialog(_ActionDialog):
    """Other technicians ranked by who can really be there first (the server's "who is best" ranking): when each
    can be there, why in words, and warnings; the top pick is selected. Choose one to reassign."""

    def __init__(self, appt: dict[str, Any], tz: str, load: Callable[[], Awaitable[dict[str, Any]]],
                 reassign: Callable[[int, bool], Awaitable[Any]], parent: QWidget | None = None):
        super().__init__("Reassign visit", "Reassign", parent)
        self.appt, self.tz, self.load, self.reassign = appt, tz, load, reassign
        self.list = SuggestList(time_zone=tz)
        self.list.assign.hide()  # the dialog's own button reassigns
        self.list.view.selectionModel().currentChanged.connect(lambda *_: self._on_pick())
        self.list.chosen.connect(lambda _tid: self.submit())
        self.body.addWidget(QLabel(
            f"<b>{appt.get('customer_name')}</b> — {appt.get('service_type')}<br>{appt.get('address') or ''}<br>"
            f"Now with <b>{appt.get('technician_name') or 'nobody'}</b>. Who can really be there first comes first; "
            "the customer and the new technician are told.", wordWrap=True))
        self.body.addWidget(self.list, 1)
        self.setMinimumSize(640, 520)
        self.ok.setEnabled(False)
        self.refresh()

    @property
    def candidates(self) -> list[dict[str, Any]]:
        return self.list.model.rows

    def refresh(self) -> None:
        async def go() -> None:
            self.busy.working("Finding who can be there first…")
            try:
                answer = await self.load()
            except ApiError as exc:
                self.busy.done(describe_error("rank technicians", exc), error=True)
                return
            self.list.set_suggestions(answer)
            self.busy.done("" if answer.get("suggestions") else "No other active technicians.")

        self.tasks.spawn(go())

    def chosen(self) -> dict[str, Any] | None:
        return self.list.current()

    @staticmethod
    def clashes(c: dict[str, Any]) -> list[dict[str, Any]]:
        """The candidate's warnings that are schedule conflicts (a missed window is not one)."""
        return [w for w in c.get("warnings") or [] if w["kind"] != "window"]

    def _on_pick(self) -> None:
        c = self.chosen()
        self.ok.setEnabled(c is not None)
        if c is not None:  # a clash is never accepted silently: the button says "anyway"
            clash = self.clashes(c)
            self.ok.setText(f"Reassign to {c['name'].split()[0]}" + (" anyway" if clash else ""))
            self.ok.setToolTip("; ".join(w["message"] for w in clash))

    def submit(self) -> None:
        c = self.chosen()
        if c is None:
            self.busy.done("Choose a technician first.", error=True)
            return
        # "Reassign to … anyway" is the dispatcher's answer to the clash it names: not asked a second time. A
        # conflict the ranking did not show still comes back from the server and is asked about.
        anyway = self.anyway or bool(self.clashes(c))
        self.run_action(f"Reassigning to {c['name']}…", "reassign",
                        lambda: self.reassign(int(c["technician_id"]), anyway))

    def conflict_who(self) -> str:
        c = self.chosen()
        return str(c["name"]) if c else "The technician"

    def on_error(self, exc: ApiError) -> None:
        if exc.status == 412:
            self.refresh()
