"""Reports → Insights…: opens the Insights panel in its own window (one per main window)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from services.api_client import ApiClient


def install(window: QMainWindow, api: ApiClient) -> QAction:
    """Add Reports → Insights… (Ctrl+Shift+I) to the window's menu bar, before Help."""
    bar = window.menuBar()
    menu = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "Reports"), None)
    if not isinstance(menu, QMenu):
        menu = QMenu("&Reports", window)
        help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        bar.insertMenu(help_menu, menu) if help_menu is not None else bar.addMenu(menu)
    action = QAction("&Insights…", window)
    action.setShortcut(QKeySequence("Ctrl+Shift+I"))
    action.setToolTip("How the team is doing: on time, LATE alerts, booking response, visits (Ctrl+Shift+I)")
    action.triggered.connect(lambda: open_insights(window, api))
    menu.addAction(action)
    window.addAction(action)
    return action


def open_insights(window: QMainWindow, api: ApiClient) -> QMainWindow:
    """Show the Insights window (created on first use, then raised)."""
    from widgets.insights_panel import InsightsPanel

    existing = window.findChild(QMainWindow, "InsightsWindow")
    if existing is not None:
        existing.show()
        existing.raise_()
        existing.activateWindow()
        return existing
    win = QMainWindow(window, objectName="InsightsWindow")
    win.setWindowFlag(Qt.WindowType.Window, True)
    win.setWindowTitle("Insights — Dispatch Console")
    panel = InsightsPanel(api, win)
    win.setCentralWidget(panel)
    tasks = panel.tasks
    win.destroyed.connect(lambda *_: tasks.cancel())  # the console is shutting down: stop loading
    win.resize(1600, 1000)
    win.show()
    panel.start()
    return win
