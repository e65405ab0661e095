"""The banner above the schedule: an error or notice in words, with an optional Retry."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    """A calm message strip above the grid (errors, conflicts) with optional Retry."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Banner")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 8, 10, 8)
        self.text = QLabel(wordWrap=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry = QPushButton("Retry")
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.clicked.connect(self.hide)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.retry)
        lay.addWidget(self.dismiss)
        self._retry_fn: Any = None
        self.retry.clicked.connect(self._do_retry)
        self.hide()

    def show_message(self, html: str, *, retry: Any = None, kind: str = "error") -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(html)
        self._retry_fn = retry
        self.retry.setVisible(retry is not None)
        self.show()

    def _do_retry(self) -> None:
        fn, self._retry_fn = self._retry_fn, None
        self.hide()
        if fn is not None:
            fn()
