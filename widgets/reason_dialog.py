"""Asking for the reason of a backward status correction: Tab leaves the box, Ctrl+Enter submits, OK needs a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class ReasonDialog(QDialog):
    """A short multi-line reason; Enter makes a new line, Ctrl+Enter (or OK) submits, Esc cancels."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        lay = QVBoxLayout(self)
        label = QLabel(prompt, wordWrap=True)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)  # Tab moves on to the buttons instead of typing a tab
        self.text.setPlaceholderText("Why is this being corrected? (kept in the audit)")
        self.text.setMinimumHeight(90)
        label.setBuddy(self.text)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Correct status")
        self.ok.setToolTip("Save the correction (Ctrl+Enter)")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        hint = QLabel("Ctrl+Enter to submit · Esc to cancel", objectName="Muted")
        lay.addWidget(label)
        lay.addWidget(self.text, 1)
        lay.addWidget(hint)
        lay.addWidget(self.buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.submit, context=Qt.ShortcutContext.WindowShortcut)
        self.text.textChanged.connect(self._enable)
        self._enable()
        self.resize(460, 240)

    def reason(self) -> str:
        return self.text.toPlainText().strip()

    def _enable(self) -> None:
        self.ok.setEnabled(bool(self.reason()))

    def submit(self) -> None:
        if self.reason():
            self.accept()


def ask_reason(parent: QWidget, title: str, prompt: str) -> str | None:
    dlg = ReasonDialog(title, prompt, parent)
    return dlg.reason() if dlg.exec() == QDialog.DialogCode.Accepted and dlg.reason() else None
