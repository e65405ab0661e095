"""Process settings; each can be set as an environment variable DISPATCH_<NAME>."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Backend settings. Company-wide knobs editable from the console live in the `company` table."""

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    db_url: str = "sqlite:///dispatch.db"
    public_url: str = ""  # base URL used in links sent to customers; defaults to the listening address
    #: Where the console's embedded backend listens. Loopback by default; 0.0.0.0 opens it to the office network
    #: on purpose (then set public_url to the HTTPS address of a reverse proxy so phones can pair).
    embedded_host: str = "127.0.0.1"
    embedded_port: int = 0  # 0: any free port; give a fixed one when a reverse proxy forwards to it
    token_ttl_hours: int = 24 * 14
    watchdog_interval_s: float = 30.0
    outbox_interval_s: float = 2.0
    late_threshold_min: int = 30
    geofence_radius_m: float = 91.44
    gps_max_accuracy_m: float = 100.0
    position_retention_days: int = 30
    event_retention_days: int = 7
    eta_provider: str = "offline"  # offline | osrm | google
    eta_road_factor: float = 1.35
    eta_urban_speed_kmh: float = 35.0
    osrm_url: str = "http://router.project-osrm.org"
    google_api_key: str = ""
    google_maps_url: str = "https://maps.googleapis.com"
    sms_provider: str = "log"  # log | twilio
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_base_url: str = "https://api.twilio.com"
    email_provider: str = "log"  # log | smtp
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "dispatch@localhost"
    smtp_starttls: bool = False
    vapid_private_key: str = ""
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:dispatch@localhost"
    # The console's default answer to "Text the customer about this change?" (also used when an API client
    # does not say), per kind of change.
    text_customer_on_reschedule: bool = True
    text_customer_on_reassign: bool = True
    stripe_api_key: str = ""
    stripe_base_url: str = "https://api.stripe.com"
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    country: str = "US"  # phone numbers are shown as written there; geocoding prefers it
    geocoder: str = "none"  # none | nominatim | google | mapbox
    nominatim_url: str = "https://nominatim.openstreetmap.org"
    geocoder_email: str = ""  # contact sent to Nominatim (its usage policy asks for one)
    mapbox_token: str = ""
    mapbox_url: str = "https://api.mapbox.com"
    run_background_jobs: bool = True
    magic_link_ttl_min: int = 15
    portal_session_days: int = 30
    preview_ttl_min: int = 10
    # Sign-in throttle: wrong passwords allowed per account / per client address before a lock; each later
    # failure doubles the lock, from login_lock_s up to login_max_lock_s; a key quiet for an hour starts over.
    login_account_attempts: int = 5
    login_address_attempts: int = 20
    login_lock_s: float = 30.0
    login_max_lock_s: float = 900.0
    max_image_pixels: int = 60_000_000  # an uploaded image declaring more pixels is refused before decoding
