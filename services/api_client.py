"""The console's one HTTP client: typed async methods for the dispatcher API, timeouts, readable errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx

from services.api_dispatch_calls import DispatchCalls, iso

log = logging.getLogger(__name__)

JSON = dict[str, Any]
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ApiError(Exception):
    """An API answer other than success, carrying the API's own message (docs/api.md, Errors).

    `status` 0 means the server could not be reached (network error or timeout).
    """

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    def __str__(self) -> str:
        return self.message

    @property
    def field_errors(self) -> list[dict[str, str]]:
        return [d for d in self.details if isinstance(d, dict)] if isinstance(self.details, list) else []


def error_from_response(resp: httpx.Response) -> ApiError:
    """Build an ApiError from a non-2xx response, whatever its body."""
    try:
        body = resp.json()
        err = body.get("error", {}) if isinstance(body, dict) else {}
    except ValueError:
        err = {}
    message = err.get("message") or f"The server answered {resp.status_code} {resp.reason_phrase}."
    return ApiError(resp.status_code, err.get("code") or "http_error", message, err.get("details"))


class ApiClient(DispatchCalls):
    """One long-lived httpx.AsyncClient for a server and a bearer token.

    `on_unauthorized` callbacks run whenever the server answers 401 (expired or revoked token).
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport,
                                       headers={"User-Agent": "DispatchConsole"})
        self.on_unauthorized: list[Callable[[ApiError], None]] = []
        self.requests_sent = 0  # every request but the event stream (the console benchmark reports it)

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared httpx client (the event stream opens its own connection, read on a thread: stream_reader)."""
        return self._http

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def set_token(self, token: str | None) -> None:
        self.token = token

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None, auth: bool = True,
                      timeout: httpx.Timeout | None = None) -> Any:
        """Send one request; return the decoded JSON (None for 204) or raise ApiError. `timeout`: a longer one
        for slow answers (optimizing a day)."""
        hdrs = dict(self.auth_headers() if auth else {})
        hdrs.update(headers or {})
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        self.requests_sent += 1
        try:
            resp = await self._http.request(method, path, json=json, params=clean or None, headers=hdrs,
                                            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.TimeoutException:
            raise ApiError(0, "timeout", f"The server at {self.base_url} did not answer in time. "
                                         "Check the connection and try again.") from None
        except httpx.HTTPError as exc:
            raise ApiError(0, "network", f"Can't reach the server at {self.base_url} ({exc}).") from None
        if resp.status_code >= 400:
            err = error_from_response(resp)
            if resp.status_code == 401 and auth:
                for cb in list(self.on_unauthorized):
                    cb(err)
            raise err
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    async def get_bytes(self, path: str) -> bytes:
        """GET a binary resource (photos, thumbnails) or raise ApiError."""
        self.requests_sent += 1
        try:
            resp = await self._http.get(path, headers=self.auth_headers())
        except httpx.TimeoutException:
            raise ApiError(0, "timeout", f"The server at {self.base_url} did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise ApiError(0, "network", f"Can't reach the server at {self.base_url} ({exc}).") from None
        if resp.status_code >= 400:
            raise error_from_response(resp)
        return resp.content

    # --- auth and company -------------------------------------------------------------------------------
    async def login(self, email: str, password: str) -> JSON:
        """Sign in; stores the token on success and returns {token, user}."""
        out = await self.request("POST", "/api/v1/auth/login", json={"email": email, "password": password},
                                 auth=False)
        self.token = out["token"]
        return out

    async def me(self) -> JSON:
        return await self.request("GET", "/api/v1/auth/me")

    async def company(self) -> JSON:
        return await self.request("GET", "/api/v1/company")

    async def healthz(self) -> JSON:
        return await self.request("GET", "/healthz", auth=False)

    # --- appointments -----------------------------------------------------------------------------------
    async def appointments(self, day: date | None = None, technician_id: int | None = None) -> list[JSON]:
        return await self.request("GET", "/api/v1/appointments", params={
            "date": day.isoformat() if day else None, "technician_id": technician_id})

    async def appointment(self, appt_id: int) -> JSON:
        """One appointment with its status history."""
        return await self.request("GET", f"/api/v1/appointments/{appt_id}")

    async def create_appointment(self, job_id: int, window_start: datetime, window_end: datetime,
                                 technician_id: int | None = None, *, allow_conflicts: bool = False) -> JSON:
        """Book a visit; a clash with the tech's schedule is a 409 `schedule_conflict` unless `allow_conflicts`."""
        body: JSON = {"job_id": job_id, "technician_id": technician_id, "window_start": iso(window_start),
                      "window_end": iso(window_end)}
        if allow_conflicts:
            body["allow_conflicts"] = True
        return await self.request("POST", "/api/v1/appointments", json=body)

    async def patch_appointment(self, appt_id: int, version: int, *, technician_id: int | None = None,
                                unassign: bool = False, window_start: datetime | None = None,
                                window_end: datetime | None = None, notify_customer: bool | None = None,
                                allow_conflicts: bool = False) -> JSON:
        """Reassign and/or reschedule, guarded by the version the dispatcher saw (If-Match); `notify_customer`
        None leaves texting the customer to the company's default; a clash is a 409 `schedule_conflict` unless
        `allow_conflicts` (the override is audited)."""
        body: JSON = {}
        if notify_customer is not None:
            body["notify_customer"] = notify_customer
        if allow_conflicts:
            body["allow_conflicts"] = True
        if unassign:
            body["unassign"] = True
        elif technician_id is not None:
            body["technician_id"] = technician_id
        if window_start is not None:
            body["window_start"] = iso(window_start)
        if window_end is not None:
            body["window_end"] = iso(window_end)
        return await self.request("PATCH", f"/api/v1/appointments/{appt_id}", json=body,
                                  headers={"If-Match": f'"{version}"'})

    async def set_status(self, appt_id: int, version: int, status: str, *, reason: str = "",
                         customer_message: str = "") -> JSON:
        return await self.request("POST", f"/api/v1/appointments/{appt_id}/status", json={
            "status": status, "reason": reason, "customer_message": customer_message},
            headers={"If-Match": f'"{version}"'})

    async def message_tech(self, appt_id: int, message: str) -> JSON:
        return await self.request("POST", f"/api/v1/appointments/{appt_id}/message-tech", json={"message": message})

    # --- people -----------------------------------------------------------------------------------------
    async def technicians(self) -> list[JSON]:
        return await self.request("GET", "/api/v1/technicians")

    async def technician(self, tech_id: int) -> JSON:
        return await self.request("GET", f"/api/v1/technicians/{tech_id}")

    async def create_technician(self, **fields: Any) -> JSON:
        return await self.request("POST", "/api/v1/technicians", json=fields)

    async def update_technician(self, tech_id: int, **fields: Any) -> JSON:
        """Change only the fields given (details, field-app `password`, `active`)."""
        return await self.request("PATCH", f"/api/v1/technicians/{tech_id}", json=fields)

    async def technician_photo(self, tech_id: int, *, pending: bool = False) -> bytes:
        """The photo customers see, or (`pending`) the one sent from the field app for approval."""
        return await self.get_bytes(f"/api/v1/technicians/{tech_id}/photo" + ("?pending=true" if pending else ""))

    async def approve_bio(self, tech_id: int) -> JSON:
        return await self.request("POST", f"/api/v1/technicians/{tech_id}/bio/approve")

    async def reject_bio(self, tech_id: int, reason: str) -> JSON:
        return await self.request("POST", f"/api/v1/technicians/{tech_id}/bio/reject", json={"reason": reason})

    async def customers(self, q: str = "", limit: int = 200) -> list[JSON]:
        return await self.request("GET", "/api/v1/customers", params={"q": q or None, "limit": limit})

    async def customer(self, customer_id: int) -> JSON:
        return await self.request("GET", f"/api/v1/customers/{customer_id}")

    async def create_customer(self, **fields: Any) -> JSON:
        return await self.request("POST", "/api/v1/customers", json=fields)

    async def create_job(self, customer_id: int, service_type: str, description: str = "",
                         internal_notes: str = "", source: str = "direct") -> JSON:
        return await self.request("POST", "/api/v1/jobs", json={
            "customer_id": customer_id, "service_type": service_type, "description": description,
            "internal_notes": internal_notes, "source": source})

    # --- alerts, outbox, crew ---------------------------------------------------------------------------
    async def alerts(self, open_only: bool = True) -> list[JSON]:
        return await self.request("GET", "/api/v1/alerts", params={"open": str(open_only).lower()})

    async def acknowledge_alert(self, alert_id: int) -> JSON:
        return await self.request("POST", f"/api/v1/alerts/{alert_id}/acknowledge")

    async def resolve_alert(self, alert_id: int, note: str = "") -> JSON:
        return await self.request("POST", f"/api/v1/alerts/{alert_id}/resolve", json={"note": note})

    async def notifications(self, appointment_id: int | None = None, customer_id: int | None = None,
                            limit: int = 200) -> list[JSON]:
        return await self.request("GET", "/api/v1/notifications", params={
            "appointment_id": appointment_id, "customer_id": customer_id, "limit": limit})

    async def crew_positions(self) -> list[JSON]:
        return await self.request("GET", "/api/v1/crew/positions")

    # --- booking requests -------------------------------------------------------------------------------
    async def booking_requests(self, state: str | None = None) -> list[JSON]:
        return await self.request("GET", "/api/v1/booking-requests", params={"state": state})

    async def review_booking(self, request_id: int) -> JSON:
        return await self.request("POST", f"/api/v1/booking-requests/{request_id}/review")

    async def accept_booking(self, request_id: int, window_start: datetime, window_end: datetime,
                             technician_id: int | None = None, *, allow_overlap: bool = False,
                             message: str = "") -> JSON:
        """Creates job + appointment; 409 `schedule_conflict` names the clash unless `allow_overlap`."""
        return await self.request("POST", f"/api/v1/booking-requests/{request_id}/accept", json={
            "technician_id": technician_id, "window_start": iso(window_start), "window_end": iso(window_end),
            "allow_overlap": allow_overlap, "message": message})

    async def counter_booking(self, request_id: int, proposed_start: datetime, proposed_end: datetime,
                              message: str, *, technician_id: int | None = None, allow_overlap: bool = False) -> JSON:
        return await self.request("POST", f"/api/v1/booking-requests/{request_id}/counter", json={
            "proposed_start": iso(proposed_start), "proposed_end": iso(proposed_end), "message": message,
            "technician_id": technician_id, "allow_overlap": allow_overlap})

    async def decline_booking(self, request_id: int, message: str) -> JSON:
        return await self.request("POST", f"/api/v1/booking-requests/{request_id}/decline", json={"message": message})

    # --- booking inbox (widgets/booking_inbox.py) -------------------------------------------------------
    async def booking_request(self, request_id: int) -> JSON:
        """One booking request with contact, preferences, notes and photo links."""
        return await self.request("GET", f"/api/v1/booking-requests/{request_id}")

    async def booking_photo(self, request_id: int, photo_id: int, *, thumbnail: bool = False) -> bytes:
        """A request photo's bytes (full size, or the server-made JPEG thumbnail)."""
        path = f"/api/v1/booking-requests/{request_id}/photos/{photo_id}" + ("/thumbnail" if thumbnail else "")
        return await self.get_bytes(path)

    # --- portal preview ---------------------------------------------------------------------------------
    async def portal_preview(self, *, customer_id: int | None = None, appointment_id: int | None = None) -> JSON:
        """A short-lived read-only URL showing exactly what that customer sees: {url, expires_at}."""
        body = {"customer_id": customer_id} if customer_id is not None else {"appointment_id": appointment_id}
        return await self.request("POST", "/api/v1/portal-preview", json=body)

    # --- settings, customers' switches, job contacts ----------------------------------------------------
    async def get_settings(self) -> JSON:
        return await self.request("GET", "/api/v1/settings")

    async def patch_settings(self, changes: JSON) -> JSON:
        """Change company settings (admins); errors name each field."""
        return await self.request("PATCH", "/api/v1/settings", json=changes)

    async def put_logo(self, image_base64: str) -> JSON:
        return await self.request("PUT", "/api/v1/settings/logo", json={"png_base64": image_base64})

    async def test_notification(self, channel: str, to: str) -> JSON:
        return await self.request("POST", "/api/v1/settings/notifications/test", json={"channel": channel, "to": to})

    async def patch_customer(self, customer_id: int, **fields: Any) -> JSON:
        return await self.request("PATCH", f"/api/v1/customers/{customer_id}", json=fields)

    async def job_contacts(self, job_id: int) -> list[JSON]:
        return await self.request("GET", f"/api/v1/jobs/{job_id}/contacts")

    async def add_job_contact(self, job_id: int, **fields: Any) -> JSON:
        return await self.request("POST", f"/api/v1/jobs/{job_id}/contacts", json=fields)

    async def remove_job_contact(self, job_id: int, contact_id: int) -> None:
        await self.request("DELETE", f"/api/v1/jobs/{job_id}/contacts/{contact_id}")

    # --- crew map and late-alert panel ------------------------------------------------------------------
    async def reassign_candidates(self, appt_id: int) -> list[JSON]:
        """Other active technicians, fastest to the job site first, with their current status."""
        return await self.request("GET", f"/api/v1/appointments/{appt_id}/reassign-candidates")

    async def breadcrumbs(self, tech_id: int, minutes: int = 120) -> list[JSON]:
        """A technician's recorded fixes over the last `minutes`, oldest first."""
        return await self.request("GET", f"/api/v1/crew/{tech_id}/breadcrumbs", params={"minutes": minutes})

    # --- visit photos on the appointment card -----------------------------------------------------------
    async def visit_photos(self, appt_id: int) -> list[JSON]:
        """The visit's photos with `shared_with_customer` (only shared ones reach the customer portal)."""
        return await self.request("GET", f"/api/v1/appointments/{appt_id}/photos")

    async def set_photo_shared(self, appt_id: int, photo_id: int, shared: bool) -> JSON:
        return await self.request("PATCH", f"/api/v1/appointments/{appt_id}/photos/{photo_id}",
                                  json={"shared_with_customer": shared})

    async def visit_photo_image(self, appt_id: int, photo_id: int) -> bytes:
        return await self.get_bytes(f"/api/v1/appointments/{appt_id}/photos/{photo_id}/image")

    # --- pairing phones, Traccar Client devices, team notes (widgets/pair_phone.py, widgets/team_notes.py) -------
    async def field_access(self) -> JSON:
        """Whether phones can reach this backend (`reachable`, `secure`, `problem`, `advice`) and the field-app and
        Traccar Client URLs."""
        return await self.request("GET", "/api/v1/field-access")

    async def create_pairing_link(self, tech_id: int) -> JSON:
        """A one-time link (10 minutes) that signs a phone in as this technician: {url, expires_at, access}."""
        return await self.request("POST", f"/api/v1/technicians/{tech_id}/pairing-links")

    async def technician_devices(self, tech_id: int) -> list[JSON]:
        """The technician's paired phones and Traccar Client ids with last fix time and source."""
        return await self.request("GET", f"/api/v1/technicians/{tech_id}/devices")

    async def add_traccar_device(self, tech_id: int, label: str = "") -> JSON:
        """A new Traccar Client device id (shown once): {device, device_id, server_url, config_url, settings}."""
        return await self.request("POST", f"/api/v1/technicians/{tech_id}/devices", json={"label": label})

    async def revoke_device(self, tech_id: int, device_id: int) -> JSON:
        return await self.request("POST", f"/api/v1/technicians/{tech_id}/devices/{device_id}/revoke")

    async def team_notes(self, appt_id: int) -> list[JSON]:
        """Staff notes on the appointment's job (technicians' and dispatchers'), oldest first."""
        return await self.request("GET", f"/api/v1/appointments/{appt_id}/team-notes")

    async def add_team_note(self, appt_id: int, text: str) -> JSON:
        return await self.request("POST", f"/api/v1/appointments/{appt_id}/team-notes", json={"text": text})

    # --- dispatch board: availability, conflicts, week, search, geocoding ---------------------------------
    async def check_appointment(self, technician_id: int | None, window_start: datetime, window_end: datetime, *,
                                job_id: int | None = None, appointment_id: int | None = None) -> JSON:
        """The conflicts this booking would have: {ok, technician_id, conflicts: [{kind, message, …}]}."""
        return await self.request("POST", "/api/v1/appointments/check", json={
            "technician_id": technician_id, "window_start": iso(window_start), "window_end": iso(window_end),
            "job_id": job_id, "appointment_id": appointment_id})

    async def availability(self, day: date | None = None) -> JSON:
        """Every tech's shift, time off, spans to shade and booked/capacity for a day."""
        return await self.request("GET", "/api/v1/availability", params={"date": day.isoformat() if day else None})

    async def week(self, start: date | None = None) -> JSON:
        """Technicians × 7 days of visits, booked minutes and capacity."""
        return await self.request("GET", "/api/v1/schedule/week",
                                  params={"start": start.isoformat() if start else None})

    async def technician_hours(self, tech_id: int) -> JSON:
        return await self.request("GET", f"/api/v1/technicians/{tech_id}/hours")

    async def set_technician_hours(self, tech_id: int, days: list[JSON]) -> JSON:
        """Replace the week: `days` = [{weekday, start: 'HH:MM', end: 'HH:MM'}]; other weekdays are off (admins)."""
        return await self.request("PUT", f"/api/v1/technicians/{tech_id}/hours", json={"days": days})

    async def clear_technician_hours(self, tech_id: int) -> JSON:
        return await self.request("DELETE", f"/api/v1/technicians/{tech_id}/hours")

    async def time_off(self, tech_id: int, include_past: bool = False) -> list[JSON]:
        return await self.request("GET", f"/api/v1/technicians/{tech_id}/time-off",
                                  params={"include_past": "true" if include_past else None})

    async def add_time_off(self, tech_id: int, starts_at: datetime, ends_at: datetime, reason: str = "") -> JSON:
        return await self.request("POST", f"/api/v1/technicians/{tech_id}/time-off", json={
            "starts_at": iso(starts_at), "ends_at": iso(ends_at), "reason": reason})

    async def remove_time_off(self, tech_id: int, off_id: int) -> None:
        await self.request("DELETE", f"/api/v1/technicians/{tech_id}/time-off/{off_id}")

    async def search_appointments(self, q: str, limit: int = 50, offset: int = 0) -> JSON:
        """Appointments of any date matching `q`, nearest to now first: {query, total, items}."""
        return await self.request("GET", "/api/v1/appointments/search", params={"q": q, "limit": limit,
                                                                               "offset": offset})

    async def geocode(self, q: str) -> JSON:
        """Candidate places {label, lat, lng} for an address (503 `geocoder_not_configured` when none is set)."""
        return await self.request("GET", "/api/v1/geocode", params={"q": q})

    async def create_job_full(self, customer_id: int, service_type: str, *, description: str = "",
                              internal_notes: str = "", address: str | None = None, lat: float | None = None,
                              lng: float | None = None, source: str = "direct") -> JSON:
        """Create a job with its own address and coordinates (null address: the customer's)."""
        body: JSON = {"customer_id": customer_id, "service_type": service_type, "description": description,
                      "internal_notes": internal_notes, "source": source}
        if address is not None:
            body.update({"address": address, "lat": lat, "lng": lng})
        return await self.request("POST", "/api/v1/jobs", json=body)
    async def job(self, job_id: int) -> JSON:
        return await self.request("GET", f"/api/v1/jobs/{job_id}")

    async def patch_job(self, job_id: int, **fields: Any) -> JSON:
        """Change a job's service, description, internal notes, address or pin (lat/lng None: no pin)."""
        return await self.request("PATCH", f"/api/v1/jobs/{job_id}", json=fields)

    # --- sign-in locks ----------------------------------------------------------------------------------
    async def locked_accounts(self) -> list[JSON]:
        """Accounts the sign-in throttle is holding back right now, longest lock first."""
        return await self.request("GET", "/api/v1/users/locked")

    async def unlock_account(self, user_id: int) -> JSON:
        """Let an account sign in again at once (administrators only)."""
        return await self.request("POST", f"/api/v1/users/{user_id}/unlock")

    # --- insights --------------------------------------------------------------------------------------------
    async def insights(self, first: date, last: date, *, group_by: str = "day", technician_id: int | None = None,
                       service_type: str | None = None) -> JSON:
        """How the team is doing over [first, last] (local days): totals plus one group per day, week or
        technician (definitions: docs/insights.md)."""
        return await self.request("GET", "/api/v1/insights", params={
            "from": first.isoformat(), "to": last.isoformat(), "group_by": group_by,
            "technician_id": technician_id, "service_type": service_type or None})
