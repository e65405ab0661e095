"""A notice in the status bar for a new booking request: who, what, when (company time) and "Open inbox"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from models.timefmt import clock_time, parse_iso_or_none


def booking_text(request: dict[str, Any], tz: str) -> str:
    """'New booking request 3:05 AM: Ann Lee — Water heater' (never zero-padded, company time)."""
    who = request.get("customer_name") or "A customer"
    what = request.get("service_type") or "service request"
    at = parse_iso_or_none(request.get("created_at"))
    return f"New booking request{' ' + clock_time(at, tz) if at else ''}: {who} — {what}"


class BookingNotice(QFrame):
    """Shows the latest new request until opened or dismissed (or after `hide_after_ms`)."""

    def __init__(self, open_request: Callable[[int], None], parent: QWidget | None = None,
                 hide_after_ms: int = 120_000):
        super().__init__(parent)
        self.setObjectName("BookingNotice")
        self._open = open_request
        self.request_id: int | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        lay.setSpacing(6)
        self.text = QLabel()
        self.text.setAccessibleName("New booking request")
        self.open_btn = QPushButton("Open inbox")
        self.open_btn.setToolTip("Show this request in the booking inbox")
        self.open_btn.clicked.connect(self.open_inbox)
        self.close_btn = QPushButton("✕")
        self.close_btn.setFlat(True)
        self.close_btn.setToolTip("Dismiss")
        self.close_btn.setFixedWidth(28)
        self.close_btn.clicked.connect(self.hide)
        lay.addWidget(self.text)
        lay.addWidget(self.open_btn)
        lay.addWidget(self.close_btn)
        self.timer = QTimer(self, singleShot=True, interval=hide_after_ms)
        self.timer.timeout.connect(self.hide)
        self.hide()

    def show_request(self, request: dict[str, Any], tz: str) -> None:
        self.request_id = int(request["id"])
        self.text.setText(booking_text(request, tz))
        self.show()
        self.timer.start()

    def open_inbox(self) -> None:
        if self.request_id is not None:
            self._open(self.request_id)
        self.hide()
