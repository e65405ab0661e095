"""Keyboard shortcuts for the late-alert panel: go to the next alert, acknowledge the one selected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from console.main_window import MainWindow
    from widgets.late_alerts import LateAlertPanel

NEXT_ALERT = "F8"
ACKNOWLEDGE = "Ctrl+Shift+A"


def install(window: MainWindow, panel: LateAlertPanel) -> dict[str, QAction]:
    """Add "Next alert" and "Acknowledge alert" to the Schedule menu; Help → Keyboard shortcuts lists them."""

    def show_dock() -> None:
        dock = window.docks.get("Late alerts")
        if dock is not None:
            dock.show()
            dock.raise_()

    def next_alert() -> None:
        show_dock()
        if panel.selection.next() is None:
            window.statusBar().showMessage("No open alerts.", 4000)

    def acknowledge() -> None:
        show_dock()
        it = panel.current()
        if it is None:
            window.statusBar().showMessage("No alert selected: press F8 to go to the next alert.", 4000)
        elif it.alert.get("acknowledged_by"):
            window.statusBar().showMessage(f"Already acknowledged by {it.alert['acknowledged_by']}.", 4000)
        else:
            panel.on_acknowledge()

    made: dict[str, QAction] = {}
    for key, text, shortcut, slot, tip in (
            ("next_alert", "Next &alert", NEXT_ALERT, next_alert, "Select the next open alert"),
            ("ack_alert", "Ac&knowledge alert", ACKNOWLEDGE, acknowledge,
             "Tell the other dispatchers you are handling the selected alert")):
        act = QAction(text, window)
        act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setToolTip(f"{tip} ({shortcut})")
        act.triggered.connect(slot)
        window.addAction(act)
        window.actions_by_name[key] = act
        made[key] = act
    menu = next((a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Schedule"), None)
    if menu is not None:
        menu.addSeparator()
        menu.addActions(list(made.values()))
    return made
