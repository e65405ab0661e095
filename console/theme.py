"""Light and dark palettes plus the matching style sheets from resources/styles."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parent.parent / "resources"

_LIGHT = {
    QPalette.ColorRole.Window: "#F5F7FA", QPalette.ColorRole.WindowText: "#1F2933",
    QPalette.ColorRole.Base: "#FFFFFF", QPalette.ColorRole.AlternateBase: "#F7F9FB",
    QPalette.ColorRole.Text: "#1F2933", QPalette.ColorRole.Button: "#FFFFFF",
    QPalette.ColorRole.ButtonText: "#1F2933", QPalette.ColorRole.Highlight: "#0072B2",
    QPalette.ColorRole.HighlightedText: "#FFFFFF", QPalette.ColorRole.ToolTipBase: "#FFFFFF",
    QPalette.ColorRole.ToolTipText: "#1F2933", QPalette.ColorRole.PlaceholderText: "#8792A2",
    QPalette.ColorRole.Link: "#0072B2",
}
_DARK = {
    QPalette.ColorRole.Window: "#1B1F24", QPalette.ColorRole.WindowText: "#E4E8EE",
    QPalette.ColorRole.Base: "#171A1F", QPalette.ColorRole.AlternateBase: "#1D2127",
    QPalette.ColorRole.Text: "#E4E8EE", QPalette.ColorRole.Button: "#2A3038",
    QPalette.ColorRole.ButtonText: "#E4E8EE", QPalette.ColorRole.Highlight: "#56B4E9",
    QPalette.ColorRole.HighlightedText: "#0B1A24", QPalette.ColorRole.ToolTipBase: "#2A3038",
    QPalette.ColorRole.ToolTipText: "#E4E8EE", QPalette.ColorRole.PlaceholderText: "#6E7681",
    QPalette.ColorRole.Link: "#56B4E9",
}


def palette(dark: bool) -> QPalette:
    pal = QPalette()
    for role, color in (_DARK if dark else _LIGHT).items():
        pal.setColor(role, QColor(color))
    return pal


def apply(app: QApplication, dark: bool) -> None:
    """Switch the whole application to the light or dark theme."""
    app.setStyle("Fusion")
    app.setPalette(palette(dark))
    qss = RESOURCES / "styles" / ("dark.qss" if dark else "light.qss")
    text = qss.read_text(encoding="utf-8") if qss.exists() else ""
    app.setStyleSheet(text.replace("@ICONS@", (RESOURCES / "icons").as_posix()))  # images by absolute path


def icon(name: str) -> QIcon:
    path = RESOURCES / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
