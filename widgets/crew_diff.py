"""What the crew map page must change: technician and job-site records read from the store, sent as diffs.

Per store event the work is O(changed): a technician's standing comes from the store's per-technician index of
today's appointments, and a record equal to the one the page already has is not sent again. Only what the page
can draw is sent: technicians with a position, and today's unfinished job sites with coordinates — within the
skills and zones filter when one is set.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from models.crew import CREW_LABELS, crew_standing
from models.enums import AppointmentStatus
from models.timefmt import clock_time, parse_iso, parse_iso_or_none
from widgets.status_colors import label_for

if TYPE_CHECKING:
    from console.store import Store

JSON = dict[str, Any]
FINAL = (AppointmentStatus.COMPLETE, AppointmentStatus.CANCELLED)


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


class CrewDiff:
    """Marks what changed (`technician`, `position`, `appointment`, `everything`, …); `batch()` gives the page's
    changes since the last batch, or None when the page is already up to date."""

    def __init__(self, store: Store):
        self.store = store
        self.techs: dict[int, JSON] = {}  # technician id -> the record the page has
        self.sites: dict[int, JSON] = {}  # appointment id -> the job-site record the page has
        self._drawn_for: dict[int, int] = {}  # appointment id -> the technician whose record last counted it
        self._techs: set[int] = set()
        self._sites: set[int] = set()
        self._moves: dict[int, list[Any]] = {}
        self._all = False
        self._skew = False
        self._fit = False
        self.crew_changed = False  # technicians were added to or removed from the page by the last batch
        self.tech_ids: set[int] | None = None  # the skills filter: only these technicians (None: everyone)
        self.site_match: Callable[[JSON], bool] | None = None  # the zones filter: only sites it matches

    def set_filter(self, tech_ids: set[int] | None, site_match: Callable[[JSON], bool] | None) -> None:
        """Show only these technicians (and their job sites; unassigned sites stay) and only job sites the match
        keeps; None for either shows all. The page catches up at the next batch."""
        self.tech_ids, self.site_match = (None if tech_ids is None else set(tech_ids)), site_match
        self.everything()

    def shows_site(self, a: JSON) -> bool:
        tech = a.get("technician_id")
        return _drawable(a) and (self.site_match is None or self.site_match(a)) and (
            tech is None or self.tech_ids is None or int(tech) in self.tech_ids)

    # --- marking changes ------------------------------------------------------------------------------------
    def everything(self, *, fit: bool = False) -> None:
        """Compare the whole store with the page at the next batch (start-up, reconnect, new time zone)."""
        self._all, self._skew = True, True
        self._fit = self._fit or fit

    def page_cleared(self) -> None:
        """The page was (re)built and shows nothing yet."""
        self.techs.clear()
        self.sites.clear()
        self._moves.clear()
        self.everything(fit=True)

    def skew(self) -> None:
        self._skew = True

    def technician(self, tech_id: int) -> None:
        self._techs.add(tech_id)

    def position(self, tech_id: int) -> None:
        fix = self.store.positions.get(tech_id)
        if fix is None:
            return
        if tech_id in self.techs:
            self._moves[tech_id] = [tech_id, fix.lat, fix.lng, fix.ms, fix.source]
        else:
            self._techs.add(tech_id)  # a first fix: the marker is created

    def appointment(self, appt: JSON) -> None:
        """An appointment changed (or went): its site, the technician it was drawn for and the one it has now."""
        appt_id = int(appt["id"])
        self._sites.add(appt_id)
        was = self._drawn_for.get(appt_id)
        if was is not None:
            self._techs.add(was)
        if appt.get("technician_id") is not None:
            self._techs.add(int(appt["technician_id"]))

    def appointment_removed(self, appt_id: int) -> None:
        self.appointment({"id": appt_id})

    @property
    def pending(self) -> bool:
        return bool(self._all or self._techs or self._sites or self._moves or self._skew or self._fit)

    # --- the batch --------------------------------------------------------------------------------------------
    def batch(self) -> JSON | None:
        """The page's changes since the last batch (technicians, moves, sites, skew, fit), or None."""
        if self._all:
            self._techs |= set(self.store.technicians) | set(self.techs)
            self._sites |= set(self.sites)
            self._sites |= {int(a["id"]) for a in self.store.todays_appointments() if _drawable(a)}
            self._all = False
        out: JSON = {}
        before = len(self.techs)
        if self._skew:
            out["skewMs"] = self.store.skew_s * 1000
        techs, gone = [], []
        for tech_id in sorted(self._techs):
            rec = self.tech_record(tech_id)
            if rec is None:
                if self.techs.pop(tech_id, None) is not None:
                    gone.append(tech_id)
            elif rec != self.techs.get(tech_id):
                techs.append(rec)
                self.techs[tech_id] = rec
        moves = []
        for tech_id, move in self._moves.items():
            rec = self.techs.get(tech_id)
            if rec is not None and tech_id not in self._techs:
                rec["lat"], rec["lng"], rec["fix_ms"], rec["source"] = move[1], move[2], move[3], move[4]
                moves.append(move)
        sites, drop = [], []
        todays = self.store.todays_lookup()
        for appt_id in sorted(self._sites):
            a = todays(appt_id)
            rec = self.site_record(a) if a is not None and self.shows_site(a) else None
            if rec is None:
                if self.sites.pop(appt_id, None) is not None:
                    drop.append(appt_id)
            elif rec != self.sites.get(appt_id):
                sites.append(rec)
                self.sites[appt_id] = rec
        for key, value in (("removeTechs", gone), ("techs", techs), ("positions", moves), ("removeSites", drop),
                           ("sites", sites)):
            if value:
                out[key] = value
        if self._fit:
            out["fit"] = True
        self.crew_changed = bool(gone) or len(self.techs) != before
        self._techs.clear()
        self._sites.clear()
        self._moves.clear()
        self._skew = self._fit = False
        return out or None

    # --- records ------------------------------------------------------------------------------------------
    def tech_record(self, tech_id: int) -> JSON | None:
        """The marker of an active technician with a position (None: nothing to draw)."""
        tech = self.store.technicians.get(tech_id)
        fix = self.store.positions.get(tech_id)
        if tech is None or fix is None or not tech.get("active", True) or (
                self.tech_ids is not None and tech_id not in self.tech_ids):
            return None
        mine = self.store.todays_for(tech_id)
        for a in mine:
            self._drawn_for[int(a["id"])] = tech_id
        standing = crew_standing(mine)
        nxt, cur = standing["next"], standing["current"]
        late = next((m for a in mine if (m := self.late_minutes(a)) is not None), None)
        return {
            "id": tech_id, "name": tech["name"], "initials": initials(str(tech["name"])),
            "status": standing["status"], "label": CREW_LABELS[standing["status"]], "lat": fix.lat, "lng": fix.lng,
            "fix_ms": fix.ms, "source": fix.source, "late": f"{late} min overdue" if late is not None else "",
            "current": f"{cur['customer_name']} ({cur['status_label']})" if cur and cur is not nxt else "",
            "next": None if nxt is None else {
                "label": f"{nxt['customer_name']} · {self._time(nxt['window_start'])}",
                "lat": nxt.get("site_lat"), "lng": nxt.get("site_lng")},
        }

    def site_record(self, a: JSON) -> JSON:
        return {
            "id": a["id"], "lat": a.get("site_lat"), "lng": a.get("site_lng"), "customer": a.get("customer_name"),
            "address": a.get("address"), "service": a.get("service_type"), "status": a["status"],
            "status_label": a.get("status_label") or label_for(a["status"]), "tech": a.get("technician_name"),
            "tech_id": a.get("technician_id"), "late": self.late_minutes(a) is not None,
            "window": f"{self._time(a['window_start'])}–{self._time(a['window_end'])}",
        }

    def late_minutes(self, a: JSON) -> int | None:
        """Minutes overdue when the appointment has an open LATE alert (the server's clock)."""
        if not a.get("late") or a["status"] in FINAL:
            return None
        start = parse_iso_or_none(a.get("window_start"))
        return None if start is None else max(0, int((self.store.server_now() - start).total_seconds() // 60))

    def _time(self, value: Any) -> str:
        return _clock(str(value), self.store.time_zone)


@lru_cache(maxsize=4096)
def _clock(value: str, tz: str) -> str:
    """'9:15 AM' for an API time (windows repeat across a day's appointments: each is formatted once)."""
    return clock_time(parse_iso(value), tz)


def _drawable(a: JSON) -> bool:
    """A job site worth a marker: still to be finished today, with coordinates."""
    return a["status"] not in FINAL and a.get("site_lat") is not None and a.get("site_lng") is not None
