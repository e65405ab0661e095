"""Keyboard: the correction reason box (Tab leaves, Ctrl+Enter submits, OK needs a reason), Esc clears the search,
a visible focus ring on the grid, the shortcuts listed in Help → Keyboard shortcuts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QDialog

from console import theme
from console.schedule_bar import ScheduleBar
from widgets.reason_dialog import ReasonDialog
from widgets.schedule_grid import ScheduleView
from widgets.schedule_model import ScheduleModel


def test_reason_box_tab_ctrl_enter_and_ok_needs_a_reason(qtbot: Any) -> None:
    dlg = ReasonDialog("Reason for the correction", "Moving back from In Progress to Arrived is a correction.")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.text.setFocus()
    qtbot.waitUntil(dlg.text.hasFocus)
    assert not dlg.ok.isEnabled()
    qtbot.keyClick(dlg.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted  # nothing typed: nothing submitted
    qtbot.keyClicks(dlg.text, "Tapped by mistake")
    qtbot.keyClick(dlg.text, Qt.Key.Key_Return)  # Enter is a new line, not a submit
    qtbot.keyClicks(dlg.text, "in the field app")
    assert dlg.ok.isEnabled() and dlg.isVisible()
    qtbot.keyClick(dlg.text, Qt.Key.Key_Tab)  # Tab moves on instead of typing a tab
    assert "\t" not in dlg.text.toPlainText() and not dlg.text.hasFocus()
    dlg.text.setFocus()
    qtbot.keyClick(dlg.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.reason() == "Tapped by mistake\nin the field app"


def test_escape_clears_the_search(qtbot: Any) -> None:
    bar = ScheduleBar()
    qtbot.addWidget(bar)
    bar.show()
    got: list[str] = []
    bar.filtersChanged.connect(lambda _t, _s, text: got.append(text))
    bar.search.setFocus()
    qtbot.keyClicks(bar.search, "Ann")
    assert bar.search.text() == "Ann"
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)
    assert bar.search.text() == "" and got[-1] == ""


def test_grid_shows_a_focus_ring(qtbot: Any) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, pal, qss = app.style().name(), app.palette(), app.styleSheet()
    theme.apply(app, False)
    try:
        view = ScheduleView(ScheduleModel())
        qtbot.addWidget(view)
        view.resize(800, 300)
        view.show()
        qtbot.waitExposed(view)
        view.activateWindow()
        view.setFocus()
        qtbot.waitUntil(view.hasFocus)
        ring = QColor(view.grab().toImage().pixel(0, 150))
        assert ring == QColor("#0072B2"), ring.name()
        view.clearFocus()
        qtbot.waitUntil(lambda: not view.hasFocus())
        assert QColor(view.grab().toImage().pixel(0, 150)) != QColor("#0072B2")
    finally:
        app.setStyle(style)
        app.setPalette(pal)
        app.setStyleSheet(qss)
