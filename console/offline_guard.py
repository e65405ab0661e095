"""While the server can't be reached, the panels' actions that need it are disabled with the reason as tooltip (and
stay disabled even if a panel refreshes its buttons); when the link is live again each panel re-decides them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from console.store import Store

REASON = "Needs the server, which can't be reached right now. This comes back by itself when the console reconnects."


class OfflineGuard(QObject):
    def __init__(self, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.groups: list[tuple[list[QWidget], Callable[[], None]]] = []
        self.tips: dict[int, str] = {}
        self.offline = False
        store.linkChanged.connect(self._link)

    def add(self, widgets: list[QWidget], restore: Callable[[], None]) -> None:
        """Guard these controls; `restore()` lets their panel enable them again as it sees fit."""
        self.groups.append((widgets, restore))
        for w in widgets:
            w.installEventFilter(self)
        if self.offline:
            self._disable(widgets)

    def _disable(self, widgets: list[QWidget]) -> None:
        for w in widgets:
            self.tips.setdefault(id(w), w.toolTip())
            w.setEnabled(False)
            w.setToolTip(REASON)

    def _link(self, state: str) -> None:
        if state == "offline" and not self.offline:
            self.offline = True
            for widgets, _restore in self.groups:
                self._disable(widgets)
        elif state == "live" and self.offline:
            self.offline = False
            for widgets, restore in self.groups:
                for w in widgets:
                    w.setToolTip(self.tips.pop(id(w), ""))
                restore()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (self.offline and event.type() == QEvent.Type.EnabledChange and isinstance(obj, QWidget)
                and obj.isEnabled()):
            obj.setEnabled(False)  # a panel refreshed its buttons while offline
        return False


def guard_panels(store: Store, panels: dict[str, QWidget], parent: QObject) -> OfflineGuard:
    """The alert actions, bio decisions and booking responses."""
    from widgets.bio_approvals import BioApprovals
    from widgets.booking_inbox import BookingInbox
    from widgets.late_alerts import LateAlertPanel

    guard = OfflineGuard(store, parent)
    late = panels.get("Late alerts")
    if isinstance(late, LateAlertPanel):
        guard.add(list(late.buttons), late._update_buttons)
    bio = panels.get("Bio approvals")
    if isinstance(bio, BioApprovals):
        guard.add([bio.approve_btn, bio.reject_btn], bio._enable)
    inbox = panels.get("Booking requests")
    if isinstance(inbox, BookingInbox):
        d = inbox.detail

        def reshow() -> None:
            if d.request:
                inbox._show(int(d.request["id"]))

        guard.add([d.review_btn, d.accept_btn, d.counter_btn, d.decline_btn], reshow)
    return guard
