"""Skills, technicians' skills, the skills each service requires, and service zones (admins write; audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import delete, select

from models.dispatch_schemas import ServiceSkillsIn, SkillIn, SkillListIn, ZoneIn, ZonePatch
from models.events import EventName
from models.public.dispatch import ServiceSkillsPublic, SkillPublic, TechnicianSkillsPublic, ZonePublic
from models.tables import ServiceSkill, Skill, Technician, TechnicianSkill, User, Zone
from models.zones import ZoneError, clean_polygon, clean_zips, shape_from_row, zones_for
from services.backend.audit import audit
from services.backend.contract import errors
from services.backend.deps import Admin, Ctx, Db, Dispatcher
from services.backend.dispatch_data import required_for, skills_of
from services.backend.errors import Conflict, Invalid, NotFound
from services.backend.events import publish

router = APIRouter(prefix="/api/v1", tags=["skills and zones"])


def _changed(db: Db, ctx: Ctx, user: User, action: str, target: str, target_id: int | None, details: dict[str, Any],
             event: EventName, data: dict[str, Any]) -> None:
    now = ctx.clock.now()
    audit(db, now, action, target, target_id, user, details)
    publish(db, event.value, data, now)


def _skill(db: Db, skill_id: int) -> Skill:
    s = db.get(Skill, skill_id)
    if s is None:
        raise NotFound(f"No skill {skill_id}.")
    return s


def _unique_skill(db: Db, name: str, but: int | None = None) -> None:
    other = db.scalar(select(Skill).where(Skill.name_key == name.lower()))
    if other is not None and other.id != but:
        raise Conflict(f"A skill named '{other.name}' already exists.", {"field": "name", "id": other.id})


def _by_names(db: Db, names: list[str], field: str) -> list[Skill]:
    """Skills named (any case), in the order given; 422 naming any unknown one."""
    out: list[Skill] = []
    for n in dict.fromkeys(x.strip() for x in names if x.strip()):
        s = db.scalar(select(Skill).where(Skill.name_key == n.lower()))
        if s is None:
            raise Invalid.field(field, f"no skill named '{n}'; add it under Skills first")
        if s not in out:
            out.append(s)
    return out


# --- skills -------------------------------------------------------------------------------------------------
@router.get("/skills", response_model=list[SkillPublic])
def list_skills(user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    """Every skill tag, by name, with how many technicians have it and which services require it."""
    techs: dict[int, int] = {}
    for sid in db.scalars(select(TechnicianSkill.skill_id)):
        techs[sid] = techs.get(sid, 0) + 1
    services: dict[int, list[str]] = {}
    for sid, st in db.execute(select(ServiceSkill.skill_id, ServiceSkill.service_type)):
        services.setdefault(sid, []).append(st)
    return [{"id": s.id, "name": s.name, "technicians": techs.get(s.id, 0), "services": sorted(services.get(s.id, []))}
            for s in db.scalars(select(Skill).order_by(Skill.name_key))]


@router.post("/skills", status_code=201, response_model=SkillPublic,
              responses=errors(409, s409="A skill with that name exists."))
def add_skill(body: SkillIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Add a skill tag (admins): "HVAC", "EPA 608"; names are unique whatever their case."""
    _unique_skill(db, body.name)
    s = Skill(name=body.name, name_key=body.name.lower(), created_at=ctx.clock.now())
    db.add(s)
    db.flush()
    _changed(db, ctx, user, "skill.added", "skill", s.id, {"name": s.name}, EventName.SKILLS_UPDATED, {"id": s.id})
    db.commit()
    return {"id": s.id, "name": s.name, "technicians": 0, "services": []}


@router.patch("/skills/{skill_id}", response_model=SkillPublic,
               responses=errors(409, s409="A skill with that name exists."))
def rename_skill(skill_id: int, body: SkillIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Rename a skill (admins); technicians and services keep it."""
    s = _skill(db, skill_id)
    _unique_skill(db, body.name, but=s.id)
    before = s.name
    s.name, s.name_key = body.name, body.name.lower()
    _changed(db, ctx, user, "skill.renamed", "skill", s.id, {"before": before, "after": s.name},
             EventName.SKILLS_UPDATED, {"id": s.id})
    db.commit()
    techs = len(list(db.scalars(select(TechnicianSkill.technician_id).where(TechnicianSkill.skill_id == s.id))))
    services = sorted(db.scalars(select(ServiceSkill.service_type).where(ServiceSkill.skill_id == s.id)))
    return {"id": s.id, "name": s.name, "technicians": techs, "services": services}


@router.delete("/skills/{skill_id}", status_code=204)
def remove_skill(skill_id: int, user: Admin, ctx: Ctx, db: Db) -> Response:
    """Remove a skill (admins): technicians lose it and no service requires it any more."""
    s = _skill(db, skill_id)
    techs = list(db.scalars(select(TechnicianSkill.technician_id).where(TechnicianSkill.skill_id == s.id)))
    services = list(db.scalars(select(ServiceSkill.service_type).where(ServiceSkill.skill_id == s.id)))
    db.execute(delete(TechnicianSkill).where(TechnicianSkill.skill_id == s.id))
    db.execute(delete(ServiceSkill).where(ServiceSkill.skill_id == s.id))
    _changed(db, ctx, user, "skill.removed", "skill", s.id, {"name": s.name, "technicians": techs,
                                                            "services": services},
             EventName.SKILLS_UPDATED, {"id": s.id, "removed": True})
    db.delete(s)
    db.commit()
    return Response(status_code=204)


# --- technicians' skills ------------------------------------------------------------------------------------
@router.get("/technician-skills", response_model=list[TechnicianSkillsPublic])
def technician_skills(user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    """Every active technician with their skills."""
    skills = skills_of(db)
    techs = db.scalars(select(Technician).where(Technician.active.is_(True)).order_by(Technician.name))
    return [{"technician_id": t.id, "name": t.name, "skills": skills.get(t.id, [])} for t in techs]


@router.put("/technicians/{tech_id}/skills", response_model=TechnicianSkillsPublic)
def set_technician_skills(tech_id: int, body: SkillListIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Replace a technician's skills (admins)."""
    tech = db.get(Technician, tech_id)
    if tech is None:
        raise NotFound(f"No technician {tech_id}.")
    new = _by_names(db, body.skills, "skills")
    before = skills_of(db, [tech.id]).get(tech.id, [])
    db.execute(delete(TechnicianSkill).where(TechnicianSkill.technician_id == tech.id))
    for s in new:
        db.add(TechnicianSkill(technician_id=tech.id, skill_id=s.id))
    db.flush()
    after = skills_of(db, [tech.id]).get(tech.id, [])
    _changed(db, ctx, user, "technician.skills_changed", "technician", tech.id, {"before": before, "after": after},
             EventName.TECHNICIAN_UPDATED, {"id": tech.id, "skills": after})
    db.commit()
    return {"technician_id": tech.id, "name": tech.name, "skills": after}


# --- services' required skills ------------------------------------------------------------------------------
@router.get("/service-skills", response_model=list[ServiceSkillsPublic])
def service_skills(user: Dispatcher, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """The company's bookable services (and any other service with requirements) with the skills each needs."""
    bookable = list(ctx.company(db).bookable_services or [])
    others = sorted(set(db.scalars(select(ServiceSkill.service_type))) - set(bookable), key=str.lower)
    need = required_for(db, bookable + others)
    return [{"service_type": st, "bookable": st in bookable, "skills": need.get(st.strip().lower(), [])}
            for st in bookable + others]


@router.put("/service-skills", response_model=ServiceSkillsPublic)
def set_service_skills(body: ServiceSkillsIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Set the skills a service type requires (admins); an empty list means any technician may do it."""
    key = body.service_type.lower()
    new = _by_names(db, body.skills, "skills")
    before = required_for(db, [key]).get(key, [])
    db.execute(delete(ServiceSkill).where(ServiceSkill.service_key == key))
    for s in new:
        db.add(ServiceSkill(service_key=key, skill_id=s.id, service_type=body.service_type))
    db.flush()
    after = required_for(db, [key]).get(key, [])
    _changed(db, ctx, user, "service.skills_changed", "service", None,
             {"service_type": body.service_type, "before": before, "after": after},
             EventName.SKILLS_UPDATED, {"service_type": body.service_type})
    db.commit()
    bookable = body.service_type in (ctx.company(db).bookable_services or [])
    return {"service_type": body.service_type, "bookable": bookable, "skills": after}


# --- zones --------------------------------------------------------------------------------------------------
def zone_public(z: Zone) -> dict[str, Any]:
    return {"id": z.id, "name": z.name, "color": z.color, "polygon": z.polygon, "zips": z.zips}


def _zone(db: Db, zone_id: int) -> Zone:
    z = db.get(Zone, zone_id)
    if z is None:
        raise NotFound(f"No zone {zone_id}.")
    return z


def _check_zone(db: Db, name: str, polygon: list[Any], zips: list[Any], but: int | None = None
                ) -> tuple[list[Any], list[str]]:
    other = db.scalar(select(Zone).where(Zone.name_key == name.lower()))
    if other is not None and other.id != but:
        raise Conflict(f"A zone named '{other.name}' already exists.", {"field": "name", "id": other.id})
    try:
        poly, zs = clean_polygon(polygon), clean_zips(zips)
    except ZoneError as exc:
        raise Invalid.field(exc.field, exc.message) from None
    if not poly and not zs:
        raise Invalid.field("zips", "a zone needs ZIP codes or an outline (polygon) to know what is in it")
    return poly, zs


@router.get("/zones", response_model=list[ZonePublic])
def list_zones(user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    return [zone_public(z) for z in db.scalars(select(Zone).order_by(Zone.name_key))]


@router.get("/zones/locate", response_model=list[ZonePublic])
def locate(user: Dispatcher, db: Db,
           lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
           lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
           zip: Annotated[str, Query(max_length=20, description="ZIP code of the site")] = "",
           ) -> list[dict[str, Any]]:
    """The zones a site falls in (by ZIP or point)."""
    rows = list(db.scalars(select(Zone).order_by(Zone.name_key)))
    hit = {z.id for z in zones_for([shape_from_row(r) for r in rows], lat, lng, zip)}
    return [zone_public(z) for z in rows if z.id in hit]


@router.post("/zones", status_code=201, response_model=ZonePublic,
              responses=errors(409, s409="A zone with that name exists."))
def add_zone(body: ZoneIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Add a zone (admins): a name and ZIP codes and/or an outline."""
    poly, zs = _check_zone(db, body.name, body.polygon, body.zips)
    now = ctx.clock.now()
    z = Zone(name=body.name, name_key=body.name.lower(), color=body.color, polygon=poly, zips=zs, created_at=now,
             updated_at=now)
    db.add(z)
    db.flush()
    _changed(db, ctx, user, "zone.added", "zone", z.id, zone_public(z), EventName.ZONES_UPDATED, {"id": z.id})
    db.commit()
    return zone_public(z)


@router.patch("/zones/{zone_id}", response_model=ZonePublic,
               responses=errors(409, s409="A zone with that name exists."))
def change_zone(zone_id: int, body: ZonePatch, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    z = _zone(db, zone_id)
    before = zone_public(z)
    name = body.name if body.name is not None else z.name
    poly, zs = _check_zone(db, name, body.polygon if body.polygon is not None else z.polygon,
                           body.zips if body.zips is not None else z.zips, but=z.id)
    z.name, z.name_key, z.polygon, z.zips = name, name.lower(), poly, zs
    if body.color is not None:
        z.color = body.color
    z.updated_at = ctx.clock.now()
    _changed(db, ctx, user, "zone.changed", "zone", z.id, {"before": before, "after": zone_public(z)},
             EventName.ZONES_UPDATED, {"id": z.id})
    db.commit()
    return zone_public(z)


@router.delete("/zones/{zone_id}", status_code=204)
def remove_zone(zone_id: int, user: Admin, ctx: Ctx, db: Db) -> Response:
    z = _zone(db, zone_id)
    _changed(db, ctx, user, "zone.removed", "zone", z.id, zone_public(z), EventName.ZONES_UPDATED,
             {"id": z.id, "removed": True})
    db.delete(z)
    db.commit()
    return Response(status_code=204)
