"""The conflicts of a proposed booking, in words, with "Book anyway" / "Cancel" (dialogs, drops, reassigns)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def conflict_lines(conflicts: list[dict[str, Any]]) -> list[str]:
    return [f"•  {c['message']}" for c in conflicts]


class ConflictPanel(QFrame):
    """Hidden until `show_conflicts`; `bookAnyway` / `cancelled` say what the dispatcher chose."""

    bookAnyway = Signal()
    cancelled = Signal()
    shown = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, anyway_text: str = "Book anyway"):
        super().__init__(parent)
        self.setObjectName("ConflictPanel")
        self.setAccessibleName("Booking conflicts")
        self.setStyleSheet("#ConflictPanel { background: rgba(230, 159, 0, 0.14); border: 1px solid #E69F00; "
                           "border-radius: 8px; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        self.title = QLabel("", wordWrap=True)
        self.title.setStyleSheet("font-weight: 600; background: transparent;")
        self.body = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.body.setStyleSheet("background: transparent;")
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.title)
        lay.addWidget(self.body)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.clicked.connect(self._cancel)
        self.anyway_btn = QPushButton(anyway_text)
        self.anyway_btn.setToolTip("Save it despite the conflicts (recorded in the audit log)")
        self.anyway_btn.clicked.connect(self._anyway)
        row.addWidget(self.cancel_btn)
        row.addWidget(self.anyway_btn)
        lay.addLayout(row)
        self.conflicts: list[dict[str, Any]] = []
        self.setVisible(False)

    def show_conflicts(self, tech_name: str, conflicts: list[dict[str, Any]], *, question: str = "") -> None:
        """List the conflicts and ask; the dispatcher answers with the buttons."""
        self.conflicts = list(conflicts)
        n = len(conflicts)
        self.title.setText(f"{tech_name} has {'a conflict' if n == 1 else f'{n} conflicts'} at that time. "
                           + (question or "Book anyway?"))
        self.body.setText("\n".join(conflict_lines(conflicts)))
        self.setVisible(True)
        self.shown.emit(True)
        self.anyway_btn.setFocus()

    def clear(self) -> None:
        self.conflicts = []
        if self.isVisible():
            self.setVisible(False)
            self.shown.emit(False)

    def _anyway(self) -> None:
        self.setVisible(False)
        self.shown.emit(False)
        self.bookAnyway.emit()

    def _cancel(self) -> None:
        self.clear()
        self.cancelled.emit()
