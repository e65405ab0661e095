"""Tables of smart dispatch: skill tags, the skills each technician has, the skills a service type requires, and
service zones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.orm_base import Base


class Skill(Base):
    """A skill or trade tag an administrator manages ("HVAC", "Plumbing", "EPA 608"); names are unique
    case-insensitively (`name_key` is the lower-cased name)."""

    __tablename__ = "skills"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]


class TechnicianSkill(Base):
    """A skill a technician has."""

    __tablename__ = "technician_skills"
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)


class ServiceSkill(Base):
    """A skill a service type requires (service types are the company's bookable services, or free text);
    `service_key` is the lower-cased service name."""

    __tablename__ = "service_skills"
    service_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    service_type: Mapped[str] = mapped_column(String(200))


class Zone(Base):
    """A named service zone: a polygon (`[[lat, lng], …]`) and/or a list of ZIP codes (models/zones.py)."""

    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(9), default="")
    polygon: Mapped[list[Any]] = mapped_column(default=list)
    zips: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
