"""Server-side search: appointments on any date, and customers with their past and upcoming visits.

A query is split into words; every word must match one of the fields (customer name, email, address, city,
ZIP, job address, service type). A query that reads as a phone number matches stored numbers by digits,
however either was formatted. Appointments come nearest to now first (upcoming and past interleaved).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from models import phones
from models.enums import AppointmentStatus
from models.status_machine import CONSOLE_LABELS
from models.tables import Appointment, Customer, Job, Technician


def _digits(col: Any) -> ColumnElement[Any]:
    """The column's digits only (SQL on SQLite and PostgreSQL alike)."""
    expr = col
    for ch in (" ", "-", "(", ")", ".", "+", "/"):
        expr = func.replace(expr, ch, "")
    return expr


def _like(term: str) -> str:
    esc = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc}%"


def where(query: str, region: str, *, jobs: bool) -> ColumnElement[bool] | None:
    """The condition for `query` (None for an empty one): all words match, or the phone digits do."""
    words = query.split()
    if not words:
        return None
    fields = [Customer.name, Customer.email, Customer.address, Customer.city, Customer.zip]
    if jobs:
        fields += [Job.address, Job.service_type]
    per_word = [or_(*[func.lower(f).like(_like(w), escape="\\") for f in fields]) for w in words]
    text = and_(*per_word)
    d = phones.search_digits(query, region)
    if d is None:
        return text
    return or_(text, _digits(Customer.phone).like(f"%{d}%"))


def _hit(r: Any, region: str) -> dict[str, Any]:
    return {"id": r.id, "window_start": r.window_start, "window_end": r.window_end, "status": r.status,
            "status_label": CONSOLE_LABELS[AppointmentStatus(r.status)], "technician_id": r.technician_id,
            "technician_name": r.technician_name, "customer_id": r.customer_id, "customer_name": r.customer_name,
            "customer_phone": r.customer_phone, "phone_display": phones.display(r.customer_phone, region),
            "address": r.address, "service_type": r.service_type}


def search_appointments(db: Session, query: str, now: datetime, region: str, *, limit: int = 50,
                        offset: int = 0) -> dict[str, Any]:
    """{query, total, items}: matching appointments of any date, nearest to `now` first."""
    cond = where(query, region, jobs=True)
    if cond is None:
        return {"query": query, "total": 0, "items": []}
    base = (select(Appointment.id, Appointment.window_start, Appointment.window_end, Appointment.status,
                   Appointment.technician_id, Technician.name.label("technician_name"),
                   Customer.id.label("customer_id"), Customer.name.label("customer_name"),
                   Customer.phone.label("customer_phone"),
                   func.coalesce(func.nullif(Job.address, ""), Customer.address).label("address"),
                   Job.service_type)
            .join(Job, Appointment.job_id == Job.id).join(Customer, Job.customer_id == Customer.id)
            .outerjoin(Technician, Appointment.technician_id == Technician.id).where(cond))
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    n = offset + limit
    ahead = db.execute(base.where(Appointment.window_start >= now)
                       .order_by(Appointment.window_start, Appointment.id).limit(n)).all()
    behind = db.execute(base.where(Appointment.window_start < now)
                        .order_by(Appointment.window_start.desc(), Appointment.id.desc()).limit(n)).all()
    rows = sorted(ahead + behind, key=lambda r: abs((r.window_start - now).total_seconds()))[offset:offset + limit]
    return {"query": query, "total": total, "items": [_hit(r, region) for r in rows]}


def _visit(r: Any) -> dict[str, Any]:
    return {"id": r.id, "window_start": r.window_start, "window_end": r.window_end, "status": r.status,
            "status_label": CONSOLE_LABELS[AppointmentStatus(r.status)], "service_type": r.service_type,
            "technician_name": r.technician_name}


def visit_summaries(db: Session, customer_ids: list[int], now: datetime, per_side: int = 3
                    ) -> dict[int, dict[str, Any]]:
    """Per customer: counts of past and upcoming visits (cancelled aside) and the nearest few of each."""
    out: dict[int, dict[str, Any]] = {c: {"past": 0, "upcoming": 0, "recent": [], "next": []} for c in customer_ids}
    if not customer_ids:
        return out
    live = and_(Job.customer_id.in_(customer_ids), Appointment.status != "cancelled")
    future = Appointment.window_start >= now
    counts = db.execute(
        select(Job.customer_id, func.sum(case((future, 1), else_=0)), func.sum(case((future, 0), else_=1)))
        .select_from(Appointment).join(Job, Appointment.job_id == Job.id).where(live).group_by(Job.customer_id))
    for cid, upcoming, past in counts:
        out[cid]["upcoming"], out[cid]["past"] = int(upcoming or 0), int(past or 0)
    for side, order in (("next", Appointment.window_start.asc()), ("recent", Appointment.window_start.desc())):
        cond = future if side == "next" else ~future
        ranked = (select(Appointment.id, Appointment.window_start, Appointment.window_end, Appointment.status,
                         Job.service_type, Technician.name.label("technician_name"), Job.customer_id,
                         func.row_number().over(partition_by=Job.customer_id, order_by=order).label("n"))
                  .join(Job, Appointment.job_id == Job.id)
                  .outerjoin(Technician, Appointment.technician_id == Technician.id)
                  .where(live, cond).subquery())
        for r in db.execute(select(ranked).where(ranked.c.n <= per_side).order_by(ranked.c.customer_id,
                                                                                  ranked.c.n)):
            out[r.customer_id][side].append(_visit(r))
    return out


def search_customers(db: Session, query: str, now: datetime, region: str, *, limit: int = 200
                     ) -> list[dict[str, Any]]:
    """Customers by name (or matching `query`), each with a display phone and a summary of their visits."""
    from services.backend.routes.staff import customer_public

    stmt = select(Customer).order_by(Customer.name, Customer.id).limit(max(1, min(limit, 1000)))
    cond = where(query, region, jobs=False)
    if cond is not None:
        stmt = stmt.where(cond)
    found = list(db.scalars(stmt))
    visits = visit_summaries(db, [c.id for c in found], now)
    return [{**customer_public(c), "phone_display": phones.display(c.phone, region), "visits": visits[c.id]}
            for c in found]
