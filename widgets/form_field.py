"""One form field as forms here show it: the input, a grey hint under it, and a red error line that appears when
the server names this field."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

HINT_STYLE = "color: palette(placeholder-text); font-size: 11px;"
ERROR_STYLE = "color: #B42318; font-size: 11px;"


def field_box(widget: QWidget, hint: str = "") -> tuple[QWidget, QLabel]:
    """The field's box (for a form row) and its error label (hidden until set)."""
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    lay.addWidget(widget)
    if hint:
        h = QLabel(hint, wordWrap=True)
        h.setStyleSheet(HINT_STYLE)
        lay.addWidget(h)
    err = QLabel("", wordWrap=True, visible=False)
    err.setStyleSheet(ERROR_STYLE)
    lay.addWidget(err)
    return box, err
