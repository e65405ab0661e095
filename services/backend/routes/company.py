"""GET /api/v1/company: the company's name, phone and time zone for every signed-in client."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from models.public.staff import CompanyPublic
from services.backend.deps import Ctx, CurrentUser, Db

router = APIRouter(prefix="/api/v1", tags=["company"])


@router.get("/company", response_model=CompanyPublic)
def get_company(user: CurrentUser, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Public company facts: name, phone, email, time zone (IANA), booking switches, the customers' portal link
    and whether customers are texted about a reschedule or reassignment by default."""
    c = ctx.company(db)
    return {
        "name": c.name, "phone": c.phone, "email": c.email, "time_zone": c.time_zone,
        "booking_enabled": c.booking_enabled, "show_bios": c.show_bios, "has_logo": c.logo_png is not None,
        "portal_url": ctx.link("/portal/schedule"),
        "text_customer_on_reschedule": bool(ctx.setting(db, "text_customer_on_reschedule")),
        "text_customer_on_reassign": bool(ctx.setting(db, "text_customer_on_reassign")),
    }
