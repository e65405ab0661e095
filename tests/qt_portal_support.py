"""Qt helpers for the portal tests: a qasync loop, waiting on conditions, a WebEngine page and its visible text."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6 import QtWebEngineWidgets  # noqa: F401  (must be imported before the QApplication exists)


def wait_for(_loop: Any, predicate: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Process Qt events until `predicate()` is truthy (no asyncio needed for WebEngine pages)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 30)
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def until(predicate: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Inside a qasync coroutine: yield to the loop until `predicate()` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.03)
    raise AssertionError(f"timed out waiting for {what}")


class Browser:
    """A QWebEngineView with its own in-memory profile (its own cookie jar)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, width: int = 390, height: int = 844):
        from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
        from PySide6.QtWebEngineWidgets import QWebEngineView

        self.loop = loop
        self.view = QWebEngineView()
        self.profile = QWebEngineProfile()
        page = QWebEnginePage(self.profile, self.view)
        self.profile.setParent(page)  # the page is released first, then its profile (Qt warns otherwise)
        self.view.setPage(page)
        self.view.resize(width, height)
        self.loads = 0
        self.view.loadFinished.connect(self._done)
        self.view.show()

    def _done(self, ok: bool) -> None:
        self.loads += 1

    def load(self, url: str) -> None:
        from PySide6.QtCore import QUrl

        before = self.loads
        self.view.setUrl(QUrl(url))
        wait_for(self.loop, lambda: self.loads > before, what=f"load of {url}")

    def reload(self) -> None:
        before = self.loads
        self.view.reload()
        wait_for(self.loop, lambda: self.loads > before, what="reload")

    def js(self, script: str) -> Any:
        box: list[Any] = []
        self.view.page().runJavaScript(script, 0, lambda v: box.append(v))
        wait_for(self.loop, lambda: len(box) > 0, what=f"script {script[:40]}")
        return box[0]

    def text(self) -> str:
        return str(self.js("document.body.innerText"))

    def path(self) -> str:
        return self.view.url().path()

    def screenshot(self, path: Path, settle_s: float = 0.6) -> None:
        end = time.monotonic() + settle_s
        wait_for(self.loop, lambda: time.monotonic() > end, what="paint")
        assert self.view.grab().save(str(path))

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()


def dress_up(world: Any) -> None:
    """Give the test company a real name, phone, logo and technicians photos and bios (like the demo)."""
    from models.tables import Company, Technician
    from services.backend.demo import logo_png, portrait_png

    with world.api.server.backend.sessions() as s:
        co = s.get(Company, 1)
        co.name, co.phone, co.email = "Mike's Contracting", "(512) 555-0142", "office@mikescontracting.example"
        co.logo_png = logo_png()
        co.survey_categories = ["Punctuality", "Professionalism", "Quality of work", "Cleanliness", "Value"]
        co.payment_instructions = "Pay by phone at (512) 555-0142 or mail a check to 2200 S Lamar Blvd."
        t1 = s.get(Technician, world.tech1["id"])
        t1.photo_png = portrait_png("Marcus Reed", "#0072B2")
        t1.bio_approved, t1.bio_status = ("Licensed master plumber with 12 years in Austin homes. "
                                          "I'll always put on shoe covers."), "approved"
        s.get(Technician, world.tech2["id"]).photo_png = portrait_png("Elena Torres", "#009E73")
        s.commit()


def now() -> datetime:
    return datetime.now(UTC)
