"""Edit a customer's contact details from an appointment card: name, mobile phone and email (messages about every
visit go to them). The job site stays with each job (Edit job…)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from models.phones import display
from services.api_client import ApiClient
from widgets.patch_form import PatchForm


class CustomerEditor(PatchForm):
    """`saved` carries the customer as the server answered; only changed fields are sent."""

    def __init__(self, api: ApiClient, customer: dict[str, Any], *, country: str = "US",
                 parent: QWidget | None = None):
        shown = {**customer, "phone": display(customer.get("phone") or "", country) if customer.get("phone") else ""}
        super().__init__(api, shown, lambda body: api.patch_customer(int(customer["id"]), **body),
                         title=f"Edit customer — {customer.get('name')}", save_text="Save", parent=parent)
        self.name = self.line("name", "&Name", "As the portal, messages and the board show it", required=True)
        self.phone = self.line("phone", "&Mobile phone", "Text messages about their visits go here")
        self.email = self.line("email", "&Email", "Emails about their visits go here; a phone or an email is "
                                                  "needed")
