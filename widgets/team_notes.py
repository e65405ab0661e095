"""Notes from the team on the appointment card: technicians' notes from the field app and dispatchers' own.

Staff only — never shown to the customer. A dispatcher's note is read by the technician in the field app.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet


def note_html(n: dict[str, Any]) -> str:
    who = escape(n.get("author_name") or "Someone")
    role = f" ({escape(n['author_role'])})" if n.get("author_role") else ""
    return (f"<p><span style='color:#5b6776'>{escape(n.get('time_text') or '')} — <b>{who}</b>{role}</span><br>"
            f"{escape(n.get('text') or '')}</p>")


class TeamNotes(QWidget):
    countChanged = Signal(int)

    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.appt_id: int | None = None
        self.notes: list[dict[str, Any]] = []
        self.tasks = TaskSet()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QLabel("Loading…", wordWrap=True, objectName="TeamNotes", textFormat=Qt.TextFormat.RichText)
        self.list.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.edit = QLineEdit(placeholderText="A note for the technician (they see it in the field app)")
        self.edit.returnPressed.connect(self.add)
        self.add_btn = QPushButton("Add note")
        self.add_btn.clicked.connect(self.add)
        row.addWidget(self.edit, 1)
        row.addWidget(self.add_btn)
        lay.addLayout(row)
        self.message = QLabel(wordWrap=True)
        self.message.hide()
        lay.addWidget(self.message)

    def set_appointment(self, appt_id: int) -> None:
        self.appt_id = appt_id
        self.tasks.spawn(self._load(appt_id))

    async def _load(self, appt_id: int) -> None:
        try:
            notes = await self.api.team_notes(appt_id)
        except ApiError as exc:
            self._say(f"Couldn't load the notes: {exc.message}")
            return
        if appt_id == self.appt_id:
            self.show_notes(notes)

    def show_notes(self, notes: list[dict[str, Any]]) -> None:
        self.notes = notes
        self.list.setText("".join(note_html(n) for n in notes) if notes else
                          "<i>No notes yet. Technicians' notes from the field app appear here.</i>")
        self.countChanged.emit(len(notes))

    def add(self) -> None:
        text = self.edit.text().strip()
        if not text or self.appt_id is None:
            self._say("Type the note first.")
            return
        self.tasks.spawn(self._add(self.appt_id, text))

    async def _add(self, appt_id: int, text: str) -> None:
        self.add_btn.setEnabled(False)
        try:
            note = await self.api.add_team_note(appt_id, text)
        except ApiError as exc:
            self._say(f"Couldn't add the note: {exc.message}")
            return
        finally:
            self.add_btn.setEnabled(True)
        self.edit.clear()
        self.message.hide()
        if appt_id == self.appt_id:
            self.show_notes([*self.notes, note])

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
