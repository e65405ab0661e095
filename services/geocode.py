"""Addresses to coordinates behind one small interface: Nominatim (self-hosted or public), Google, Mapbox.

Nominatim's usage policy is kept: a real User-Agent naming the application and a contact, at most one request
per second per server from this process (callers queue), and answers cached (the backend keeps them in the
database, see `normalise_query` and services/backend/routes/geocode.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(6.0, connect=3.0)
PROVIDERS = ("none", "nominatim", "google", "mapbox")
PUBLIC_NOMINATIM = "https://nominatim.openstreetmap.org"
MAX_QUEUE_S = 8.0  # a request that would wait longer than this for its turn is refused instead


@dataclass(frozen=True)
class Candidate:
    label: str
    lat: float
    lng: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "lat": self.lat, "lng": self.lng}


class GeocodeError(Exception):
    """The provider could not answer (down, refused, quota, malformed answer); the message says so in words."""


class Geocoder(Protocol):
    name: str

    @property
    def cache_key(self) -> str: ...

    def search(self, query: str, *, limit: int = 5) -> list[Candidate]: ...


def normalise_query(query: str) -> str:
    """One cache entry per address however it was typed ('100  Congress Ave' = '100 congress ave')."""
    return " ".join(query.casefold().replace(",", " , ").split()).replace(" ,", ",")[:300]


_turn_lock = threading.Lock()
_next_turn: dict[str, float] = {}


def wait_turn(key: str, interval_s: float, max_wait_s: float = MAX_QUEUE_S) -> None:
    """Space requests to one server `interval_s` apart across this process's threads (callers queue; one that
    would wait longer than `max_wait_s` is refused)."""
    with _turn_lock:
        now = time.monotonic()
        at = max(now, _next_turn.get(key, 0.0))
        if at - now > max_wait_s:
            raise GeocodeError("The geocoder is busy (one request per second); try again in a few seconds.")
        _next_turn[key] = at + interval_s
    if at > now:
        time.sleep(at - now)


class _Http:
    name = "http"

    def __init__(self, base_url: str, *, user_agent: str = "DispatchConsole", timeout: httpx.Timeout = TIMEOUT,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": user_agent})

    @property
    def cache_key(self) -> str:
        return f"{self.name}:{self.base_url}"

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            r = self.client.get(self.base_url + path, params={k: v for k, v in params.items() if v not in ("", None)})
        except httpx.TimeoutException:
            raise GeocodeError(f"{self.label} did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise GeocodeError(f"Can't reach {self.label} ({exc.__class__.__name__}).") from None
        if r.status_code in (401, 403):
            raise GeocodeError(f"{self.label} refused the request (HTTP {r.status_code}): check the key or the "
                               "usage policy in Settings → Map and ETA.")
        if r.status_code == 429:
            raise GeocodeError(f"{self.label} says too many requests; try again in a minute.")
        if r.status_code != 200:
            raise GeocodeError(f"{self.label} answered HTTP {r.status_code}.")
        try:
            return r.json()
        except ValueError:
            raise GeocodeError(f"{self.label} sent an answer that is not JSON.") from None

    @property
    def label(self) -> str:
        return self.name

    def close(self) -> None:
        self.client.close()


class Nominatim(_Http):
    """GET {base}/search?q=…&format=jsonv2 — OpenStreetMap's geocoder, public or self-hosted."""

    name = "nominatim"

    def __init__(self, base_url: str = PUBLIC_NOMINATIM, *, email: str = "", country: str = "",
                 min_interval_s: float = 1.0, **kw: Any):
        super().__init__(base_url, **kw)
        self.email, self.country, self.min_interval_s = email, country, min_interval_s

    @property
    def label(self) -> str:
        return f"Nominatim at {self.base_url}"

    def search(self, query: str, *, limit: int = 5) -> list[Candidate]:
        wait_turn(self.base_url, self.min_interval_s)
        data = self._get("/search", {"q": query, "format": "jsonv2", "limit": limit, "email": self.email,
                                     "countrycodes": self.country.lower()})
        if not isinstance(data, list):
            raise GeocodeError(f"{self.label} sent an unexpected answer.")
        try:
            return [Candidate(str(d["display_name"]), float(d["lat"]), float(d["lon"])) for d in data][:limit]
        except (KeyError, TypeError, ValueError):
            raise GeocodeError(f"{self.label} sent results without coordinates.") from None


class Google(_Http):
    """Google Geocoding API: GET {base}/maps/api/geocode/json?address=…&key=…"""

    name = "google"
    label = "Google geocoding"  # type: ignore[assignment]

    def __init__(self, api_key: str, base_url: str = "https://maps.googleapis.com", *, country: str = "", **kw: Any):
        super().__init__(base_url, **kw)
        self.api_key, self.country = api_key, country

    def search(self, query: str, *, limit: int = 5) -> list[Candidate]:
        if not self.api_key:
            raise GeocodeError("Google geocoding needs an API key: set it in Settings → Map and ETA.")
        data = self._get("/maps/api/geocode/json", {"address": query, "key": self.api_key,
                                                     "region": self.country.lower()})
        status = data.get("status") if isinstance(data, dict) else None
        if status == "ZERO_RESULTS":
            return []
        if status != "OK":
            why = data.get("error_message", "") if isinstance(data, dict) else ""
            raise GeocodeError(f"Google geocoding answered {status}{': ' + why if why else ''}.")
        try:
            return [Candidate(r["formatted_address"], float(r["geometry"]["location"]["lat"]),
                              float(r["geometry"]["location"]["lng"])) for r in data["results"]][:limit]
        except (KeyError, TypeError, ValueError):
            raise GeocodeError("Google geocoding sent results without coordinates.") from None


class Mapbox(_Http):
    """Mapbox Geocoding v6: GET {base}/search/geocode/v6/forward?q=…&access_token=…"""

    name = "mapbox"
    label = "Mapbox geocoding"  # type: ignore[assignment]

    def __init__(self, token: str, base_url: str = "https://api.mapbox.com", *, country: str = "", **kw: Any):
        super().__init__(base_url, **kw)
        self.token, self.country = token, country

    def search(self, query: str, *, limit: int = 5) -> list[Candidate]:
        if not self.token:
            raise GeocodeError("Mapbox geocoding needs an access token: set it in Settings → Map and ETA.")
        data = self._get("/search/geocode/v6/forward", {"q": query, "access_token": self.token, "limit": limit,
                                                         "country": self.country.lower()})
        try:
            out = []
            for f in data["features"]:
                lng, lat = f["geometry"]["coordinates"][:2]
                p = f.get("properties") or {}
                label = p.get("full_address") or ", ".join(x for x in (p.get("name"), p.get("place_formatted")) if x)
                out.append(Candidate(str(label), float(lat), float(lng)))
            return out[:limit]
        except (KeyError, TypeError, ValueError):
            raise GeocodeError("Mapbox geocoding sent results without coordinates.") from None


def from_settings(get: Any, *, company: str = "", version: str = "0.1") -> Geocoder | None:
    """The configured geocoder, or None when none is (`get(name)` reads a setting or secret)."""
    kind = str(get("geocoder") or "none").lower()
    country = str(get("country") or "")
    contact = str(get("geocoder_email") or "")
    ua = f"DispatchConsole/{version} ({company or 'dispatch console'}{'; ' + contact if contact else ''})"
    if kind == "nominatim":
        return Nominatim(str(get("nominatim_url") or PUBLIC_NOMINATIM), email=contact, country=country,
                         user_agent=ua)
    if kind == "google":
        return Google(str(get("google_api_key") or ""), str(get("google_maps_url") or "https://maps.googleapis.com"),
                      country=country, user_agent=ua)
    if kind == "mapbox":
        return Mapbox(str(get("mapbox_token") or ""), str(get("mapbox_url") or "https://api.mapbox.com"),
                      country=country, user_agent=ua)
    return None
