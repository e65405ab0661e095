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
    ("Portal preview", "widgets.portal_preview", "Widget"),
    ("Bio approvals", "widgets.bio_approvals", "Widget"),
]


def wire(window: MainWindow, live: LiveSync) -> dict[str, QWidget]:
    """Construct every panel that exists, feed it events, and join it to the selection bus.

    A panel may offer: `handle_event(name, data)` (every SSE event, plus `stream.refresh` after a full reload),
    signals `appointmentSelected(int)` / `technicianSelected(int)` (drive the grid), `pairPhoneRequested(int)`
    (opens Pair phone… for that technician), slots
    `select_appointment(int)` / `show_appointment(int)` / `select_technician(int)` (follow the grid),
    `countChanged(int)` (shown in the dock's tab),
    `appointmentChanged(dict)` (an appointment the panel changed, applied to the grid), and `refresh()`.
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
    name = next(n for n, w in window.panels.items() if w is widget)
    count = getattr(widget, "countChanged", None)
    if count is not None and hasattr(count, "connect"):
        count.connect(lambda n, name=name: window.set_panel_count(name, int(n)))
    changed = getattr(widget, "appointmentChanged", None)
    if changed is not None and hasattr(changed, "connect"):
        changed.connect(live.apply)
    for sig, slot in (("appointmentSelected", window.select_appointment),
                      ("technicianSelected", window.select_technician),
                      ("pairPhoneRequested", window.open_pair_phone)):
        signal = getattr(widget, sig, None)
        if signal is not None and hasattr(signal, "connect"):
            signal.connect(slot)
    for slot_name, signal in (("select_appointment", window.appointmentSelected),
                              ("show_appointment", window.appointmentSelected),
                              ("select_technician", window.technicianSelected)):
        slot = getattr(widget, slot_name, None)
        if callable(slot):
            signal.connect(slot)
    load = _first_method(widget, ("start", "refresh", "reload"))
    if load is not None:
        _call(load, live)
    reload = _first_method(widget, ("reload", "refresh"))
    if reload is not None:  # the stream could not replay a gap: reload what the panel shows
        live.eventReceived.connect(lambda ev, _data: _call(reload, live) if ev == "stream.refresh" else None)


def _first_method(widget: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        fn = getattr(widget, name, None)
        if callable(fn):
            return fn
    return None


def _call(fn: Any, live: LiveSync) -> None:
    try:
        result = fn()
        if inspect.isawaitable(result):
            spawn(_await(result), live.tasks)
    except Exception:
        log.exception("panel load failed")


async def _await(aw: Any) -> None:
    await asyncio.ensure_future(aw)
