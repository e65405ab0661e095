"""Find a customer by name, phone or address (with their past and upcoming visits), or create one inline."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from models.phones import search_digits
from models.timefmt import day_time, parse_iso
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

DEBOUNCE_MS = 250


def visits_line(c: dict[str, Any], tz: str) -> str:
    """'Next: Thu, Dec 3, 9:00 AM · Tune-up · Elena Torres — 4 past visits, last Tue, Nov 24' (or 'No visits yet')."""
    v = c.get("visits") or {}
    parts = []
    if v.get("next"):
        n = v["next"][0]
        who = n.get("technician_name") or "Unassigned"
        more = f" (+{v['upcoming'] - 1} more)" if v.get("upcoming", 0) > 1 else ""
        parts.append(f"Next: {day_time(parse_iso(n['window_start']), tz)} · {n['service_type']} · {who}{more}")
    if v.get("recent"):
        last = v["recent"][0]
        count = v.get("past", 0)
        parts.append(f"{count} past visit{'s' if count != 1 else ''}, last "
                     f"{day_time(parse_iso(last['window_start']), tz).rsplit(',', 1)[0]} ({last['service_type']})")
    return " — ".join(parts) or "No visits yet"


def address_of(c: dict[str, Any]) -> str:
    tail = " ".join(x for x in (c.get("state", ""), c.get("zip", "")) if x)
    return ", ".join(x for x in (c.get("address", ""), c.get("city", ""), tail) if x)


class CustomerPicker(QWidget):
    """The customer part of the New appointment dialog. `changed` fires when the choice or the form changes."""

    changed = Signal()

    def __init__(self, api: ApiClient, time_zone: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.tz = api, time_zone
        self.tasks = TaskSet()
        self.selected: dict[str, Any] | None = None
        self.creating = False
        self.searches = 0  # answered searches (tests wait on it)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Type a name, phone number or address…")
        self.search.setAccessibleName("Find the customer")
        self.search.setClearButtonEnabled(True)
        self.search.textEdited.connect(self._on_typed)
        self.new_btn = QPushButton("New customer")
        self.new_btn.setToolTip("Create the customer here; they are saved with the appointment")
        self.new_btn.clicked.connect(lambda: self.set_creating(True))
        row.addWidget(self.search, 1)
        row.addWidget(self.new_btn)
        lay.addLayout(row)
        self.results = QListWidget()
        self.results.setAccessibleName("Matching customers")
        self.results.setAlternatingRowColors(True)
        self.results.setWordWrap(True)
        self.results.setMinimumHeight(150)
        self.results.currentItemChanged.connect(self._on_pick)
        lay.addWidget(self.results, 1)
        self.hint = QLabel("", objectName="Muted", wordWrap=True)
        lay.addWidget(self.hint)
        self.form = QWidget()
        f = QFormLayout(self.form)
        f.setContentsMargins(0, 4, 0, 0)
        self.fields = {k: QLineEdit() for k in ("name", "phone", "email", "address", "city", "state", "zip")}
        self.fields["phone"].setPlaceholderText("(512) 555-0100")
        self.fields["email"].setPlaceholderText("name@example.com")
        self.fields["address"].setPlaceholderText("Street and number")
        place = QHBoxLayout()
        for k, w in (("city", 3), ("state", 1), ("zip", 1)):
            self.fields[k].setPlaceholderText(k.upper() if k != "city" else "City")
            place.addWidget(self.fields[k], w)
        for label, key in (("Name", "name"), ("Phone", "phone"), ("Email", "email"), ("Address", "address")):
            f.addRow(label, self.fields[key])
        f.addRow("", place)
        back = QPushButton("Find an existing customer instead")
        back.setFlat(True)
        back.clicked.connect(lambda: self.set_creating(False))
        f.addRow("", back)
        for w in self.fields.values():
            w.textEdited.connect(lambda _=None: self.changed.emit())
        lay.addWidget(self.form)
        self.form.setVisible(False)
        self.filler = QWidget()  # takes the list's room while the new-customer form shows
        self.filler.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.filler.setVisible(False)
        lay.addWidget(self.filler, 1)
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(lambda: self.tasks.spawn(self.run_search(self.search.text().strip())))
        self._say_idle()

    def _say_idle(self) -> None:
        self.hint.setText("Results show each customer's upcoming and past visits.")

    # --- searching ---------------------------------------------------------------------------------------
    def _on_typed(self, _text: str) -> None:
        self.timer.start()

    async def run_search(self, q: str) -> None:
        if len(q) < 2:
            self.results.clear()
            self._say_idle()
            return
        try:
            found = await self.api.customers(q, limit=25)
        except ApiError as exc:
            self.hint.setText(f"Couldn't search customers: {exc.message}")
            return
        if q != self.search.text().strip():
            return  # the dispatcher kept typing; a newer search follows
        self.results.clear()
        for c in found:
            phone = c.get("phone_display") or c.get("phone") or c.get("email") or ""
            item = QListWidgetItem(f"{c['name']} · {phone}\n{address_of(c) or 'No address on file'}\n"
                                   f"{visits_line(c, self.tz)}")
            item.setData(Qt.ItemDataRole.UserRole, c)
            self.results.addItem(item)
        self.searches += 1
        self.hint.setText(f"No customer matches “{q}”. Use New customer to add them." if not found else
                          f"{len(found)} customer{'s' if len(found) != 1 else ''} found — pick one.")

    def _on_pick(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        if item is None:
            return
        self.selected = item.data(Qt.ItemDataRole.UserRole)
        self.set_creating(False)
        self.hint.setText(f"Booking for {self.selected['name']}.")
        self.changed.emit()

    def choose(self, customer: dict[str, Any]) -> None:
        """Pick a customer directly (e.g. a follow-up on the same job)."""
        item = QListWidgetItem(f"{customer['name']}\n{address_of(customer)}")
        item.setData(Qt.ItemDataRole.UserRole, customer)
        self.results.clear()
        self.results.addItem(item)
        self.results.setCurrentItem(item)

    # --- creating ----------------------------------------------------------------------------------------
    def set_creating(self, on: bool) -> None:
        if on == self.creating and self.form.isVisible() == on:
            return
        self.creating = on
        self.form.setVisible(on)
        self.filler.setVisible(on)
        self.results.setVisible(not on)
        if on:
            self.selected = None
            self.results.clearSelection()
            typed = self.search.text().strip()
            if typed and not any(w.text() for w in self.fields.values()):
                self.fields["phone" if search_digits(typed) else "name"].setText(typed)
            self.hint.setText("The new customer is saved with the appointment.")
            self.fields["name"].setFocus()
        else:
            self._say_idle()
        self.changed.emit()

    def new_customer(self) -> dict[str, Any]:
        return {k: w.text().strip() for k, w in self.fields.items()}

    # --- what the dialog needs -----------------------------------------------------------------------------
    def problem(self) -> str | None:
        """What is missing, in words, or None."""
        if self.creating:
            c = self.new_customer()
            if not c["name"]:
                return "Type the new customer's name."
            if not c["phone"] and not c["email"]:
                return "Give the new customer a phone number or an email so they can be reached."
            return None
        return None if self.selected else "Find the customer, or create a new one."

    def address(self) -> str:
        return address_of(self.new_customer() if self.creating else (self.selected or {}))

    def coords(self) -> tuple[float, float] | None:
        c = self.selected if not self.creating else None
        if c and c.get("lat") is not None and c.get("lng") is not None:
            return float(c["lat"]), float(c["lng"])
        return None
