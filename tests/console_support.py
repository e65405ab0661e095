"""Helpers for the console tests: a qasync loop driven by pytest-qt, and a signed-in console window."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings

from console.live import LiveSync
from console.main_window import MainWindow
from services.api_client import ApiClient
from widgets.schedule_model import ScheduleModel


def run(qtbot: Any, aw: Awaitable[Any], timeout: float = 10.0) -> Any:
    """Run a coroutine on the qasync loop until it completes (processing Qt events meanwhile)."""
    fut = asyncio.ensure_future(aw)
    qtbot.waitUntil(fut.done, timeout=int(timeout * 1000))
    return fut.result()


class DefaultAnswer:
    """Answers "Text the customer about this change?" with its suggested answer, without a modal dialog (tests that
    drag or save without caring about texts); tests about texting put their own prompt in place."""

    def __init__(self) -> None:
        self.asked: list[Any] = []

    def ask(self, preview: Any) -> bool | None:
        self.asked.append(preview)
        return bool(preview.default) if preview.asks else False

    async def ask_async(self, preview: Any) -> bool | None:
        return self.ask(preview)


class Console:
    """A main window over a live connection, as app.run builds it (without the start-up dialogs); moves answer
    "Text the customer?" with the suggested answer (`window.changes.prompt`, a `DefaultAnswer`)."""

    def __init__(self, qtbot: Any, url: str, token: str, tmp: Path, *, day: Any = None,
                 size: tuple[int, int] = (1600, 900)):
        self.qtbot = qtbot
        self.client = ApiClient(url, token)
        self.model = ScheduleModel()
        self.live = LiveSync(self.client, self.model, offline_after_s=0.6, base_delay_s=0.1, max_delay_s=0.4)
        self.settings = QSettings(str(tmp / "console.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(self.live, settings=self.settings, user_name="Dana Dispatcher", server_label=url)
        self.window.changes.prompt = DefaultAnswer()  # type: ignore[assignment]
        self.window.changes.prompt_for = lambda _parent: self.window.changes.prompt  # type: ignore[method-assign]
        self.window.resize(*size)
        self.window.show()
        self.loads = 0
        self.live.dayLoaded.connect(self._loaded)
        run(qtbot, self.live.start(day=day))
        qtbot.waitUntil(lambda: self.loads >= 1 and self.live.stream.state.value == "live", timeout=10000)
        self.painted: list[tuple[float, int, str, int]] = []
        self.window.view.paint_observer = lambda i, s, v: self.painted.append((time.monotonic(), i, s, v))

    def _loaded(self, _day: Any) -> None:
        self.loads += 1

    @property
    def view(self) -> Any:
        return self.window.view

    def close(self) -> None:
        run(self.qtbot, self.live.stop())
        run(self.qtbot, self.client.aclose())
        from PySide6.QtCore import QCoreApplication, QEvent

        self.window.close()
        self.window.deleteLater()
        for _ in range(3):
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            QCoreApplication.processEvents()
        self.qtbot.wait(50)


async def loaded_live(client: ApiClient, day: Any = None, *, tz: str = "America/Chicago") -> LiveSync:
    """A LiveSync whose store holds everything (one full load, no event stream): what panels are built on."""
    live = LiveSync(client, ScheduleModel(tz))
    assert await live.reload(day)
    return live


def local_day(iso: str, tz: str = "America/Chicago") -> Any:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).date()


def token_of(client: Any) -> str:
    return client.headers["Authorization"].split(" ", 1)[1]
