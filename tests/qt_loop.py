"""The one qasync loop of the test process, and helpers to run coroutines and wait on conditions.

Qt allows one QEventLoop-driven asyncio loop per process (a second one crashes Qt), so every Qt test shares
this loop. It is never run with `run_until_complete()` (a nested app.exec() crashes beside WebEngine pages);
`qt_loop()` marks it as the running loop so its tasks advance whenever Qt processes events (qtbot.wait*,
spin_until, run). The `qloop`
fixture in conftest.py resets that after each test so plain pytest-asyncio tests get their own loops.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

import qasync
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

_LOOP: qasync.QEventLoop | None = None


def qt_loop() -> qasync.QEventLoop:
    """The Qt-integrated asyncio loop, already 'running': its tasks advance whenever Qt processes events."""
    global _LOOP
    app = QApplication.instance() or QApplication([])
    if _LOOP is None:
        _LOOP = qasync.QEventLoop(app, already_running=False)
    asyncio.set_event_loop(_LOOP)
    if not _LOOP.is_running():
        asyncio.events._set_running_loop(_LOOP)
    return _LOOP


def release_loop() -> None:
    """After a test: cancel what it left running on the shared loop and unmark it as the running loop."""
    if _LOOP is None:
        return
    app = QApplication.instance()
    tasks = [t for t in asyncio.all_tasks(_LOOP) if not t.done()]
    for task in tasks:
        task.cancel()
    deadline = time.monotonic() + 2
    while any(not t.done() for t in tasks) and time.monotonic() < deadline and app is not None:
        app.processEvents()
        time.sleep(0.005)
    if asyncio.events._get_running_loop() is _LOOP:
        asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


def spin_until(pred: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Process Qt events (and so asyncio tasks) until `pred()` is truthy; returns its value."""
    qt_loop()
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        QTest.qWait(10)


wait_until = spin_until


def run(coro: Coroutine[Any, Any, Any], timeout: float = 15.0) -> Any:
    """Run a coroutine on the Qt loop to completion and return its result (or raise its exception)."""
    task = asyncio.ensure_future(coro, loop=qt_loop())
    spin_until(task.done, timeout, f"coroutine {getattr(coro, '__name__', coro)}")
    return task.result()


def js(view_page: Any, script: str, timeout: float = 5.0) -> Any:
    """Evaluate JavaScript in a QWebEnginePage and return its (JSON-converted) result."""
    box: list[Any] = []
    view_page.runJavaScript(f"JSON.stringify({script})", 0, lambda v: box.append(v))
    spin_until(lambda: box, timeout, f"JavaScript: {script[:60]}")
    return json.loads(box[0]) if isinstance(box[0], str) else None


def wait_js(view_page: Any, script: str, pred: Callable[[Any], Any] = bool, timeout: float = 5.0) -> Any:
    """Re-evaluate `script` until `pred(result)` is truthy; returns that result."""
    deadline = time.monotonic() + timeout
    while True:
        value = js(view_page, script, timeout)
        if pred(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s; {script[:60]} gave {value!r}")
        QTest.qWait(30)


def close_loop() -> None:
    """End of the session: close the shared loop while Qt still exists (joins its QThread executor workers —
    a QThread destroyed while running aborts the process)."""
    global _LOOP
    if _LOOP is None:
        return
    release_loop()
    try:
        _LOOP.close()
    finally:
        _LOOP = None
