"""A small edit form for one record: labelled fields with hints, Save sends only what changed (all of it for a
new record), the server's refusal appears under the field it names, and the form stays open until saved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from services.api_client import ApiClient, ApiError
from widgets.form_field import field_box
from widgets.tasks import TaskSet

Send = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class PatchForm(QDialog):
    """Subclasses add fields with `line`/`add` and may extend `values`; `send(body)` saves and returns the record
    as the server answered."""

    saved = Signal(dict)

    def __init__(self, api: ApiClient, record: dict[str, Any] | None, send: Send, *, title: str, save_text: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.record, self.send = api, record, send
        self.tasks = TaskSet(self._say)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        root = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        root.addLayout(self.form)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._required: list[QLineEdit] = []
        self.status = QLabel("", wordWrap=True)
        self.status.setStyleSheet("color: #B42318;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_btn = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_btn.setText(save_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        root.addStretch(0)
        root.addWidget(self.status)
        root.addWidget(self.buttons)

    # --- building ---------------------------------------------------------------------------------------
    def line(self, key: str, label: str, hint: str = "", *, required: bool = False) -> QLineEdit:
        edit = QLineEdit(str((self.record or {}).get(key) or ""))
        edit.setClearButtonEnabled(True)
        self.add(key, label, edit, hint)
        edit.textEdited.connect(lambda _t: self.errors[key].setVisible(False))  # the dispatcher is fixing it
        if required:
            edit.textChanged.connect(self._required_filled)
            self._required.append(edit)
            self._required_filled()
        return edit

    def add(self, key: str, label: str, widget: QWidget, hint: str = "") -> None:
        box, err = field_box(widget, hint)
        self.fields[key], self.errors[key] = widget, err
        self.form.addRow(label, box)

    def _required_filled(self) -> None:
        self.save_btn.setEnabled(all(e.text().strip() for e in self._required))

    # --- values -----------------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """What the form says: every line field's text."""
        return {k: w.text().strip() for k, w in self.fields.items() if isinstance(w, QLineEdit)}

    def changes(self) -> dict[str, Any]:
        """What to send: the filled fields of a new record, else only what differs from what was loaded."""
        vals = self.values()
        if self.record is None:
            return {k: v for k, v in vals.items() if v not in ("", None)}
        return {k: v for k, v in vals.items() if v != self.loaded(k)}

    def loaded(self, key: str) -> Any:
        """The loaded value a field is compared with."""
        return (self.record or {}).get(key)

    # --- saving -----------------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.status.setText(text)

    def show_errors(self, details: list[dict[str, str]]) -> None:
        for lbl in self.errors.values():
            lbl.setVisible(False)
        first: QWidget | None = None
        for d in details:
            lbl = self.errors.get(d.get("field", ""))
            if lbl is not None:
                lbl.setText(d.get("message", "") + ".")
                lbl.setVisible(True)
                first = first or self.fields[d["field"]]
        if first is not None:
            first.setFocus()

    def refused(self, exc: ApiError) -> None:
        """Show a refusal: under the fields it names (subclasses add their own cases)."""
        self.show_errors(exc.field_errors)

    def submit(self) -> None:
        body = self.changes()
        if not body:
            self.accept()  # nothing changed
            return
        self.tasks.spawn(self.save(body), "save")

    async def save(self, body: dict[str, Any]) -> None:
        self.save_btn.setEnabled(False)
        self._say("Saving…")
        try:
            record = await self.send(body)
        except ApiError as exc:
            self.refused(exc)
            named = any(lbl.isVisibleTo(self) for lbl in self.errors.values())
            self._say("Not saved: see the field marked in red." if named else f"Not saved: {exc.message}"
                      if exc.status else "Not saved: the server can't be reached. Check the connection and try "
                                         "again.")
            self.save_btn.setEnabled(True)
            return
        self.saved.emit(record)
        self.accept()

    def done(self, result: int) -> None:
        self.tasks.cancel()
        super().done(result)
