"""Add or edit one technician: contact details, the field-app sign-in (email and password) and the vehicle the
customer's tracker describes."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit, QSpinBox, QWidget

from services.api_client import ApiClient, ApiError
from widgets.patch_form import PatchForm

NO_YEAR = 1949  # the spin box's "not set"


class TechnicianForm(PatchForm):
    """`tech` None: a new technician. `saved` carries the technician as the server answered."""

    def __init__(self, api: ApiClient, tech: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(api, tech, self._send, title=f"Edit {tech['name']}" if tech else "Add technician",
                         save_text="Add technician" if tech is None else "Save", parent=parent)
        self.tech = tech
        self.name = self.line("name", "&Name", "First and last name, as customers see it", required=True)
        self.phone = self.line("phone", "&Mobile phone", "Call tech and text messages from the board use it")
        self.email = self.line("email", "&Email", "Their field-app sign-in")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.add("password", "Field app &password", self.password,
                 "Leave empty to keep their password; a new one signs their phone out"
                 if (tech or {}).get("can_sign_in") else
                 "At least 8 characters; with it they can sign in to the field app at /field")
        self.year = QSpinBox()
        self.year.setRange(NO_YEAR, 2100)
        self.year.setSpecialValueText("Not set")
        self.year.setValue(int((tech or {}).get("vehicle_year") or NO_YEAR))
        self.add("vehicle_year", "Vehicle &year", self.year)
        self.make = self.line("vehicle_make", "Vehicle ma&ke")
        self.model = self.line("vehicle_model", "Vehicle mo&del")
        self.color = self.line("vehicle_color", "Vehicle &colour",
                               "The tracker tells the customer what to look out for, e.g. White Ford F-150")

    def values(self) -> dict[str, Any]:
        out = {k: v for k, v in super().values().items() if k != "password"}
        out["vehicle_year"] = None if self.year.value() == NO_YEAR else self.year.value()
        if self.password.text():
            out["password"] = self.password.text()
        return out

    def loaded(self, key: str) -> Any:
        if key == "password":
            return None  # a typed password is always sent
        value = super().loaded(key)
        return (value or None) if key == "vehicle_year" else value

    async def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.tech is None:
            return await self.api.create_technician(**body)
        return await self.api.update_technician(int(self.tech["id"]), **body)

    def refused(self, exc: ApiError) -> None:
        super().refused(exc)
        if exc.status == 409:
            self.show_errors([{"field": "email", "message": "Another account signs in with this email; "
                                                             "use a different address"}])
