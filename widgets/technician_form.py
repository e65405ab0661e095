"""Add or edit one technician: contact details, the field-app sign-in (email and password) and the vehicle the
customer's tracker describes. Only changed fields are sent; the server's errors appear under their fields."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from services.api_client import ApiClient, ApiError
from widgets.form_field import field_box
from widgets.tasks import TaskSet

NO_YEAR = 1949  # the spin box's "not set"
TEXT_FIELDS = ("name", "phone", "email", "vehicle_make", "vehicle_model", "vehicle_color")


class TechnicianForm(QDialog):
    """`tech` None: a new technician. `saved` carries the technician as the server answered."""

    saved = Signal(dict)

    def __init__(self, api: ApiClient, tech: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.tech = api, tech
        self.tasks = TaskSet(self._say)
        self.setWindowTitle(f"Edit {tech['name']}" if tech else "Add technician")
        self.setMinimumWidth(460)
        root = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        root.addLayout(form)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        t = tech or {}
        self.name = self._line(form, "name", "&Name", t.get("name", ""), "First and last name, as customers see it")
        self.phone = self._line(form, "phone", "&Mobile phone", t.get("phone", ""),
                                "Call tech and text messages from the board use it")
        self.email = self._line(form, "email", "&Email", t.get("email", ""), "Their field-app sign-in")
        self.password = self._line(form, "password", "Field app &password", "",
                                   "Leave empty to keep their password; a new one signs their phone out"
                                   if t.get("can_sign_in") else
                                   "At least 8 characters; with it they can sign in to the field app at /field")
        self.password.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.year = QSpinBox()
        self.year.setRange(NO_YEAR, 2100)
        self.year.setSpecialValueText("Not set")
        self.year.setValue(int(t.get("vehicle_year") or NO_YEAR))
        self._add(form, "vehicle_year", "Vehicle &year", self.year, "")
        self.make = self._line(form, "vehicle_make", "Vehicle ma&ke", t.get("vehicle_make", ""), "")
        self.model = self._line(form, "vehicle_model", "Vehicle mo&del", t.get("vehicle_model", ""), "")
        self.color = self._line(form, "vehicle_color", "Vehicle &colour", t.get("vehicle_color", ""),
                                "The tracker tells the customer what to look out for, e.g. White Ford F-150")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #B42318;")
        root.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_btn = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_btn.setText("Add technician" if tech is None else "Save")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)
        self.name.textChanged.connect(lambda: self.save_btn.setEnabled(bool(self.name.text().strip())))
        self.save_btn.setEnabled(bool(self.name.text().strip()))

    # --- building ---------------------------------------------------------------------------------------
    def _line(self, form: QFormLayout, key: str, label: str, value: str, hint: str) -> QLineEdit:
        edit = QLineEdit(value)
        edit.setClearButtonEnabled(True)
        self._add(form, key, label, edit, hint)
        return edit

    def _add(self, form: QFormLayout, key: str, label: str, widget: QWidget, hint: str) -> None:
        box, err = field_box(widget, hint)
        self.fields[key], self.errors[key] = widget, err
        form.addRow(label, box)

    # --- values -----------------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Everything the form says (password only when typed)."""
        out: dict[str, Any] = {k: w.text().strip() for k, w in self.fields.items()  # type: ignore[attr-defined]
                               if k in TEXT_FIELDS}
        out["vehicle_year"] = None if self.year.value() == NO_YEAR else self.year.value()
        if self.password.text():
            out["password"] = self.password.text()
        return out

    def changes(self) -> dict[str, Any]:
        """What to send: all of it for a new technician, else only what differs from what was loaded."""
        vals = self.values()
        if self.tech is None:
            return {k: v for k, v in vals.items() if v not in ("", None)}
        return {k: v for k, v in vals.items() if k == "password" or v != (self.tech.get(k) if k != "vehicle_year"
                                                                           else self.tech.get(k) or None)}

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

    def submit(self) -> None:
        body = self.changes()
        if not body:
            self.accept()  # nothing changed
            return
        self.tasks.spawn(self.save(body), "save the technician")

    async def save(self, body: dict[str, Any]) -> None:
        self.save_btn.setEnabled(False)
        self._say("Saving…")
        try:
            if self.tech is None:
                tech = await self.api.create_technician(**body)
            else:
                tech = await self.api.update_technician(int(self.tech["id"]), **body)
        except ApiError as exc:
            self.show_errors(exc.field_errors)
            if exc.status == 409:
                self.show_errors([{"field": "email", "message": "Another account signs in with this email; "
                                                                 "use a different address"}])
            self._say(f"Not saved: {exc.message}" if exc.status else
                      "Not saved: the server can't be reached. Check the connection and try again.")
            self.save_btn.setEnabled(True)
            return
        self.saved.emit(tech)
        self.accept()

    def done(self, result: int) -> None:
        self.tasks.cancel()
        super().done(result)
