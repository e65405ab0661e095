"""Plugs the feature panels (booking inbox, late alerts, crew map, portal preview, bio approvals) into the window."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QTabBar, QWidget

from console import alert_keys, board_views, search_bar
from console.grid_drop import GridDrop
from console.notices import BookingNotice
from console.offline_guard import guard_panels
from console.store import Store
from services.api_client import ApiClient
from widgets.bio_approvals import BioApprovals
from widgets.booking_inbox import BookingInbox
from widgets.crew_map import CrewMap
from widgets.late_alerts import LateAlertPanel
from widgets.portal_preview import PortalPreview
from widgets.unassigned_dock import UnassignedDock

if TYPE_CHECKING:
    from console.live import LiveSync
    from console.main_window import MainWindow

log = logging.getLogger(__name__)


class Panel(Protocol):
    """A dock panel: built from the API client (for its actions) and the store (for everything it shows).

    Optional extras, joined when present: `countChanged(int)` (shown in the dock's tab),
    `appointmentSelected(int)` / `technicianSelected(int)` (drive the grid), `appointmentActivated(int)` (open the
    card), slots `select_appointment(int)` /
    `show_appointment(int)` / `select_technician(int)` (follow the grid), `appointmentChanged(dict)` (an
    appointment the panel changed, applied to the store).
    """

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None) -> None: ...

    def start(self) -> None:
        """Show what the store holds and begin following it."""

    def shutdown(self) -> None:
        """Stop timers and background tasks (the window is closing)."""


@dataclass(frozen=True)
class PanelSpec:
    name: str  # the dock's title
    cls: type[Panel]
    empty_text: str  # shown in the dock until the panel is plugged in


PANELS: list[PanelSpec] = [
    PanelSpec("Booking requests", BookingInbox, "New booking requests from customers will appear here."),
    PanelSpec("Late alerts", LateAlertPanel,
              "No late technicians. LATE visits (30 min past the window start) show up here."),
    PanelSpec("Crew map", CrewMap, "Technicians' latest positions will show on this map."),
    PanelSpec("Portal preview", PortalPreview,
              "Pick a customer or appointment to see exactly what they see in the portal."),
    PanelSpec("Bio approvals", BioApprovals, "No technician bios are waiting for approval."),
]


def wire(window: MainWindow, live: LiveSync) -> dict[str, QWidget]:
    """Construct every panel over the live store and join it to the window's selection bus."""
    made: dict[str, QWidget] = {}
    for spec in PANELS:
        widget = spec.cls(window.changes.api, live.store, window)  # moves ask "Text the customer?"; undoable
        assert isinstance(widget, QWidget)
        window.set_panel(spec.name, widget)
        _join(spec.name, widget, window, live)
        widget.start()
        made[spec.name] = widget
    if isinstance(alerts := made.get("Late alerts"), LateAlertPanel):
        alert_keys.install(window, alerts)
    if isinstance(inbox := made.get("Booking requests"), BookingInbox):
        join_booking_notice(window, inbox, live.store)
    board_views.install(window, live)
    search_bar.install(window)
    unassigned = install_unassigned(window, live)
    window.offline_guard = guard_panels(live.store, made, window)  # type: ignore[attr-defined]
    window.closing.connect(unassigned.shutdown)
    window.closing.connect(lambda: [w.shutdown() for w in made.values()])  # type: ignore[attr-defined]
    return made


def _signal(widget: Any, name: str) -> Any:
    sig = getattr(type(widget), name, None)
    return getattr(widget, name) if sig is not None and hasattr(getattr(widget, name), "connect") else None


def _join(name: str, widget: Any, window: MainWindow, live: LiveSync) -> None:
    if (count := _signal(widget, "countChanged")) is not None:
        count.connect(lambda n: window.set_panel_count(name, int(n)))
    if (changed := _signal(widget, "appointmentChanged")) is not None:
        changed.connect(live.apply)
    for sig, slot in (("appointmentSelected", window.select_appointment),
                      ("appointmentActivated", window.open_card),
                      ("technicianSelected", window.select_technician),
                      ("pairPhoneRequested", window.open_pair_phone)):
        if (signal := _signal(widget, sig)) is not None:
            signal.connect(slot)
    for slot_name, signal in (("select_appointment", window.appointmentSelected),
                              ("show_appointment", window.appointmentSelected),
                              ("select_technician", window.technicianSelected)):
        slot = getattr(widget, slot_name, None)
        if callable(slot):
            signal.connect(slot)


def join_booking_notice(window: MainWindow, inbox: BookingInbox, store: Store) -> BookingNotice:
    """A new booking request shows in the status bar with "Open inbox" (raises the dock, selects the request)."""

    def open_request(request_id: int) -> None:
        dock = window.docks.get("Booking requests")
        if dock is not None:
            dock.show()
            dock.raise_()
        inbox.select(request_id)

    notice = BookingNotice(open_request, window)
    window.statusBar().addWidget(notice)
    window.booking_notice = notice  # type: ignore[attr-defined]
    inbox.arrived.connect(lambda r: notice.show_request(r, store.time_zone))
    return notice


def install_unassigned(window: MainWindow, live: LiveSync) -> UnassignedDock:
    """The Unassigned dock (tabbed with the alerts) and dropping its rows onto the grid."""
    dock_widget = UnassignedDock(live.client, live.store, window)
    window.set_panel("Unassigned", dock_widget)
    window.tabifyDockWidget(window.docks["Portal preview"], window.docks["Unassigned"])
    window.docks["Crew map"].raise_()
    _join("Unassigned", dock_widget, window, live)
    dock_widget.start()
    window.grid_drop = GridDrop(window.view)  # type: ignore[attr-defined]
    state = window.settings.value("window/state")  # the new dock's place and size as the dispatcher left them
    if isinstance(state, QByteArray) and not state.isEmpty():
        window.restoreState(state)
    for bar in window.findChildren(QTabBar):  # dock tabs keep their whole title ("Late alerts (8)")
        bar.setElideMode(Qt.TextElideMode.ElideNone)
        bar.setUsesScrollButtons(True)
    return dock_widget
