"""Portal notification preferences: SMS, push, email, quiet hours; the rule they feed is in models/notifications.py."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from models.public.portal import PreferencesPublic
from models.schemas import Body
from models.status_machine import FINAL
from models.tables import Appointment, Customer, Job
from services.backend import csrf
from services.backend.audit import audit
from services.backend.deps import Ctx, Db
from services.backend.errors import Invalid
from services.backend.portal_auth import COOKIE, OptionalPortalUser, PortalCustomer, PortalWriter
from services.backend.templating import render

router = APIRouter(tags=["customer portal"], dependencies=[Depends(csrf.require(COOKIE))])
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def has_active_appointment(db: Db, customer_id: int) -> bool:
    """Whether the customer has a visit that is not over yet (then the arrival ping always goes out)."""
    n = db.scalar(
        select(func.count(Appointment.id)).join(Job, Job.id == Appointment.job_id)
        .where(Job.customer_id == customer_id, Appointment.status.not_in([s.value for s in FINAL] + ["paused"]))
    )
    return bool(n)


def prefs_public(db: Db, c: Customer) -> dict[str, Any]:
    return {
        "sms": c.notify_sms, "push": c.notify_push, "email": c.notify_email,
        "quiet_hours_start": c.quiet_hours_start, "quiet_hours_end": c.quiet_hours_end,
        "arrival_ping_locked": has_active_appointment(db, c.id),
    }


class PrefsIn(Body):
    sms: bool | None = None
    push: bool | None = None
    email: bool | None = None
    quiet_hours_start: str | None = None
    quiet_hours_end: str | None = None


def _apply(db: Db, ctx: Ctx, c: Customer, prefs: PrefsIn) -> dict[str, str]:
    """Validate and store; returns field → error message (nothing stored if any)."""
    errors: dict[str, str] = {}
    start, end = prefs.quiet_hours_start, prefs.quiet_hours_end
    start = (start or "").strip() or None
    end = (end or "").strip() or None
    for name, v in (("quiet_hours_start", start), ("quiet_hours_end", end)):
        if v is not None and not HHMM.match(v):
            errors[name] = "Use a time like 21:00."
    if (start is None) != (end is None) and not errors:
        errors["quiet_hours_end" if start else "quiet_hours_start"] = "Give both a start and an end, or neither."
    if start and end and start == end and not errors:
        errors["quiet_hours_end"] = "The end must differ from the start."
    if errors:
        return errors
    changes: dict[str, Any] = {}
    for field, col in (("sms", "notify_sms"), ("push", "notify_push"), ("email", "notify_email")):
        v = getattr(prefs, field)
        if v is not None and getattr(c, col) != v:
            changes[col] = [getattr(c, col), v]
            setattr(c, col, v)
    if (c.quiet_hours_start, c.quiet_hours_end) != (start, end):
        changes["quiet_hours"] = [[c.quiet_hours_start, c.quiet_hours_end], [start, end]]
        c.quiet_hours_start, c.quiet_hours_end = start, end
    if changes:
        audit(db, ctx.clock.now(), "customer.preferences", "customer", c.id, c, changes)
    db.commit()
    return {}


@router.get("/api/v1/portal/preferences", response_model=PreferencesPublic)
def get_prefs(user: PortalCustomer, db: Db) -> dict[str, Any]:
    """The signed-in customer's notification preferences."""
    return prefs_public(db, db.get(Customer, user.customer.id))  # type: ignore[arg-type]


@router.put("/api/v1/portal/preferences", response_model=PreferencesPublic)
def put_prefs(body: PrefsIn, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Change preferences. Quiet hours hold back non-urgent texts; the arrival ping is always sent."""
    c = db.get(Customer, user.customer.id)
    assert c is not None
    errors = _apply(db, ctx, c, body)
    if errors:
        raise Invalid("Invalid preferences — " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
                      [{"field": k, "message": v} for k, v in errors.items()])
    return prefs_public(db, c)


def _page(request: Request, ctx: Ctx, db: Db, user: Any, *, errors: dict[str, str] | None = None,
          values: dict[str, Any] | None = None, saved: bool = False, status: int = 200) -> HTMLResponse:
    c = db.get(Customer, user.customer.id)
    prefs = prefs_public(db, c)  # type: ignore[arg-type]
    if values:
        prefs.update(values)
    return render(request, "portal_preferences.html", status, company=ctx.company(db), preview=user.preview, user=user,
                  customer=c, prefs=prefs, errors=errors or {}, saved=saved)


@router.get("/portal/preferences", response_class=HTMLResponse, include_in_schema=False)
def prefs_page(request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    """The notification settings page."""
    if user is None:
        return RedirectResponse("/portal", 303)
    return _page(request, ctx, db, user, saved=request.query_params.get("saved") == "1")


@router.post("/portal/preferences", response_class=HTMLResponse, include_in_schema=False)
def prefs_submit(
    request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db,
    sms: Annotated[str | None, Form()] = None, push: Annotated[str | None, Form()] = None,
    email: Annotated[str | None, Form()] = None, quiet_hours_start: Annotated[str, Form()] = "",
    quiet_hours_end: Annotated[str, Form()] = "",
) -> Response:
    if user is None:
        return RedirectResponse("/portal", 303)
    if user.preview:
        return _page(request, ctx, db, user, errors={"form": "Preview — actions disabled."}, status=403)
    prefs = PrefsIn(sms=sms == "on", push=push == "on", email=email == "on", quiet_hours_start=quiet_hours_start,
                    quiet_hours_end=quiet_hours_end)
    c = db.get(Customer, user.customer.id)
    assert c is not None
    errors = _apply(db, ctx, c, prefs)
    if errors:
        values = {"sms": prefs.sms, "push": prefs.push, "email": prefs.email,
                  "quiet_hours_start": quiet_hours_start, "quiet_hours_end": quiet_hours_end}
        return _page(request, ctx, db, user, errors=errors, values=values, status=422)
    return RedirectResponse("/portal/preferences?saved=1", 303)
