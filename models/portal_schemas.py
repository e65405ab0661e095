"""Request bodies of the customer portal API (pydantic)."""

from __future__ import annotations

from pydantic import Field, model_validator

from models.schemas import Body, Id


class MagicLinkIn(Body):
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one(self) -> MagicLinkIn:
        if not (self.email or "").strip() and not (self.phone or "").strip():
            raise ValueError("give the email address or the mobile number we have on file")
        if self.email and "@" not in self.email:
            raise ValueError("email must look like name@example.com")
        return self


class ChangeRequestIn(Body):
    appointment_id: Id
    message: str = Field(min_length=1, max_length=2000)


class NoteTextIn(Body):
    text: str = Field(min_length=1, max_length=2000)


class SurveyIn(Body):
    score: int = Field(ge=0, le=10)
    categories: list[str] = Field(default_factory=list, max_length=20)
    comment: str = Field(default="", max_length=4000)


class PhotoShareIn(Body):
    shared_with_customer: bool
