"""Address search for the console (`GET /api/v1/geocode?q=`), through the geocoder chosen in Settings, cached."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import settings_schema
from models.board_schemas import GeocodeOut
from models.tables import GeocodeCacheRow
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx, Dispatcher
from services.backend.errors import ApiError
from services.geocode import GeocodeError, Geocoder, from_settings, normalise_query

router = APIRouter(prefix="/api/v1", tags=["geocode"])
CACHE_DAYS = 30  # Google allows caching coordinates for 30 days; the others at least that
NOT_CONFIGURED = "No geocoder is set up. Set a geocoder in Settings → Map and ETA, or place the pin on the map."


class GeocoderNotConfigured(ApiError):
    status, code = 503, "geocoder_not_configured"


class GeocoderFailed(ApiError):
    status, code = 502, "geocoder_unavailable"


def current_geocoder(ctx: Backend) -> Geocoder | None:
    """The configured geocoder (company settings over DISPATCH_* defaults), rebuilt only when settings change."""
    with ctx.reader() as db:
        company = ctx.company(db)
        stored = dict(company.settings or {})
        secrets = stored.get("secrets", {})
        name = company.name
        db.commit()

    def get(key: str) -> Any:
        if key in settings_schema.SECRETS:
            return secrets.get(key) or getattr(ctx.settings, key, "")
        return stored.get(key, getattr(ctx.settings, key, None))

    keys = ("geocoder", "country", "geocoder_email", "nominatim_url", "google_api_key", "mapbox_token",
            "google_maps_url", "mapbox_url")
    fingerprint = (name,) + tuple(str(get(k)) for k in keys)
    cached = ctx.extras.get("geocoder")
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    if cached is not None and cached[1] is not None:
        cached[1].close()
    from services.backend.app import _version

    geo = from_settings(get, company=name, version=_version())
    ctx.extras["geocoder"] = (fingerprint, geo)
    return geo


@router.get("/geocode", response_model=GeocodeOut,
            responses=errors(502, 503, s502="The geocoding service did not answer; place the pin on the map.",
                             s503="No geocoder is set up in Settings → Map and ETA."))
def geocode(user: Dispatcher, ctx: Ctx,
            q: Annotated[str, Query(min_length=3, max_length=300, description="an address as typed")],
            ) -> dict[str, Any]:
    """Candidate places for an address, best first: {label, lat, lng}. Answers are cached in the database."""
    geo = current_geocoder(ctx)
    if geo is None:
        raise GeocoderNotConfigured(NOT_CONFIGURED)
    key, now = normalise_query(q), ctx.clock.now()
    with ctx.reader() as db:  # no write lock held while the provider is asked
        row = db.scalar(select(GeocodeCacheRow).where(GeocodeCacheRow.provider == geo.cache_key[:300],
                                                      GeocodeCacheRow.query == key))
        hit = row.results if row is not None and now - row.created_at < timedelta(days=CACHE_DAYS) else None
        db.commit()
    if hit is not None:
        return {"query": q, "provider": geo.name, "cached": True, "candidates": hit}
    try:
        found = [c.to_dict() for c in geo.search(q.strip(), limit=5)]
    except GeocodeError as exc:
        raise GeocoderFailed(f"{exc} You can place the pin on the map instead.") from None
    _store(ctx, geo.cache_key[:300], key, found)
    return {"query": q, "provider": geo.name, "cached": False, "candidates": found}


def _store(ctx: Backend, provider: str, key: str, found: list[dict[str, Any]]) -> None:
    with ctx.sessions() as db:
        row = db.scalar(select(GeocodeCacheRow).where(GeocodeCacheRow.provider == provider,
                                                      GeocodeCacheRow.query == key))
        if row is None:
            db.add(GeocodeCacheRow(provider=provider, query=key, results=found, created_at=ctx.clock.now()))
        else:
            row.results, row.created_at = found, ctx.clock.now()
        try:
            db.commit()
        except IntegrityError:  # another request stored the same answer first
            db.rollback()

