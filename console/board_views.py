"""The board's other views, plugged into the main window: the week (technicians × days), "Fit the whole day"."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from console import theme
from widgets.week_view import WeekView

if TYPE_CHECKING:
    from console.live import LiveSync
    from console.main_window import MainWindow

WEEK_KEY = "Ctrl+Shift+W"
FIT_KEY = "Ctrl+0"


def _action(window: MainWindow, name: str, text: str, key: str, tip: str, icon: str) -> QAction:
    act = QAction(theme.icon(icon), text, window, checkable=True)
    act.setShortcut(QKeySequence(key))
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.setToolTip(f"{tip} ({key})")
    window.addAction(act)
    window.actions_by_name[name] = act
    return act


def _view_menu(window: MainWindow) -> QMenu | None:
    return next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View"), None)


def install(window: MainWindow, live: LiveSync) -> WeekView:
    """Add the week view (toggle, Ctrl+Shift+W) and "Fit the whole day" (Ctrl+0) to the View menu and toolbar."""
    week = WeekView(live.client, live.store, window)
    week.hide()
    layout = window.centralWidget().layout()
    assert layout is not None
    layout.addWidget(week)
    week_act = _action(window, "week", "&Week view", WEEK_KEY, "Technicians × days: each day's load and visits",
                       "week")
    fit_act = _action(window, "fit_day", "&Fit the whole day", FIT_KEY, "Show every hour of the day without scrolling",
                      "fit")
    pending: dict[str, int] = {}

    def show_week(on: bool) -> None:
        week.setVisible(on)
        for w in (window.view, window.bar):
            w.setVisible(not on)
        fit_act.setEnabled(not on)
        if on:
            week.show_week(live.model.day)
            week.table.setFocus()
        else:
            window.view.setFocus()

    def open_day(day: date, tech_id: int) -> None:
        week_act.setChecked(False)
        if tech_id >= 0:
            pending["tech"] = tech_id
        window.go_to_day(day)

    def day_loaded(_day: object) -> None:
        tech = pending.pop("tech", None)
        if tech is not None:
            window.select_technician(tech)

    def fit(on: bool) -> None:
        window.view.fit_day = on
        window.view._relayout()
        window.view.viewport().update()
        window.settings.setValue("schedule/fit_day", on)

    week_act.toggled.connect(show_week)
    fit_act.toggled.connect(fit)
    week.closeRequested.connect(lambda: week_act.setChecked(False))
    week.dayRequested.connect(open_day)
    live.dayLoaded.connect(day_loaded)
    window.closing.connect(week.shutdown)
    menu = _view_menu(window)
    if menu is not None:
        menu.addSeparator()
        menu.addActions([week_act, fit_act])
    toolbar = window.findChild(QToolBar, "toolbar_main")
    if toolbar is not None:
        toolbar.addSeparator()
        toolbar.addActions([week_act, fit_act])
    fit_act.setChecked(window.settings.value("schedule/fit_day", False, type=bool))
    window.week_view = week  # type: ignore[attr-defined]
    return week
