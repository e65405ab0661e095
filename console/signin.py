"""The sign-in dialog for team servers: server, email, password, remember me (OS keyring when available)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiError

#: login(server, email, password) -> {"token", "user"}; raises ApiError with the API's message.
LoginFn = Callable[[str, str, str], Awaitable[dict[str, Any]]]


class SignInDialog(QDialog):
    """Non-blocking: emits `signedIn(server, email, token, remember, user)`; shows the API's error in words."""

    signedIn = Signal(str, str, str, bool, dict)

    def __init__(self, login: LoginFn, *, server: str = "", email: str = "", keyring_ok: bool = True,
                 reason: str = "", server_locked: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.login = login
        self.setWindowTitle("Sign in — Dispatch Console")
        self.setObjectName("SignInDialog")
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        title = QLabel("<span style='font-size:14pt;font-weight:600'>Sign in to your dispatch server</span>")
        lay.addWidget(title)
        self.reason = QLabel(reason, wordWrap=True, objectName="Muted")
        self.reason.setVisible(bool(reason))
        lay.addWidget(self.reason)
        form = QFormLayout()
        self.server = QLineEdit(server, placeholderText="https://dispatch.example.com")
        self.server.setReadOnly(server_locked)
        self.email = QLineEdit(email, placeholderText="you@company.com")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember me on this computer")
        self.remember.setChecked(keyring_ok)
        form.addRow("Server", self.server)
        form.addRow("Email", self.email)
        form.addRow("Password", self.password)
        form.addRow("", self.remember)
        lay.addLayout(form)
        self.keyring_note = QLabel(
            "No system keyring is available on this computer, so your sign-in is kept in memory only: "
            "you will be asked again next time.", wordWrap=True, objectName="Muted")
        self.keyring_note.setVisible(not keyring_ok)
        if not keyring_ok:
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
        lay.addWidget(self.keyring_note)
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color:#B34700;font-weight:600;")
        self.error.hide()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        (self.password if server and email else self.email if server else self.server).setFocus(
            Qt.FocusReason.OtherFocusReason)
        self._task: asyncio.Task[Any] | None = None

    def submit(self) -> None:
        server, email, pw = self.server.text().strip().rstrip("/"), self.email.text().strip(), self.password.text()
        missing = [n for n, v in (("server", server), ("email", email), ("password", pw)) if not v]
        if missing:
            self.show_error(f"Enter your {' and '.join(missing)}.")
            return
        if not server.startswith(("http://", "https://")):
            self.show_error("The server address must start with http:// or https://.")
            return
        self.buttons.setEnabled(False)
        self.error.hide()
        self._task = asyncio.ensure_future(self._login(server, email, pw))

    async def _login(self, server: str, email: str, pw: str) -> None:
        try:
            out = await self.login(server, email, pw)
        except ApiError as exc:
            self.show_error(exc.message)
            return
        finally:
            self.buttons.setEnabled(True)
        user = out.get("user", {})
        if user.get("role") not in ("dispatcher", "admin"):
            self.show_error("This account is not a dispatcher account. Technicians use the field app.")
            return
        self.password.clear()
        self.signedIn.emit(server, email, out["token"], self.remember.isChecked(), user)
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
