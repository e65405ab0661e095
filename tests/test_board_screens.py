"""The console with the demo company at 1920×1080 and 1280×720, light and dark: screenshots and layout checks
(filter bar without overlaps, dock tabs not clipped, booking detail with room to read, window state remembered)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QTabBar

from console import theme
from console.local_auth import local_dispatcher_token
from tests.console_support import Console
from widgets.late_alerts import ROW_H

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _no_overlaps(bar: Any) -> None:
    widgets = [bar.prev_btn, bar.today_btn, bar.next_btn, bar.date_edit, bar.tech_combo, bar.status_btn, bar.search]
    rects = [w.geometry() for w in widgets if w.isVisible()]
    for i, a in enumerate(rects):
        assert a.right() < bar.width(), f"{widgets[i]} runs off the bar"
        for b in rects[i + 1:]:
            assert not a.intersects(b), f"{a} overlaps {b}"
    assert bar.search.width() >= 180, "the search field must stay usable"
    assert bar.status_btn.width() >= bar.status_btn.minimumWidth() > 60
    assert bar.date_edit.width() >= bar.date_edit.sizeHint().width() - 2


def _tabs_not_clipped(window: Any) -> None:
    for bar in window.findChildren(QTabBar):
        if not bar.isVisible():
            continue
        for i in range(bar.count()):
            text = bar.tabText(i)
            need = bar.fontMetrics().horizontalAdvance(text) + 2 * 12 + 2  # text, the style's padding, borders
            assert bar.tabRect(i).width() >= need, f"tab {text!r} is clipped ({bar.tabRect(i).width()} < {need})"


def test_demo_screens_light_and_dark(qtbot: Any, qloop: Any, server: Any, tmp_path: Path, artifacts: Path) -> None:
    from console.wiring import wire
    from services.backend.demo import seed_if_empty

    seed_if_empty(server.backend)
    token = local_dispatcher_token(server.backend)
    c = Console(qtbot, server.url, token, tmp_path, size=(1920, 1080))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, pal, qss = app.style().name(), app.palette(), app.styleSheet()
    try:
        wire(c.window, c.live)
        qtbot.waitUntil(lambda: len(c.model.appts) > 10, timeout=5000)
        for dark in (False, True):
            theme.apply(app, dark)
            c.window.view.dark = dark
            for w, h in ((1920, 1080), (1280, 720)):
                c.window.resize(w, h)
                qtbot.wait(300)
                assert c.window.width() == w, "the window must fit the screen"
                _no_overlaps(c.window.bar)
                assert c.window.bar.two_rows == (w < 1500)  # next to the docks at 1280 px the filters wrap
                _tabs_not_clipped(c.window)
                late = c.window.docks["Late alerts"].widget()
                assert late.view.viewport().height() // ROW_H >= 3, "compact alert cards: three or more in view"
                inbox = c.window.docks["Booking requests"].widget()
                name = f"board_{w}x{h}_{'dark' if dark else 'light'}.png"
                assert c.window.grab().save(str(artifacts / name))
                c.window.docks["Booking requests"].raise_()
                inbox.select(inbox.model.ids()[0])
                qtbot.wait(100)
                _tabs_not_clipped(c.window)
                assert c.window.grab().save(str(artifacts / name.replace("board_", "board_inbox_")))
                assert inbox.detail.width() >= 300 and inbox.detail.height() >= 180, inbox.detail.size()
                c.window.docks["Late alerts"].raise_()
                week = c.window.week_view
                loads = week.loads
                c.window.actions_by_name["week"].trigger()
                qtbot.waitUntil(lambda: week.loads > loads, timeout=5000)  # noqa: B023
                assert len(week.model.rows) == 15  # Unassigned + the demo's 14 technicians
                qtbot.wait(100)
                assert c.window.width() == w, "the week view must fit the screen too"
                assert c.window.grab().save(str(artifacts / name.replace("board_", "week_")))
                c.window.actions_by_name["week"].trigger()
    finally:
        app.setStyle(style)
        app.setPalette(pal)
        app.setStyleSheet(qss)
        c.close()


def test_first_start_maximized_then_geometry_and_dock_sizes_restored(qtbot: Any, qloop: Any, world: Any,
                                                                      tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings, Qt

    from console.app import show_window
    from console.live import LiveSync
    from console.main_window import MainWindow
    from console.wiring import wire
    from services.api_client import ApiClient
    from tests.console_support import run, token_of
    from widgets.schedule_model import ScheduleModel

    ini = str(tmp_path / "console.ini")

    def window() -> tuple[MainWindow, LiveSync]:
        client = ApiClient(world.api.url, token_of(world.dispatcher))
        live = LiveSync(client, ScheduleModel())
        assert run(qtbot, live.reload())
        w = MainWindow(live, settings=QSettings(ini, QSettings.Format.IniFormat))
        wire(w, live)
        return w, live

    first, live1 = window()
    assert not first.restored
    show_window(first)
    qtbot.waitUntil(first.isVisible)
    assert first.windowState() & Qt.WindowState.WindowMaximized
    first.showNormal()
    avail = first.screen().availableGeometry()
    size = (avail.width() * 4 // 5, avail.height() * 4 // 5)
    first.setGeometry(avail.left() + 20, avail.top() + 30, *size)
    qtbot.wait(50)
    first.resizeDocks([first.docks["Late alerts"]], [size[0] // 3], Qt.Orientation.Horizontal)
    first.resizeDocks([first.docks["Late alerts"], first.docks["Crew map"]], [3, 4], Qt.Orientation.Vertical)
    qtbot.wait(100)
    widths = first.docks["Late alerts"].width(), first.docks["Crew map"].height()
    size = first.width(), first.height()
    first.close()  # saves geometry and dock layout
    second, live2 = window()
    try:
        assert second.restored
        show_window(second)
        qtbot.waitUntil(second.isVisible)
        qtbot.wait(100)
        assert not second.windowState() & Qt.WindowState.WindowMaximized
        assert (second.width(), second.height()) == size
        assert abs(second.docks["Late alerts"].width() - widths[0]) <= 4
        assert abs(second.docks["Crew map"].height() - widths[1]) <= 4
    finally:
        second.close()
        for lv in (live1, live2):
            run(qtbot, lv.client.aclose())
