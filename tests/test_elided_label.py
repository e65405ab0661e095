"""A status line that gives way when narrow keeps its start readable and the whole text in its tooltip."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from widgets.elided_label import ElidedLabel


def test_narrow_label_ends_in_ellipsis_and_tooltip_has_it_all(qtbot: QtBot) -> None:
    text = "14 technicians · click one on the map to select it"
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    label.resize(600, 24)
    label.show()
    assert label.displayed_text() == text and label.toolTip() == ""
    label.resize(90, 24)
    shown = label.displayed_text()
    assert shown.endswith("…") and text.startswith(shown[:-1]) and label.toolTip() == text
    label.setText("Live")
    assert label.displayed_text() == "Live" and label.toolTip() == ""
    assert label.minimumSizeHint().width() == 0
