"""Plugs the feature panels (booking inbox, late alerts, crew map, portal preview, bio approvals) into the window."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from typing import Any

from PySide6.QtWidgets import QWidget

from console.live import LiveSync, spawn
from console.main_window import MainWindow

log = logging.getLogger(__name__)

#: (dock name, module, class). Each is constructed as Widget(api=client, parent=window).
PANEL_WIDGETS: list[tuple[str, str, str]] = [
    ("Booking requests", "widgets.booking_inbox", "BookingInbox"),
    ("Late alerts", "widgets.late_alerts", "LateAlertPanel"),
    ("Crew map", "widgets.crew_map", "CrewMap"),
    ("Portal preview", "widgets.portal_preview", "PortalPreview"),
    ("Bio approvals", "widgets.bio_approvals", "BioApprovals"),
]


def wire(window: MainWindow, live: LiveSync) -> dict[str, QWidget]:
    """Construct every panel that exists, feed it events, and join it to the selection bus.

    A panel may offer: `handle_event(name, data)` (every SSE event, plus `stream.refresh` after a full reload),
    signals `appointmentSelected(int)` / `technicianSelected(int)` (drive the grid), slots
    `select_appointment(int)` / `select_technician(int)` (follow the grid), and `refresh()` (called once now).
    """
    made: dict[str, QWidget] = {}
    for name, module, cls_name in PANEL_WIDGETS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                log.info("panel %s not available yet (%s)", name, module)
                continue
            log.exception("panel %s could not be loaded", name)
            continue
        except Exception:
            log.exception("panel %s could not be loaded", name)
            continue
        cls = getattr(mod, cls_name, None)
        if cls is None:
            log.warning("%s has no %s", module, cls_name)
            continue
        try:
            widget = cls(api=live.client, parent=window)
        except Exception:
            log.exception("panel %s failed to start", name)
            continue
        window.set_panel(name, widget)
        _join(widget, window, live)
        made[name] = widget
    return made


def _join(widget: Any, window: MainWindow, live: LiveSync) -> None:
    if callable(getattr(widget, "handle_event", None)):
        live.eventReceived.connect(widget.handle_event)
    for sig, slot in (("appointmentSelected", window.select_appointment),
                      ("technicianSelected", window.select_technician)):
        signal = getattr(widget, sig, None)
        if signal is not None and hasattr(signal, "connect"):
            signal.connect(slot)
    for slot_name, signal in (("select_appointment", window.appointmentSelected),
                              ("select_technician", window.technicianSelected)):
        slot = getattr(widget, slot_name, None)
        if callable(slot):
            signal.connect(slot)
    refresh = getattr(widget, "refresh", None)
    if callable(refresh):
        try:
            result = refresh()
            if inspect.isawaitable(result):
                spawn(_await(result), live.tasks)
        except Exception:
            log.exception("panel refresh failed")


async def _await(aw: Any) -> None:
    await asyncio.ensure_future(aw)
