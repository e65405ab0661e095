""""Get Directions" links that open the phone's own maps app: `geo:` on Android, Apple Maps on iOS, Google Maps
elsewhere (the page picks one by platform)."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def directions(lat: float | None, lng: float | None, address: str = "", label: str = "") -> dict[str, str]:
    """Links for each platform to the job site: coordinates when known, else the address text."""
    if lat is not None and lng is not None:
        where = f"{lat:.6f},{lng:.6f}"
        name = quote(label or address or "Job site", safe="")
        return {
            "android": f"geo:{where}?q={where}({name})",
            "ios": "https://maps.apple.com/?" + urlencode({"daddr": where, "dirflg": "d"}),
            "web": "https://www.google.com/maps/dir/?" + urlencode({"api": "1", "destination": where}),
        }
    text = address.strip()
    return {
        "android": "geo:0,0?q=" + quote(text, safe=""),
        "ios": "https://maps.apple.com/?" + urlencode({"daddr": text, "dirflg": "d"}),
        "web": "https://www.google.com/maps/dir/?" + urlencode({"api": "1", "destination": text}),
    }


def short_address(address: str) -> str:
    """The street part of an address ("100 Congress Ave" of "100 Congress Ave, Austin, TX 78701")."""
    return address.split(",")[0].strip() if address else ""
