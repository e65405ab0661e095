"""Changes made in this console: "Text the customer?" before a move, and undo of the last change.

`ChangeDesk` belongs to the main window. A move (drag on the grid, or the card's Save) asks `prompt` whether to
text the customer; after any move, reassignment or status change made here, the status bar says what happened
with an "Undo" link, and `Ctrl+Z` (Schedule → Undo) undoes it for `UNDO_SECONDS`. An undo is an ordinary new
change: sent with the version our change produced (If-Match — if someone changed the appointment since, the 412
is explained and nothing is overwritten), audited by the backend, asking again whether to text the customer, and
following the status rules (going back is a correction with a reason, which notifies nobody).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from models.enums import AppointmentStatus as S
from models.status_machine import FINAL, is_backward
from models.timefmt import clock_time, parse_iso
from services.api_client import ApiError
from widgets.notify_choice import ChangePreview, NotifyPrompt, preview_change
from widgets.status_colors import label_for
from widgets.tasks import TaskSet

if TYPE_CHECKING:
    from console.main_window import MainWindow

UNDO_SECONDS = 60
UNDO_REASON = "Undo in the console"


@dataclass
class Change:
    """One change made in this console: the appointment before and after, and whether the customer was texted."""

    before: dict[str, Any]
    after: dict[str, Any]
    notified: bool | None
    text: str  # "Moved Ann Lee to Elena Torres at 2:00 PM"
    at: float  # time.monotonic() when it was made

    @property
    def appt_id(self) -> int:
        return int(self.after["id"])

    @property
    def status_change(self) -> bool:
        return self.before.get("status") != self.after.get("status")


def describe(before: dict[str, Any], after: dict[str, Any], tz: str) -> str:
    """A change made here in words, for the status bar."""
    who = after.get("customer_name") or f"appointment #{after.get('id')}"
    if before.get("status") != after.get("status"):
        return f"{who}: {label_for(before.get('status', ''))} → {label_for(after.get('status', ''))}"
    what = []
    if before.get("technician_id") != after.get("technician_id"):
        what.append(f"to {after.get('technician_name') or 'Unassigned'}")
    if before.get("window_start") != after.get("window_start"):
        what.append(f"at {clock_time(parse_iso(after['window_start']), tz)}")
    return f"Moved {who} {' '.join(what)}".rstrip()


class ChangeDesk(QObject):
    """Asks before moves, remembers the last change, undoes it."""

    undone = Signal(dict)  # the appointment after an undo

    def __init__(self, window: MainWindow, *, seconds: float = UNDO_SECONDS):
        super().__init__(window)
        self.window = window
        self.seconds = seconds
        self.prompt = NotifyPrompt(window, window.api.customer)
        self.last: Change | None = None
        self.tasks = TaskSet(lambda text: window.banner.show_message(escape(text)))
        self.action = QAction("&Undo", window)
        self.action.setShortcut(QKeySequence.StandardKey.Undo)
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setEnabled(False)
        self.action.triggered.connect(self.undo)
        window.addAction(self.action)
        window.actions_by_name["undo"] = self.action  # listed in Help → Keyboard shortcuts
        for top in window.menuBar().actions():
            menu = top.menu()
            if menu is not None and top.text().replace("&", "") == "Schedule":
                first = menu.actions()[0] if menu.actions() else None
                menu.insertAction(first, self.action)
                menu.insertSeparator(first)
        self.notice = QLabel(objectName="UndoNotice")
        self.notice.setTextFormat(Qt.TextFormat.RichText)
        self.notice.setAccessibleName("Last change")
        self.notice.linkActivated.connect(lambda _link: self.undo())
        self.notice.hide()
        window.statusBar().addWidget(self.notice)
        self.expiry = QTimer(self, singleShot=True)
        self.expiry.timeout.connect(self.expire)
        self.api = AskingApi(window.api, self)  # what the dock panels change appointments through

    # --- asking -----------------------------------------------------------------------------------------------
    def preview(self, data: dict[str, Any], *, tech_id: int | None, unassign: bool, start: datetime | None,
                end: datetime | None) -> ChangePreview:
        store = self.window.live.store
        return preview_change(data, store.company, store.technicians, tech_id=tech_id, unassign=unassign,
                              start=start, end=end, tz=store.time_zone)

    def prompt_for(self, parent: Any) -> NotifyPrompt:
        """The question asked over another window (an appointment card), with the customer's choices."""
        return NotifyPrompt(parent, self.window.api.customer)

    async def ask_async(self, data: dict[str, Any], **change: Any) -> bool | None:
        return await self.prompt.ask_async(self.preview(data, **change))

    def ask(self, data: dict[str, Any], *, tech_id: int | None, unassign: bool, start: datetime | None,
            end: datetime | None, default: bool | None = None) -> bool | None:
        """Text the customer about this move? True / False, or None when the dispatcher cancelled it."""
        p = self.preview(data, tech_id=tech_id, unassign=unassign, start=start, end=end)
        if default is not None:
            p.default = default
        return self.prompt.ask(p)

    # --- remembering ------------------------------------------------------------------------------------------
    def record(self, before: dict[str, Any], after: dict[str, Any], notified: bool | None = None) -> None:
        """A change made in this console succeeded: say so with an Undo link; Ctrl+Z undoes it for a while."""
        if not before or before.get("id") != after.get("id"):
            return
        text = describe(before, after, self.window.live.store.time_zone)
        self.last = Change(dict(before), dict(after), notified, text, time.monotonic())
        undoable = self.undo_problem(self.last) is None
        self.action.setEnabled(True)  # when it can't be undone, Ctrl+Z says why
        self.notice.setText(escape(text) + "." + ("&nbsp;&nbsp;<a href='undo'>Undo</a>" if undoable else ""))
        self.notice.setToolTip(f"Undo this change (Ctrl+Z) within {int(self.seconds)} seconds" if undoable else "")
        self.notice.show()
        self.window.statusBar().clearMessage()
        self.expiry.start(int(self.seconds * 1000))

    def expire(self) -> None:
        self.last = None
        self.action.setEnabled(False)
        self.notice.hide()

    def undo_problem(self, change: Change) -> str | None:
        """Why this change can't be undone, or None."""
        if time.monotonic() - change.at > self.seconds:
            return "It's been too long since that change to undo it; change the appointment on its card instead."
        if change.status_change:
            after, target = change.after.get("status", ""), change.before.get("status", "")
            if after and S(after) in FINAL:
                return f"A visit made {label_for(after)} can't be undone."
            if target not in (change.after.get("allowed_transitions") or []):
                return f"It can't go back from {label_for(after)} to {label_for(target)}."
        return None

    # --- undoing ----------------------------------------------------------------------------------------------
    def undo(self) -> None:
        change = self.last
        if change is None:
            self.window.statusBar().showMessage("Nothing to undo.", 4000)
            return
        problem = self.undo_problem(change)
        if problem is not None:
            self.expire()
            self.window.banner.show_message(escape(problem), kind="info")
            return
        if change.status_change:
            self.tasks.spawn(self._undo_status(change), "undo the status change")
            return
        b, a = change.before, change.after
        reassign = b.get("technician_id") != a.get("technician_id")
        moved = (b.get("window_start"), b.get("window_end")) != (a.get("window_start"), a.get("window_end"))
        start = parse_iso(b["window_start"]) if moved else None
        end = parse_iso(b["window_end"]) if moved else None
        tech = b.get("technician_id") if reassign else None
        choice = self.ask(a, tech_id=tech, unassign=reassign and tech is None, start=start, end=end,
                          default=change.notified)
        if choice is None:
            return
        self.tasks.spawn(self._undo_move(change, tech, reassign and tech is None, start, end, choice),
                         "undo the move")

    async def _undo_move(self, change: Change, tech: int | None, unassign: bool, start: datetime | None,
                         end: datetime | None, notify: bool) -> None:
        api = self.window.api
        try:
            data = await api.patch_appointment(change.appt_id, int(change.after["version"]), technician_id=tech,
                                               unassign=unassign, window_start=start, window_end=end,
                                               notify_customer=notify)
        except ApiError as exc:
            self._failed(change, exc)
            return
        self._done(change, data)

    async def _undo_status(self, change: Change) -> None:
        target = str(change.before["status"])
        back = is_backward(S(change.after["status"]), S(target))
        try:
            data = await self.window.api.set_status(change.appt_id, int(change.after["version"]), target,
                                                    reason=UNDO_REASON if back else "")
        except ApiError as exc:
            self._failed(change, exc)
            return
        self._done(change, data)

    def _done(self, change: Change, data: dict[str, Any]) -> None:
        self.window.live.apply(data)
        if self.last is change:
            self.expire()
        self.window.statusBar().showMessage(f"Undone: {change.text}.", 8000)
        self.undone.emit(data)

    def _failed(self, change: Change, exc: ApiError) -> None:
        if exc.status == 412:
            fresh = (exc.details or {}).get("current") or {}
            who = fresh.get("updated_by") or (exc.details or {}).get("updated_by") or "Someone else"
            self.expire()
            self.window.banner.show_message(
                f"<b>{escape(str(who))}</b> changed {escape(change.after.get('customer_name') or 'this appointment')}"
                " after you, so your change was not undone — the grid shows the latest.", kind="info")
            self.window.live.queue_refresh(change.appt_id)
            return
        self.window.banner.show_message(escape(f"Couldn't undo ({change.text}): {exc.message}"))


class AskingApi:
    """The API client as the dock panels get it (LATE alert reassign / reschedule, …): a reschedule or
    reassignment asks "Text the customer?" first, and every move or status change is remembered for undo.
    Everything else goes straight to the client."""

    def __init__(self, client: Any, desk: ChangeDesk):
        self._client, self._desk = client, desk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def _before(self, appt_id: int) -> dict[str, Any]:
        known = self._desk.window.live.model.appointment(appt_id)
        return dict(known.data) if known is not None else await self._client.appointment(appt_id)

    async def patch_appointment(self, appt_id: int, version: int, *, notify_customer: bool | None = None,
                                **change: Any) -> Any:
        before = await self._before(appt_id)
        if notify_customer is None:
            notify_customer = await self._desk.ask_async(
                before, tech_id=change.get("technician_id"), unassign=bool(change.get("unassign")),
                start=change.get("window_start"), end=change.get("window_end"))
            if notify_customer is None:
                raise ApiError(-1, "cancelled", "you chose Cancel — nothing was changed and nobody was texted.")
        out = await self._client.patch_appointment(appt_id, version, notify_customer=notify_customer, **change)
        self._desk.record(before, out, notify_customer)
        return out

    async def set_status(self, appt_id: int, version: int, status: str, **kw: Any) -> Any:
        known = self._desk.window.live.model.appointment(appt_id)
        out = await self._client.set_status(appt_id, version, status, **kw)
        if known is not None:
            self._desk.record(dict(known.data), out)
        return out
