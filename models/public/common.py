"""Shared pieces of the response models: the base class, the error body, small reusable shapes."""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict


def _open_ended(schema: dict[str, Any]) -> None:
    schema.pop("additionalProperties", None)  # the contract: field names may grow


class Public(BaseModel):
    """Base of every response model. Extra keys are refused when a route's dict is validated, so a dict that
    grows a field the model does not declare fails the tests instead of silently leaving the answer; the
    published schema stays open (clients must ignore fields they do not know)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_open_ended)


class FieldError(Public):
    field: str = Field(description="the field, parameter or header to fix (`a.b` for nested fields)")
    message: str = Field(description="what is wrong with it and how to fix it")


class ErrorBody(Public):
    code: str = Field(description="machine-readable: validation_error, unauthorized, forbidden, not_found, "
                                  "conflict, invalid_transition, schedule_conflict, version_mismatch, "
                                  "precondition_required, payload_too_large, rate_limited, …")
    message: str = Field(description="a sentence a person can act on")
    details: Any = Field(description="per-field problems (a list of {field, message}) for 400/422; "
                                                   "for 409 transitions the current state and the allowed moves; "
                                                   "else null")


class ErrorResponse(Public):
    """Every error the backend answers, whatever the status."""

    error: ErrorBody


class Accepted(Public):
    message: str


class Url(Public):
    url: str


def rows_adapter(model: type[Public]) -> TypeAdapter[Any]:
    """Checks and serialises a list of plain dicts exactly as a list of `model` would (same fields, types,
    constraints and order; a missing or unknown key is an error) without building a model instance per row:
    for long lists such as the day's appointments, where instances would double the cost."""
    fields: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        kind = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
        fields[name] = kind if f.is_required() else NotRequired[kind]
    row = TypedDict(f"{model.__name__}Row", fields)  # type: ignore[operator]
    row.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return TypeAdapter(list[row])
