"""The Optimize day map: every technician's route after the plan (numbered stops in their colour, late stops
ringed orange, moved visits outlined), and optionally the plan before as dashed lines."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QWidget

from models.timefmt import DEFAULT_TIME_ZONE, clock_time, parse_iso
from widgets.leaflet_view import LeafletView, page_html, tiles

#: One colour per technician (distinct for colour-blind readers first, then more).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7A5195", "#2F4B7C",
           "#A05195", "#665191", "#F95D6A", "#003F5C", "#8C6D31", "#31A354", "#636363", "#E7298A"]


def build_page(tile_url: str) -> str:
    return page_html("route_map", "RoutePage", tiles(tile_url), extra_body='<div id="legend"></div>')


def routes_data(proposal: dict[str, Any], tz: str, *, both: bool) -> dict[str, Any]:
    """What the page draws from an answer of `POST /dispatch/optimize`."""
    moved = {m["appointment_id"] for m in proposal.get("moves") or []}

    def stops(legs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"lat": v["site"]["lat"], "lng": v["site"]["lng"], "label": v["label"],
                 "time": clock_time(parse_iso(v["arrive_at"]), tz), "late": bool(v["late_min"]),
                 "moved": v["appointment_id"] in moved} for v in legs if v.get("site")]

    routes = [{"name": t["name"], "color": PALETTE[i % len(PALETTE)], "start": t.get("start"),
               "before": stops(t["before"]), "after": stops(t["after"])}
              for i, t in enumerate(proposal.get("technicians") or [])]
    return {"routes": routes, "show": "both" if both else "after"}


class RouteMap(LeafletView):
    """`show_plan(proposal, tz, both=…)` draws it (once the page is ready); `ready` when the page loaded."""

    def __init__(self, tile_url: str = "", parent: QWidget | None = None):
        super().__init__(build_page(tile_url), "Map of each technician's route after the plan", parent=parent)

    def show_plan(self, proposal: dict[str, Any], tz: str = DEFAULT_TIME_ZONE, *, both: bool = False) -> None:
        self.keep(f"RoutePage.show({json.dumps(routes_data(proposal, tz, both=both))})")
