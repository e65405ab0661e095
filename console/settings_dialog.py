"""Settings dialog: company profile, customer portal, notifications and map/ETA (admins change, others read)."""

from __future__ import annotations

import base64
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.secrets import SERVICE, TokenStore
from widgets.form_field import field_box
from widgets.tasks import TaskSet

log = logging.getLogger(__name__)

TIME_ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
              "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Toronto", "Europe/London"]
SECRET_LABELS = {"twilio_auth_token": "Twilio auth token", "smtp_password": "SMTP password",
                 "vapid_private_key": "VAPID private key", "google_api_key": "Google Maps API key",
                 "mapbox_token": "Mapbox access token"}


class SettingsDialog(QDialog):
    """Edits GET/PATCH /api/v1/settings. Errors appear next to their field; nothing is half-saved."""

    saved = Signal(dict)

    def __init__(self, api: Any, *, is_admin: bool, parent: QWidget | None = None, secrets: TokenStore | None = None):
        super().__init__(parent)
        self.api, self.is_admin = api, is_admin
        self.secrets = secrets or TokenStore()
        self.setWindowTitle("Settings")
        self.resize(760, 700)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.loaded: dict[str, Any] = {}
        self.logo_b64: str | None = None

        root = QVBoxLayout(self)
        self.banner = QLabel("Only administrators can change company-wide settings. You can read them here.")
        self.banner.setObjectName("readOnlyBanner")
        self.banner.setStyleSheet("background:#fff4d6;color:#7a4b00;padding:8px;border-radius:6px;")
        self.banner.setVisible(not is_admin)
        root.addWidget(self.banner)
        self.tabs = QTabWidget()
        root.addWidget(self.tabs, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.tasks = TaskSet(self.status.setText)
        root.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(is_admin)
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)
        self._build_company()
        self._build_portal()
        self._build_notifications()
        self._build_map()
        for w in self.fields.values():
            w.setEnabled(is_admin)

    # --- building ------------------------------------------------------------------------------------------
    def _form(self, title: str) -> QFormLayout:
        page = QWidget()
        form = QFormLayout(page)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.tabs.addTab(page, title)
        return form

    def _add(self, form: QFormLayout, key: str, label: str, widget: QWidget, hint: str = "") -> None:
        box, err = field_box(widget, hint)
        self.fields[key], self.errors[key] = widget, err
        form.addRow(label, box)

    def _build_company(self) -> None:
        f = self._form("Company")
        self._add(f, "name", "Company name", QLineEdit())
        self._add(f, "phone", "Office phone", QLineEdit(), "Shown on the tracker's Call button and in texts.")
        self._add(f, "email", "Office email", QLineEdit())
        tz = QComboBox()
        tz.setEditable(True)
        tz.addItems(TIME_ZONES)
        self._add(f, "time_zone", "Time zone", tz, "Schedule, texts and the portal use this time zone.")
        logo_row = QWidget()
        h = QHBoxLayout(logo_row)
        h.setContentsMargins(0, 0, 0, 0)
        self.logo_preview = QLabel("No logo")
        self.logo_preview.setFixedSize(64, 64)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border:1px solid #dde3ea;border-radius:8px;")
        choose = QPushButton("Choose image…")
        choose.clicked.connect(self._choose_logo)
        h.addWidget(self.logo_preview)
        h.addWidget(choose)
        h.addStretch(1)
        self._add(f, "logo", "Logo", logo_row, "Shown in the portal, the tracker and emails.")

    def _build_portal(self) -> None:
        f = self._form("Customer portal")
        self._add(f, "booking_enabled", "Online booking", QCheckBox("Customers may request service online"),
                  "Default for every customer; switch it per customer on the customer's record.")
        services = QListWidget()
        services.setMinimumHeight(140)
        row = QWidget()
        v = QVBoxLayout(row)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(services)
        add_row = QHBoxLayout()
        self.new_service = QLineEdit()
        self.new_service.setPlaceholderText("Add a service, e.g. Water heater flush")
        add_btn = QPushButton("Add")
        rm_btn = QPushButton("Remove selected")
        add_btn.clicked.connect(self._add_service)
        self.new_service.returnPressed.connect(self._add_service)
        rm_btn.clicked.connect(lambda: [services.takeItem(services.row(i)) for i in services.selectedItems()])
        add_row.addWidget(self.new_service, 1)
        add_row.addWidget(add_btn)
        add_row.addWidget(rm_btn)
        v.addLayout(add_row)
        self.services_list = services
        self._add(f, "bookable_services", "Bookable services", row)
        self.fields["bookable_services_buttons"] = add_btn
        self.fields["bookable_services_rm"] = rm_btn
        self.fields["bookable_services_input"] = self.new_service
        self._add(f, "free_text_services", "Free-text requests", QCheckBox("Allow services not on the list"))
        survey = QComboBox()
        survey.addItem("5-star rating", "stars")
        survey.addItem("10-point NPS", "nps")
        self._add(f, "survey_type", "Survey after a visit", survey)
        self._add(f, "survey_categories", "Survey categories", QLineEdit(), "Comma-separated.")
        self._add(f, "show_bios", "Technician bios", QCheckBox("Show approved bios to customers"))
        self._add(f, "payment_instructions", "How to pay (no online payment)", QLineEdit())

    def _build_notifications(self) -> None:
        f = self._form("Notifications")
        self._add(f, "text_customer_on_reschedule", "Text the customer by default", QCheckBox(
            "when a visit is rescheduled"))
        self._add(f, "text_customer_on_reassign", "", QCheckBox("when a visit gets another technician"),
                  "The console asks each time a visit moves; this is its suggested answer. Technicians are always "
                  "told.")
        sms = QComboBox()
        sms.addItem("Off (log only)", "log")
        sms.addItem("Twilio", "twilio")
        self._add(f, "sms_provider", "SMS", sms)
        self._add(f, "twilio_account_sid", "Twilio account SID", QLineEdit())
        self._add(f, "twilio_from", "Twilio sender number", QLineEdit())
        self._add_secret(f, "twilio_auth_token")
        mail = QComboBox()
        mail.addItem("Off (log only)", "log")
        mail.addItem("SMTP", "smtp")
        self._add(f, "email_provider", "Email", mail)
        self._add(f, "smtp_host", "SMTP host", QLineEdit())
        port = QSpinBox()
        port.setRange(1, 65535)
        self._add(f, "smtp_port", "SMTP port", port)
        self._add(f, "smtp_user", "SMTP user", QLineEdit())
        self._add(f, "smtp_from", "From address", QLineEdit())
        self._add(f, "smtp_starttls", "Encryption", QCheckBox("Use STARTTLS"))
        self._add_secret(f, "smtp_password")
        self._add(f, "push_enabled", "Web Push", QCheckBox("Send push notifications to the portal app"))
        self._add(f, "vapid_public_key", "VAPID public key", QLineEdit())
        self._add_secret(f, "vapid_private_key")
        test = QWidget()
        h = QHBoxLayout(test)
        h.setContentsMargins(0, 0, 0, 0)
        self.test_channel = QComboBox()
        self.test_channel.addItem("SMS", "sms")
        self.test_channel.addItem("Email", "email")
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText("+15125550100 or you@company.com")
        self.test_btn = QPushButton("Send test")
        self.test_btn.clicked.connect(self._on_test)
        h.addWidget(self.test_channel)
        h.addWidget(self.test_to, 1)
        h.addWidget(self.test_btn)
        self._add(f, "test", "Try it", test, "Sends one message now through the saved settings.")

    def _add_secret(self, f: QFormLayout, key: str) -> None:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText("not set")
        self._add(f, key, SECRET_LABELS[key], edit, "Stored in your OS keyring and sent to the server; never shown.")

    def _build_map(self) -> None:
        f = self._form("Map && ETA")
        self._add(f, "tile_url", "Map tiles URL", QLineEdit(), "e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        eta = QComboBox()
        eta.addItem("Offline estimate (no service)", "offline")
        eta.addItem("OSRM route service", "osrm")
        eta.addItem("Google Distance Matrix (traffic)", "google")
        self._add(f, "eta_provider", "ETA provider", eta)
        self._add(f, "osrm_url", "OSRM base URL", QLineEdit())
        self._add_secret(f, "google_api_key")
        factor = QDoubleSpinBox()
        factor.setRange(1.0, 3.0)
        factor.setSingleStep(0.05)
        self._add(f, "eta_road_factor", "Road factor", factor, "Streets are longer than a straight line.")
        speed = QDoubleSpinBox()
        speed.setRange(5, 130)
        speed.setSuffix(" km/h")
        self._add(f, "eta_urban_speed_kmh", "Average urban speed", speed)
        radius = QDoubleSpinBox()
        radius.setRange(20, 1000)
        radius.setSuffix(" m")
        self._add(f, "geofence_radius_m", "Arrival geofence radius", radius, "300 ft = 91.44 m.")
        acc = QDoubleSpinBox()
        acc.setRange(5, 1000)
        acc.setSuffix(" m")
        self._add(f, "gps_max_accuracy_m", "Ignore GPS fixes worse than", acc)
        late = QSpinBox()
        late.setRange(5, 240)
        late.setSuffix(" min")
        self._add(f, "late_threshold_min", "LATE after window start", late)
        self._build_geocoder(f)

    def _build_geocoder(self, f: QFormLayout) -> None:
        """Where addresses become map pins (a dispatcher can always place the pin by hand)."""
        geo = QComboBox()
        geo.addItem("None (place pins on the map by hand)", "none")
        geo.addItem("Nominatim (OpenStreetMap; public or your own server)", "nominatim")
        geo.addItem("Google Geocoding (uses the Google key above)", "google")
        geo.addItem("Mapbox Geocoding", "mapbox")
        self._add(f, "geocoder", "Address lookup", geo, "Turns typed addresses into map pins for new jobs.")
        self._add(f, "nominatim_url", "Nominatim server", QLineEdit(),
                  "The public server allows one lookup per second (answers are cached).")
        self._add(f, "geocoder_email", "Contact for Nominatim", QLineEdit(), "Sent with lookups, as its policy asks.")
        self._add_secret(f, "mapbox_token")
        self._add(f, "country", "Country", QLineEdit(), "Two letters, e.g. US: phone numbers and lookups follow it.")

    # --- values ---------------------------------------------------------------------------------------------
    def _get(self, key: str) -> Any:
        w = self.fields[key]
        if key == "bookable_services":
            return [self.services_list.item(i).text() for i in range(self.services_list.count())]
        if key == "survey_categories":
            return [x.strip() for x in w.text().split(",") if x.strip()]  # type: ignore[attr-defined]
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData() if w.currentData() is not None else w.currentText().strip()
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QDoubleSpinBox):
            return round(w.value(), 2)
        if isinstance(w, QLineEdit):
            return w.text().strip()
        return None

    def _set(self, key: str, value: Any) -> None:
        w = self.fields.get(key)
        if w is None:
            return
        if key == "bookable_services":
            self.services_list.clear()
            for s in value or []:
                self.services_list.addItem(QListWidgetItem(s))
        elif key == "survey_categories":
            w.setText(", ".join(value or []))  # type: ignore[attr-defined]
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            i = w.findData(value)
            if i < 0:
                i = w.findText(str(value))
            if i < 0 and w.isEditable():
                w.addItem(str(value))
                i = w.count() - 1
            w.setCurrentIndex(max(0, i))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value or 0))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value or 0))
        elif isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))

    def fill(self, data: dict[str, Any]) -> None:
        """Show what the server holds (secrets only as 'saved')."""
        self.loaded = data
        for key, value in data.items():
            if key in self.fields and key not in SECRET_LABELS:
                self._set(key, value)
        for key in SECRET_LABELS:
            edit = self.fields[key]
            assert isinstance(edit, QLineEdit)
            edit.clear()
            edit.setPlaceholderText("saved — type to replace" if data.get("secrets_set", {}).get(key) else "not set")
        self.logo_preview.setText("Logo set" if data.get("has_logo") else "No logo")

    def changes(self) -> dict[str, Any]:
        """Only what the dispatcher changed (plus any newly typed secret)."""
        out: dict[str, Any] = {}
        for key in self.loaded:
            if key in self.fields and key not in SECRET_LABELS and key not in ("logo", "test"):
                value = self._get(key)
                if value != self.loaded.get(key):
                    out[key] = value
        for key in SECRET_LABELS:
            text = self._get(key)
            if text:
                out[key] = text
        return out

    def show_errors(self, details: list[dict[str, str]]) -> None:
        for lbl in self.errors.values():
            lbl.setVisible(False)
        first = None
        for d in details:
            lbl = self.errors.get(d.get("field", ""))
            if lbl is not None:
                lbl.setText(d.get("message", ""))
                lbl.setVisible(True)
                first = first or lbl
        if first is not None:  # bring the first problem into view
            for i in range(self.tabs.count()):
                if self.tabs.widget(i).isAncestorOf(first):
                    self.tabs.setCurrentIndex(i)
                    break

    # --- actions --------------------------------------------------------------------------------------------
    async def load(self) -> None:
        self.status.setText("Loading settings…")
        try:
            self.fill(await self.api.get_settings())
            self.status.setText("")
        except Exception as exc:
            self.status.setText(f"Could not load the settings: {exc}")

    def _add_service(self) -> None:
        text = self.new_service.text().strip()
        if text:
            self.services_list.addItem(text)
            self.new_service.clear()

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a logo", "", "Images (*.png *.jpg *.jpeg *.webp)")
        if path:
            with open(path, "rb") as fh:
                self.logo_b64 = base64.b64encode(fh.read()).decode()
            self.logo_preview.setPixmap(QPixmap(path).scaled(60, 60, Qt.AspectRatioMode.KeepAspectRatio,
                                                             Qt.TransformationMode.SmoothTransformation))

    def start(self) -> None:
        """Load the settings in the background (the dialog is already open)."""
        self.tasks.spawn(self.load(), "load the settings")

    def _on_save(self) -> None:
        self.tasks.spawn(self.save(), "save the settings")

    def _on_test(self) -> None:
        self.tasks.spawn(self.send_test(), "send a test message")

    def done(self, result: int) -> None:
        self.tasks.cancel()
        super().done(result)

    async def save(self) -> bool:
        """Validate on the server, show errors next to fields; True when saved."""
        changes = self.changes()
        if not changes and not self.logo_b64:
            self.status.setText("Nothing to save.")
            return True
        save_btn = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save_btn.setEnabled(False)
        self.status.setText("Saving…")
        try:
            if changes:
                data = await self.api.patch_settings(changes)
                for key in SECRET_LABELS:
                    if key in changes:
                        self._keep_secret(key, changes[key])
                self.fill(data)
            if self.logo_b64:
                await self.api.put_logo(self.logo_b64)
                self.logo_b64 = None
            self.show_errors([])
            self.status.setText("Saved. Other consoles see the change right away.")
            self.saved.emit(changes)
            return True
        except Exception as exc:
            details = getattr(exc, "field_errors", [])
            self.show_errors(details)
            self.status.setText(f"Not saved: {exc}")
            return False
        finally:
            save_btn.setEnabled(self.is_admin)

    def _keep_secret(self, key: str, value: str) -> None:
        """Keep a copy of a secret in the OS keyring (never in a settings file)."""
        import keyring

        try:
            keyring.set_password(SERVICE, f"setting:{self.api.base_url}:{key}", value)
        except Exception as exc:  # no keyring: the server has it; say nothing is stored locally
            log.info("secret %s not kept locally: %s", key, exc)

    async def send_test(self) -> None:
        self.test_btn.setEnabled(False)
        self.status.setText("Sending a test message…")
        try:
            res = await self.api.test_notification(self.test_channel.currentData(), self.test_to.text().strip())
            if res.get("status") == "sent":
                self.status.setText(f"Test sent through {res.get('provider')}.")
            else:
                self.status.setText(f"Test not sent ({res.get('status')}): {res.get('error') or 'no reason given'}")
        except Exception as exc:
            self.show_errors(getattr(exc, "field_errors", []))
            self.status.setText(f"Test failed: {exc}")
        finally:
            self.test_btn.setEnabled(self.is_admin)
