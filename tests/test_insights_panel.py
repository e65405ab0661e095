"""The Insights panel against a real backend: exact figures on screen, charts and the numbers behind them, CSV,
hover read-outs, filters, empty ranges, errors in words, the theme, and screenshots with the demo company."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QHorizontalStackedBarSeries, QLineSeries
from PySide6.QtCore import QDateTime, QPointF, Qt, QTime

from services.api_client import ApiClient
from tests.insights_history import MON, WED, History, played
from tests.qt_loop import qt_loop, run, spin_until
from widgets.insights_panel import InsightsPanel

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def history(db_url: str) -> Iterator[History]:
    with played(db_url) as h:
        yield h


def _client(url: str, email: str = "dana@example.com", password: str = "dispatch123") -> ApiClient:
    qt_loop()
    api = ApiClient(url)
    run(api.login(email, password))
    return api


class Loads:
    """Counts the panel's `loaded` signals; `wait()` for the next one."""

    def __init__(self, panel: InsightsPanel):
        self.panel, self.count = panel, 0
        panel.loaded.connect(self._one)

    def _one(self) -> None:
        self.count += 1

    def wait(self, action: Any = None) -> None:
        before = self.count
        if action is not None:
            action()
        spin_until(lambda: self.count > before, 15, "figures loaded")


def _panel(qtbot: Any, api: ApiClient, today: date) -> tuple[InsightsPanel, Loads]:
    panel = InsightsPanel(api, today=lambda _tz: today, debounce_ms=10)
    qtbot.addWidget(panel)
    panel.resize(1600, 1000)
    panel.show()
    return panel, Loads(panel)


@contextmanager
def app_theme() -> Iterator[Any]:
    """Yield `apply(dark)` for the whole application; restore its style, palette and style sheet afterwards."""
    from PySide6.QtWidgets import QApplication

    from console import theme

    app = QApplication.instance()
    saved = (app.style().name(), app.palette(), app.styleSheet())
    try:
        yield lambda dark: theme.apply(app, dark)
    finally:
        app.setStyle(saved[0])
        app.setPalette(saved[1])
        app.setStyleSheet(saved[2])


def _series(panel: InsightsPanel, card: str, name: str) -> Any:
    return next(s for s in panel.cards[card].view.chart().series() if s.name() == name)


def test_panel_shows_the_figures_of_a_hand_made_history(qtbot: Any, history: History, tmp_path: Path) -> None:
    api = _client(history.world.api.url)
    panel, loads = _panel(qtbot, api, WED)
    loads.wait(panel.start)
    assert panel.range() == (date(2026, 2, 3), WED) and panel.preset.currentText() == "Last 30 days"
    assert panel.tech.count() == 3 and panel.tech.itemText(1) == "Elena Torres"
    loads.wait(lambda: panel.set_range(MON, WED))
    assert panel.preset.currentText() == "Custom range"

    tiles = {k: (t.value.text(), t.detail.text()) for k, t in panel.tiles.items()}
    assert tiles == {
        "on_time": ("57.1 %", "4 of 7 visits · +15 min: 71.4 %"),
        "late": ("5", "avg 1 h 14 min overdue · 1 still open"),
        "booking": ("1 h 30 min", "66.7 % answered within 48 h · 5 requests"),
        "visits": ("5", "1 paused for a follow-up · 1 cancelled · of 9 visits"),
        "drive": ("35 min", "median 30 min · on site avg 50 min"),
        "backup": ("20.0 %", "5 of 25 field-app changes made by dispatch"),
        "survey": ("4.00 ★", "2 ratings"),
    }
    # On time per day: the line's points are the days' percentages.
    window = _series(panel, "on_time", "Within the window")
    assert isinstance(window, QLineSeries) and [p.y() for p in window.points()] == [25.0, 100.0, 100.0]
    # Per technician: worst at the top (categories run bottom-up), red when below the company average.
    tech = panel.cards["tech"].view.chart()
    bars = next(s for s in tech.series() if isinstance(s, QHorizontalStackedBarSeries))
    names = next(a for a in tech.axes() if isinstance(a, QBarCategoryAxis))
    assert names.categories() == ["Marcus Reed", "Elena Torres"]
    assert [(b.label(), [b.at(i) for i in range(b.count())]) for b in bars.barSets()] == [
        ("Below average", [0.0, 50.0]), ("Above average", [60.0, 0.0])]
    assert _series(panel, "tech", "Company 57.1 %") is not None
    late = panel.cards["late"].view.chart().series()[0]
    assert {b.label(): [b.at(i) for i in range(b.count())] for b in late.barSets()} == {
        "Tech arrived": [1.0, 0.0, 0.0], "Reassigned": [1.0, 0.0, 0.0], "Rescheduled": [0.0, 1.0, 0.0],
        "Cancelled": [0.0, 0.0, 0.0], "Acknowledged only": [0.0, 1.0, 0.0], "Still open": [1.0, 0.0, 0.0]}
    booking = panel.cards["booking"].view.chart().series()[0].barSets()[0]
    assert [booking.at(i) for i in range(booking.count())] == [0.0, 2.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    assert panel.cards["booking"].readout.text() == (
        "Requests by time to the first answer · median 1 h 30 min · 90 % within 2 d 2 h · 66.7 % before the "
        "48-hour reminder")

    # Hovering shows the values behind a point or a bar, and leaving restores the summary.
    card = panel.cards["on_time"]
    mon_x = float(QDateTime(MON, QTime(0, 0)).toMSecsSinceEpoch())
    window.hovered.emit(QPointF(mon_x, 25.0), True)
    assert card.readout.text() == "Mon, Mar 2: 25.0 % within the window (1 of 4 visits)"
    window.hovered.emit(QPointF(mon_x, 25.0), False)
    assert card.readout.text() == card.summary
    bars.barSets()[0].hovered.emit(True, 1)
    assert panel.cards["tech"].readout.text() == "Elena Torres: 50.0 % on time (1 of 2), 2 LATE alerts"

    # The numbers one click away, and as CSV.
    qtbot.mouseClick(card.table_btn, Qt.MouseButton.LeftButton)
    assert card.stack.currentWidget() is card.table and card.table_btn.text() == "Chart"
    m = card.model
    assert m.rowCount() == 3 and [m.index(0, c).data() for c in range(m.columnCount())] == [
        "Mon, Mar 2", "5", "4", "1", "25.0 %", "2", "50.0 %", "1", "1"]
    target = tmp_path / "on-time.csv"
    card.export_csv(str(target))
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["Day", "Visits", "Scored", "On time", "On time %", "On time +15", "On time +15 %",
                       "Never arrived", "Cancelled"]
    assert rows[1:] == [["Mon, Mar 2", "5", "4", "1", "25.0", "2", "50.0", "1", "1"],
                        ["Tue, Mar 3", "2", "2", "2", "100.0", "2", "100.0", "0", "0"],
                        ["Wed, Mar 4", "2", "1", "1", "100.0", "1", "100.0", "0", "0"]]
    assert panel.status.text() == f"Saved {target}"
    qtbot.mouseClick(card.table_btn, Qt.MouseButton.LeftButton)
    assert card.stack.currentWidget() is card.view

    # One technician: her figures; booking figures stay the office's and say so.
    loads.wait(lambda: panel.tech.setCurrentIndex(panel.tech.findText("Elena Torres")))
    assert panel.tiles["on_time"].value.text() == "50.0 %" and panel.tiles["late"].value.text() == "2"
    assert panel.cards["booking"].readout.text().endswith("all technicians (the office answers requests)")
    run(api.aclose())


def test_empty_range_says_so_and_errors_are_words(qtbot: Any, history: History) -> None:
    api = _client(history.world.api.url)
    panel, loads = _panel(qtbot, api, WED)
    loads.wait(panel.start)
    loads.wait(lambda: panel.set_range(date(2026, 1, 5), date(2026, 1, 11)))
    assert all(not c.has_chart and c.stack.currentWidget() is c.empty for c in panel.cards.values())
    assert panel.cards["on_time"].empty.text() == "No visits were due in this period."
    assert panel.cards["late"].empty.text() == "No LATE alerts in this period."
    assert panel.tiles["on_time"].value.text() == "—" and panel.tiles["late"].value.text() == "0"
    # The days are still listed (all zero) behind the empty chart; there is no technician to list.
    assert panel.cards["on_time"].model.rowCount() == 7 and panel.cards["on_time"].csv_btn.isEnabled()
    assert not panel.cards["tech"].csv_btn.isEnabled() and not panel.cards["tech"].table_btn.isEnabled()
    # The server goes away: the panel says so in words and keeps what it showed.
    history.world.api.server.stop()
    panel.reload()
    assert panel.status.text() == "Loading…"  # the request runs in the background
    spin_until(panel.error.isVisible, 15, "error shown")
    assert panel.error.text().startswith("Couldn't load the insights: Can't reach the server")
    assert panel.refresh_btn.isEnabled()
    run(api.aclose())


def test_charts_follow_the_theme(qtbot: Any, history: History) -> None:
    """View → Dark theme applies the dark palette to the application: the open panel's charts follow."""
    api = _client(history.world.api.url)
    panel, loads = _panel(qtbot, api, WED)
    loads.wait(panel.start)
    chart = panel.cards["on_time"].view.chart()
    assert chart.backgroundBrush().color().name() == "#ffffff" and not panel.dark
    with app_theme() as apply:
        apply(True)
        spin_until(lambda: panel.dark, 5, "dark theme")
        axis = chart.axes()[0]
        assert chart.backgroundBrush().color().name() == "#1d2127" and axis.labelsColor().name() == "#9aa4af"
        assert chart.legend().labelColor().name() == "#e4e8ee" and "#1D2127" in panel.styleSheet()
        apply(False)
        spin_until(lambda: not panel.dark, 5, "light theme")
        assert chart.backgroundBrush().color().name() == "#ffffff"
    run(api.aclose())


def test_screenshots_with_the_demo_company(qtbot: Any, db_url: str, artifacts: Path) -> None:
    """Reports → Insights… on a main window, with sixty days of demo history, light and dark at 1600×1000."""
    from PySide6.QtWidgets import QMainWindow

    from console.insights_menu import install
    from services.backend import demo
    from services.backend.clock import OffsetClock
    from services.backend.embedded import EmbeddedServer
    from tests.conftest import make_settings

    srv = EmbeddedServer(make_settings(db_url), clock=OffsetClock()).start()
    try:
        with srv.backend.sessions() as s:
            demo.seed(s, srv.backend)
            s.commit()
        api = _client(srv.url, demo.DISPATCHER_EMAIL, demo.DEMO_PASSWORD)
        main = QMainWindow()
        main.menuBar().addMenu("&Help")
        qtbot.addWidget(main)
        action = install(main, api)
        assert [a.text() for a in main.menuBar().actions()] == ["&Reports", "&Help"]
        assert action.shortcut().toString() == "Ctrl+Shift+I"
        action.trigger()
        win = main.findChild(QMainWindow, "InsightsWindow")
        panel = win.centralWidget()
        spin_until(lambda: panel.result is not None and panel.status.text().startswith("Updated"), 30, "demo figures")
        action.trigger()  # a second time raises the same window
        assert main.findChildren(QMainWindow, "InsightsWindow") == [win]
        win.resize(1600, 1000)
        assert all(c.has_chart for c in panel.cards.values())
        names = next(a for a in panel.cards["tech"].view.chart().axes() if isinstance(a, QBarCategoryAxis))
        assert len(names.categories()) == len(demo.TECHS)
        with app_theme() as apply:
            for dark in (False, True):
                apply(dark)
                spin_until(lambda d=dark: panel.dark == d, 5, "theme applied")
                qtbot.wait(200)
                win.grab().save(str(artifacts / f"insights_{'dark' if dark else 'light'}.png"))
        run(api.aclose())
    finally:
        srv.stop()
