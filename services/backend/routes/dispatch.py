"""Smart dispatch: who is best for a job, optimize a day, apply a plan as one batch, pin a visit in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from sqlalchemy import select

from models.dispatch_optimize import Leg, OptVisit, optimize, prepare_tech
from models.dispatch_rank import JobToPlace, Place, rank
from models.dispatch_schemas import ApplyIn, OptimizeIn, PinIn, SuggestIn
from models.public.appointments import AppointmentPublic
from models.public.dispatch import AppliedPlanPublic, OptimizePublic, SuggestPublic
from models.tables import Appointment, Job
from models.timefmt import day_bounds, local, time_range, window_text
from services import drive_times
from services.backend import appointment_ops as ops
from services.backend import conflict_guard
from services.backend.appointment_views import to_public
from services.backend.audit import audit, who
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.dispatch_data import drive_pairs, load_day, required_for
from services.backend.errors import Invalid, NotFound, VersionMismatch
from services.backend.events import publish_appointment
from services.backend.locking import locked

router = APIRouter(prefix="/api/v1", tags=["smart dispatch"])


def _grace(db: Db, ctx: Ctx) -> int:
    return int(ctx.setting(db, "late_threshold_min"))


@router.post("/dispatch/suggest", response_model=SuggestPublic)
def suggest(body: SuggestIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Every technician ranked for a job: when they can really be there, why, and what it costs (warnings)."""
    tz = ctx.company(db).time_zone
    appt = None
    if body.appointment_id is not None:
        appt = db.get(Appointment, body.appointment_id)
        if appt is None:
            raise Invalid.field("appointment_id", f"no appointment {body.appointment_id}")
        job = appt.job
        ws, we = body.window_start or appt.window_start, body.window_end or appt.window_end
        site = Place(appt.site_lat, appt.site_lng) if appt.site_lat is not None and appt.site_lng is not None else None
    else:
        job = db.get(Job, body.job_id) if body.job_id is not None else None
        if body.job_id is not None and job is None:
            raise Invalid.field("job_id", f"no job {body.job_id}")
        assert body.window_start is not None and body.window_end is not None
        ws, we = body.window_start, body.window_end
        site = Place(body.lat, body.lng) if body.lat is not None and body.lng is not None else \
            Place(job.lat, job.lng) if job is not None and job.lat is not None and job.lng is not None else None
    day = load_day(db, tz, local(ws, tz).date(), body.technician_ids)
    if body.required_skills is not None:
        required = tuple(body.required_skills)
    else:
        key = (job.service_type if job else body.service_type or "").strip().lower()
        required = tuple(required_for(db, [key]).get(key, [])) if key else ()
    target = JobToPlace(ws, we, site, timedelta(minutes=body.duration_min) if body.duration_min else None, required,
                        job.customer.name if job else "", appt.id if appt else None)
    techs = day.rank_techs()
    drive = drive_times.for_eta(ctx.eta).function(drive_pairs(site, techs))
    now = ctx.clock.now()
    ranked = rank(target, techs, now, drive, tz, grace_min=_grace(db, ctx), exclude_unskilled=body.exclude_unskilled)
    db.commit()
    return {"appointment_id": target.appointment_id, "window_start": ws, "window_end": we,
            "required_skills": list(required), "computed_at": now, "time_zone": tz,
            "site": {"lat": site.lat, "lng": site.lng} if site else None,
            "top_pick": next((s.technician_id for s in ranked if s.top_pick), None),
            "suggestions": [s.to_dict() for s in ranked]}


def _leg(leg: Leg, tz: str) -> dict[str, Any]:
    v = leg.visit.visit
    return {"appointment_id": v.id, "label": v.label, "window_start": v.start, "window_end": v.end,
            "arrive_at": leg.arrive, "leave_at": leg.leave, "late_min": leg.late_min,
            "drive_min": round(leg.drive_min, 1), "pinned": v.pinned, "technician_id": leg.visit.technician_id,
            "site": _place(v.site)}


def _place(p: Place | None) -> dict[str, float] | None:
    return {"lat": p.lat, "lng": p.lng} if p is not None else None


@router.post("/dispatch/optimize", response_model=OptimizePublic)
def optimize_day(body: OptimizeIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """A proposal for the day (nothing is saved): per technician the visits before and after with times, what
    moves for whom, and totals before/after (drive minutes, visits at risk of missing their window)."""
    tz = ctx.company(db).time_zone
    grace = _grace(db, ctx)
    day = load_day(db, tz, body.date, body.technician_ids)
    if body.technician_ids and len(day.techs) != len(set(body.technician_ids)):
        missing = sorted(set(body.technician_ids) - set(day.techs))
        raise Invalid.field("technician_ids", f"no technician {', '.join(map(str, missing))}")
    now = ctx.clock.now()
    start, end = day_bounds(body.date, tz)
    rows = [r for r in day.visits if r.technician_id in day.techs or
            (r.technician_id is None and body.include_unassigned)]
    sites = [r.visit.site for r in rows if r.visit.site]
    starts = [p for p in day.positions.values()]
    pts = list(dict.fromkeys(starts + sites))
    drive = drive_times.for_eta(ctx.eta).function((a, b) for a in pts for b in sites if a != b)
    techs = []
    for t in day.techs.values():
        hours = day.hours.get(t.id)
        shift = hours.interval(body.date, tz) if hours else None
        free_from = max(now, shift[0] if shift else start)
        breaks = tuple((o.starts_at, o.ends_at) for o in day.time_off.get(t.id, []))
        if hours is not None and shift is None:
            breaks = ((start, end),)  # a day off: only visits already booked with them stay
        mine = [r.visit for r in rows if r.technician_id == t.id]
        techs.append(prepare_tech(t.id, t.name, mine, day.positions.get(t.id), free_from, now, drive,
                                  shift_end=shift[1] if shift else None, breaks=breaks,
                                  skills=frozenset(day.skills.get(t.id, [])), grace_min=grace))
    visits = [OptVisit(r.visit, r.technician_id, r.version, r.required) for r in rows]
    p = optimize(techs, visits, drive, grace_min=grace, time_limit_s=body.time_limit_s)
    names = {t.id: t.name for t in day.techs.values()}
    moves = []
    for c in p.changes:
        frm, to = names.get(c["from_technician_id"], "Unassigned"), names[c["technician_id"]]
        old = time_range(c["from_window_start"], c["from_window_end"], tz)
        new = time_range(c["window_start"], c["window_end"], tz)
        words = f"{c['label']}: {frm} → {to}" if c["from_technician_id"] != c["technician_id"] else f"{c['label']}:"
        if (c["window_start"], c["window_end"]) != (c["from_window_start"], c["from_window_end"]):
            words += f" moves from {old} to {new}"
        else:
            words += f", {new}"
        moves.append({**c, "words": words, "from_technician_name": frm if c["from_technician_id"] else None,
                      "technician_name": to})
    db.commit()
    return {
        "date": body.date, "time_zone": tz, "computed_at": now, "solve_s": round(p.solve_s, 2),
        "technicians": [{"technician_id": t.id, "name": t.name, "start": _place(t.start_place),
                         "locked": [{"appointment_id": v.id, "label": v.label, "status": v.status,
                                     "window_start": v.start, "window_end": v.end} for v in t.locked],
                         "before": [_leg(leg, tz) for leg in p.before.get(t.id, [])],
                         "after": [_leg(leg, tz) for leg in p.after.get(t.id, [])]} for t in techs],
        "moves": moves,
        "changes": [{k: c[k] for k in ("appointment_id", "version", "technician_id", "window_start", "window_end")}
                    for c in p.changes],
        "unplaced": [{"appointment_id": v.id, "label": v.visit.label} for v in p.unplaced],
        "totals": {"before": p.totals_before, "after": p.totals_after}, "notes": p.notes,
    }


def _visit_words(a: Appointment, tz: str) -> str:
    return f"{a.job.customer.name}'s visit ({window_text(a.window_start, a.window_end, tz)})"


@router.post("/dispatch/apply", response_model=AppliedPlanPublic,
             responses=errors(404, 409, 412, s404="An appointment or technician in the plan no longer exists; nothing "
                                                 "was saved.",
                              s409="A change would clash with a technician's schedule; nothing was saved.",
                              s412="An appointment changed after the plan was made; nothing was saved."))
def apply_plan(body: ApplyIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Save every change as one batch: each appointment must still have the version sent (else 412 naming it, and
    nothing is saved); each change goes through the usual schedule change (audited, conflict-checked); customers
    are texted only with `notify_customers`, at most once per appointment. Returns the saved appointments and the
    batch that undoes this one."""
    ids = [c.appointment_id for c in body.changes]
    if len(ids) != len(set(ids)):
        raise Invalid.field("changes", "each appointment may appear once in a batch")
    tz = ctx.company(db).time_zone
    rows = {a.id: a for a in db.scalars(locked(select(Appointment).where(Appointment.id.in_(sorted(ids))))
                                        .order_by(Appointment.id))}
    for c in body.changes:
        a = rows.get(c.appointment_id)
        if a is None:
            raise NotFound(f"No appointment {c.appointment_id}; nothing was saved.")
        if a.version != c.version:
            raise VersionMismatch(
                f"{_visit_words(a, tz)} was changed by {a.updated_by or 'someone else'} after this plan was made, "
                "so nothing was saved. Optimize again to get a plan from the board as it is now.",
                {"appointment_id": a.id, "current_version": a.version, "sent_version": c.version,
                 "updated_by": a.updated_by, "current": to_public(a)})
    undo, saved = [], []
    by = who(user)
    for c in body.changes:
        a = rows[c.appointment_id]
        before = {"appointment_id": a.id, "technician_id": a.technician_id, "window_start": a.window_start,
                  "window_end": a.window_end}
        changed = ops.change_schedule(db, ctx, a, user, technician_id=c.technician_id, unassign=c.technician_id is None,
                                      window_start=c.window_start, window_end=c.window_end,
                                      notify_customer=body.notify_customers)
        if changed:
            undo.append(before)
            saved.append(a)
    for a in saved:  # after the whole batch, so swaps inside it are not conflicts
        conflict_guard.enforce(db, ctx, a, allow_conflicts=False, who=by)
    audit(db, ctx.clock.now(), "dispatch.plan_applied", "appointment", None, user,
          {"appointments": [a.id for a in saved], "notify_customers": body.notify_customers})
    db.commit()
    return {"saved": [to_public(a) for a in saved],
            "undo": {"changes": [{**u, "version": rows[u["appointment_id"]].version} for u in undo],
                     "notify_customers": body.notify_customers}}


@router.post("/appointments/{appt_id}/pin", response_model=AppointmentPublic, responses=errors(412))
def pin(appt_id: int, body: PinIn, user: Dispatcher, ctx: Ctx, db: Db, response: Response,
        if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Pin a visit (the optimizer keeps its technician and window) or unpin it; audited. If-Match optional."""
    appt = db.scalar(locked(select(Appointment).where(Appointment.id == appt_id)))
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    if if_match is not None:
        ops.check_version(appt, ops.parse_if_match(if_match))
    if appt.pinned != body.pinned:
        now = ctx.clock.now()
        appt.pinned = body.pinned
        ops.bump(appt, who(user), now)
        audit(db, now, "appointment.pinned" if body.pinned else "appointment.unpinned", "appointment", appt.id, user)
        db.flush()
        publish_appointment(db, appt, now)
        db.commit()
    response.headers["ETag"] = f'"{appt.version}"'
    return to_public(appt)


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
