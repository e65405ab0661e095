"""Job contacts for the appointment card: extra people (tenant, landlord, …) who get this job's notifications."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

CONTACT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def contact_line(c: dict[str, Any]) -> str:
    """One line per contact: who, how to reach them and what they receive."""
    who = c["name"] + (f" ({c['relation']})" if c.get("relation") else "")
    reach = " · ".join(x for x in (c.get("phone", ""), c.get("email", "")) if x)
    gets = [k for k, on in (("texts", c.get("notify_sms") and c.get("phone")),
                            ("emails", c.get("notify_email") and c.get("email"))) if on]
    return f"{who} — {reach}" + (f" — gets {' and '.join(gets)}" if gets else " — no notifications")


class JobContacts(QWidget):
    """List, add and remove a job's contacts; every change goes through the API (audited there)."""

    countChanged = Signal(int)

    def __init__(self, api: ApiClient, parent: QWidget | None = None):
        super().__init__(parent)
        self.api = api
        self.job_id: int | None = None
        self.tasks = TaskSet()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.model = QStandardItemModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.setUniformItemSizes(True)
        self.view.setAccessibleName("Job contacts")
        self.empty = QLabel("Only the customer gets this job's notifications.", objectName="Muted")
        lay.addWidget(self.empty)
        lay.addWidget(self.view)
        form = QFormLayout()
        self.name = QLineEdit(placeholderText="e.g. Pat Landlord")
        self.relation = QLineEdit(placeholderText="e.g. landlord, tenant, property manager")
        self.phone = QLineEdit(placeholderText="+1 512 555 0100")
        self.email = QLineEdit(placeholderText="name@example.com")
        self.sms = QCheckBox("Texts", checked=True)
        self.mail = QCheckBox("Emails", checked=True)
        gets = QHBoxLayout()
        gets.addWidget(self.sms)
        gets.addWidget(self.mail)
        gets.addStretch(1)
        form.addRow("Name", self.name)
        form.addRow("Relation", self.relation)
        form.addRow("Phone", self.phone)
        form.addRow("Email", self.email)
        form.addRow("Receives", gets)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.add_btn = QPushButton("Add contact")
        self.add_btn.clicked.connect(self.add)
        self.remove_btn = QPushButton("Remove selected")
        self.remove_btn.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_btn)
        buttons.addWidget(self.remove_btn)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.message = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        lay.addWidget(self.message)
        self._set_rows([])

    def set_job(self, job_id: int) -> None:
        if job_id == self.job_id:
            return
        self.job_id = job_id
        self.tasks.spawn(self._load(job_id))

    async def _load(self, job_id: int) -> None:
        try:
            rows = await self.api.job_contacts(job_id)
        except ApiError as exc:
            self._say(f"Couldn't load the job contacts: {exc.message}", error=True)
            return
        if job_id == self.job_id:
            self._set_rows(rows)

    def _set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.model.clear()
        for c in rows:
            item = QStandardItem(contact_line(c))
            item.setData(c["id"], CONTACT_ID_ROLE)
            self.model.appendRow(item)
        row_h = max(self.view.sizeHintForRow(0), self.fontMetrics().height() + 6) if rows else 0
        self.view.setFixedHeight(min(len(rows), 4) * row_h + 6)
        self.empty.setVisible(not rows)
        self.view.setVisible(bool(rows))
        self.remove_btn.setEnabled(bool(rows))
        self.countChanged.emit(len(rows))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet("color:#B4461B;" if error else "")
        self.message.setText(text)

    def add(self) -> None:
        if self.job_id is None:
            return
        fields = {"name": self.name.text().strip(), "relation": self.relation.text().strip(),
                  "phone": self.phone.text().strip(), "email": self.email.text().strip(),
                  "notify_sms": self.sms.isChecked(), "notify_email": self.mail.isChecked()}
        if not fields["name"]:
            self._say("Type the contact's name first.", error=True)
            self.name.setFocus()
            return
        self.tasks.spawn(self._add(self.job_id, fields))

    async def _add(self, job_id: int, fields: dict[str, Any]) -> None:
        self.add_btn.setEnabled(False)
        try:
            made = await self.api.add_job_contact(job_id, **fields)
        except ApiError as exc:
            self._say(f"Couldn't add {fields['name']}: {exc.message}", error=True)
            return
        finally:
            self.add_btn.setEnabled(True)
        for w in (self.name, self.relation, self.phone, self.email):
            w.clear()
        self._say(f"Added {made['name']}: they now receive this job's notifications and can open it with their "
                  "own portal link.")
        await self._load(job_id)

    def remove_selected(self) -> None:
        idx = self.view.currentIndex()
        if self.job_id is None or not idx.isValid():
            self._say("Select the contact to remove first.", error=True)
            return
        self.tasks.spawn(self._remove(self.job_id, int(idx.data(CONTACT_ID_ROLE)), idx.data()))

    async def _remove(self, job_id: int, contact_id: int, label: str) -> None:
        self.remove_btn.setEnabled(False)
        try:
            await self.api.remove_job_contact(job_id, contact_id)
        except ApiError as exc:
            self._say(f"Couldn't remove the contact: {exc.message}", error=True)
            self.remove_btn.setEnabled(True)
            return
        self._say(f"Removed {label.split(' — ')[0]}; they no longer receive this job's notifications.")
        await self._load(job_id)
