"""What a tracker link shows in each state (models/status_machine.py `TRACKER_STEPS`): built from one
appointment, nothing else."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.lateness import awaiting_arrival, scheduled_notice
from models.status_machine import TRACKER_STEP_LABELS, TRACKER_STEPS, location_visible
from models.tables import Appointment, Company, LatestPosition, TrackerLink
from models.timefmt import clock_time, long_date, window_text
from services.backend.alerts import open_late_ids
from services.backend.appointment_views import tech_first_name

MAP_W, MAP_H, MAP_PAD = 360.0, 220.0, 36.0


def tel_href(phone: str) -> str:
    """'(512) 555-0142' → 'tel:5125550142' ('+' kept)."""
    digits = re.sub(r"[^\d+]", "", phone)
    return f"tel:{digits}" if digits else ""


def vehicle_text(appt: Appointment) -> str | None:
    t = appt.technician
    if t is None:
        return None
    parts = [t.vehicle_color, str(t.vehicle_year) if t.vehicle_year else "", t.vehicle_make, t.vehicle_model]
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text or None


def show_bio(company: Company, appt: Appointment) -> bool:
    """Approved bios only, and only when the company shows bios and the job's source partner allows them
    (the tracker and the portal both ask here)."""
    tech = appt.technician
    return bool(tech and tech.bio_approved.strip() and company.show_bios and appt.job.bios_allowed)


def project(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Lat/lng → SVG coordinates of a MAP_W × MAP_H view fitting all points (north up, equal scale)."""
    lat0 = sum(p[0] for p in points) / len(points)
    kx = math.cos(math.radians(lat0))
    xs = [p[1] * kx for p in points]
    ys = [-p[0] for p in points]
    span_x = max(max(xs) - min(xs), 0.0005)
    span_y = max(max(ys) - min(ys), 0.0005)
    s = min((MAP_W - 2 * MAP_PAD) / span_x, (MAP_H - 2 * MAP_PAD) / span_y)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [(round(MAP_W / 2 + (x - cx) * s, 1), round(MAP_H / 2 + (y - cy) * s, 1))
            for x, y in zip(xs, ys, strict=True)]


def map_view(car: tuple[float, float] | None, site: tuple[float, float]) -> dict[str, Any]:
    """The simplified map: the car, the job site and a street-like (L-shaped) dotted route between them."""
    if car is None:
        return {"width": MAP_W, "height": MAP_H, "site": {"x": MAP_W / 2, "y": MAP_H / 2}, "car": None,
                "route": []}
    (cx, cy), (sx, sy) = project([car, site])
    corner = (cx, sy) if abs(sx - cx) > abs(sy - cy) else (sx, cy)
    route = [{"x": cx, "y": cy}, {"x": corner[0], "y": corner[1]}, {"x": sx, "y": sy}]
    return {"width": MAP_W, "height": MAP_H, "site": {"x": sx, "y": sy}, "car": {"x": cx, "y": cy},
            "route": route}


def expired_view(company: Company, appt: Appointment) -> dict[str, Any]:
    """After complete or cancel: no live data, no technician, only who to call."""
    done = appt.status == S.COMPLETE.value
    return {
        "state": "expired",
        "status": "complete" if done else "cancelled",
        "headline": "This appointment has been completed" if done else "This appointment has been cancelled",
        "message": ("Thank you for choosing us. This tracking link is no longer active." if done
                    else "This tracking link is no longer active. Call us if you have any questions."),
        "steps": TRACKER_STEP_LABELS,
        "step": None,
        "company": company_view(company),
        "technician": None,
        "eta": None,
        "position": None,
        "site": None,
        "map": None,
        "late": None,
        "refresh_s": 0,
    }


def company_view(company: Company) -> dict[str, Any]:
    return {"name": company.name, "phone": company.phone, "tel": tel_href(company.phone),
            "logo_url": None}


def build(session: Session, link: TrackerLink, appt: Appointment, company: Company, now: datetime,
          base: str) -> dict[str, Any]:
    """The tracker JSON for one link. `base` is the link's own path ('/tracker/<token>')."""
    status = S(appt.status)
    if link.expired_at is not None or status in (S.COMPLETE, S.CANCELLED):
        out = expired_view(company, appt)
        out["company"]["logo_url"] = f"{base}/logo.png" if company.logo_png else None
        return out
    tz = company.time_zone
    step_key = TRACKER_STEPS[status]
    steps_order = ["scheduled", "dispatched", "en_route", "arrived"]
    tech = appt.technician
    technician = None
    if tech is not None:
        technician = {"first_name": tech_first_name(appt)}
        if status != S.SCHEDULED:
            technician.update({
                "photo_url": f"{base}/photo" if tech.photo_png else None,
                "vehicle": vehicle_text(appt),
                "bio": tech.bio_approved.strip() if show_bio(company, appt) else None,
            })
    eta = None
    position = None
    site = None
    car = None
    has_site = appt.site_lat is not None and appt.site_lng is not None
    if location_visible(status):  # the technician's live location and ETA: only while en route
        pos = session.get(LatestPosition, appt.technician_id) if appt.technician_id else None
        if pos is not None and not appt.location_stopped:
            position = {"lat": pos.lat, "lng": pos.lng, "accuracy_m": pos.accuracy_m,
                        "recorded_at": pos.recorded_at, "age_s": max(0, int((now - pos.recorded_at).total_seconds()))}
            car = (pos.lat, pos.lng)
        if appt.eta_at is not None:
            minutes = max(1, math.ceil((appt.eta_at - now).total_seconds() / 60))
            eta = {"at": appt.eta_at, "time_text": clock_time(appt.eta_at, tz),
                   "text": f"arriving around {clock_time(appt.eta_at, tz)}", "minutes": minutes,
                   "computed_at": appt.eta_computed_at}
    if status in (S.EN_ROUTE, S.ARRIVED) and has_site:
        site = {"lat": appt.site_lat, "lng": appt.site_lng}
    late = None
    if awaiting_arrival(status) and open_late_ids(session, [appt.id]):
        late = {
            "message": scheduled_notice(clock_time(appt.window_start, tz)),
            "call_label": f"Call {company.name}",
            "tel": tel_href(company.phone),
        }
    first = technician["first_name"] if technician else "Your technician"
    headline = {
        S.SCHEDULED: "Your appointment is scheduled",
        S.DISPATCHED: f"{first} is getting ready for your visit" if tech else "Your visit is being prepared",
        S.EN_ROUTE: f"{first} is on the way",
        S.ARRIVED: "Your technician has arrived",
        S.IN_PROGRESS: f"{first} is working on your visit",
        S.PAUSED: "Your visit is paused",
    }[status]
    message = {
        S.SCHEDULED: "Live tracking starts when your technician heads your way.",
        S.DISPATCHED: "Live tracking starts when your technician heads your way.",
        S.EN_ROUTE: "",
        S.ARRIVED: f"{first} has arrived at your location.",
        S.IN_PROGRESS: "Tracking has ended for this visit.",
        S.PAUSED: appt.customer_message or "Tracking has ended for this visit.",
    }[status]
    return {
        "state": step_key,
        "status": status.value,
        "headline": headline,
        "message": message,
        "steps": TRACKER_STEP_LABELS,
        "step": steps_order.index(step_key) if step_key in steps_order else 3,
        "appointment": {
            "service_type": appt.job.service_type,
            "date_text": long_date(appt.window_start, tz),
            "window_text": window_text(appt.window_start, appt.window_end, tz),
        },
        "company": {**company_view(company), "logo_url": f"{base}/logo.png" if company.logo_png else None},
        "technician": technician,
        "eta": eta,
        "position": position,
        "site": site,
        "map": (map_view(car, (appt.site_lat, appt.site_lng)) if status in (S.EN_ROUTE, S.ARRIVED) and has_site
                else None),
        "late": late,
        "refresh_s": 10 if status == S.EN_ROUTE else 30,
    }
