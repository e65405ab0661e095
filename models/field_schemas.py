"""Request bodies of the field app and the pairing / device endpoints (pydantic)."""

from __future__ import annotations

from pydantic import Field

from models.schemas import Body


class TeamNoteIn(Body):
    text: str = Field(min_length=1, max_length=4000)


class DeviceIn(Body):
    label: str = Field(default="", max_length=200)
