"""Desktop notifications shared by every panel: one tray icon for the app, a beep when asked."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

_tray: QSystemTrayIcon | None = None
#: Every notification shown, newest last (the status bar and tests read it; capped).
history: list[tuple[str, str]] = []


def notify_desktop(title: str, text: str, *, warning: bool = False, sound: bool = False) -> bool:
    """Show a tray balloon where the desktop has a tray; returns whether one was shown."""
    global _tray
    history.append((title, text))
    del history[:-50]
    if sound:
        QApplication.beep()
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return False
    if _tray is None:
        icon = QApplication.windowIcon()
        _tray = QSystemTrayIcon(icon if not icon.isNull() else QIcon(), QApplication.instance())
        _tray.setToolTip("Dispatch Console")
        _tray.show()
    kind = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
    _tray.showMessage(title, text, kind, 10000)
    return True
