"""The error format `{"error": {"code", "message", "details"}}`, for every error the backend can answer with."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import to_jsonable_python
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount, Route

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message", "details"}}`."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message, self.details, self.headers = message, details, headers


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Invalid(ApiError):
    status, code = 422, "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class InvalidTransition(ApiError):
    status, code = 409, "invalid_transition"


class VersionMismatch(ApiError):
    status, code = 412, "version_mismatch"


class PreconditionRequired(ApiError):
    status, code = 428, "precondition_required"


class TooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class TooMany(ApiError):
    status, code = 429, "rate_limited"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_mismatch",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
}

_TYPE_HINTS = {
    "missing": "this field is required",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "datetime_parsing": "must be an ISO 8601 date-time such as 2026-11-22T09:00:00-06:00",
    "datetime_from_date_parsing": "must be an ISO 8601 date-time such as 2026-11-22T09:00:00-06:00",
    "datetime_type": "must be an ISO 8601 date-time such as 2026-11-22T09:00:00-06:00",
    "date_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date as YYYY-MM-DD",
    "date_type": "must be a date as YYYY-MM-DD",
    "enum": "must be one of the listed values",
    "literal_error": "must be one of the listed values",
    "list_type": "must be a list",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "extra_forbidden": "is not a known field; remove it",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": to_jsonable_python(details, fallback=str)}}


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def describe_validation(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """Turn pydantic errors into one readable sentence and a per-field list."""
    details: list[dict[str, str]] = []
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            where = f" ({ctx.get('error')})" if ctx.get("error") else ""
            return (
                f"The request body is not valid JSON{where}. Send a JSON object.",
                [{"field": "body", "message": "not valid JSON"}],
            )
        field = _field_name(err.get("loc", ()))
        hint = _TYPE_HINTS.get(err.get("type", ""))
        msg = err.get("msg", "is not valid")
        if err.get("type") in ("enum", "literal_error") and err.get("ctx", {}).get("expected"):
            hint = f"must be one of {err['ctx']['expected']}"
        if err.get("type") == "value_error":
            msg = msg.removeprefix("Value error, ")
            hint = None
        details.append({"field": field, "message": hint or msg})
    text = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return f"Invalid input — {text}.", details


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (Starlette's own 405 names only the first route's)."""
    from fastapi import routing

    flatten = getattr(routing, "iter_route_contexts", None)
    path = request.scope["path"]
    methods: set[str] = set()
    for route in flatten(request.app.routes) if flatten is not None else request.app.routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            if path.startswith(original.path + "/"):
                methods |= {"GET", "HEAD"}  # static files
        elif isinstance(original, Route) and route.path_regex.match(path):
            methods |= route.methods or set()
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, validation and unexpected ones included, in that format."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = describe_validation(list(exc.errors()))
        return JSONResponse(error_body("validation_error", message, details), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = "The request body could not be read. Send a JSON object in UTF-8 (or the form this takes)."
        if exc.status_code == 404 and message == "Not Found":
            message = f"Nothing at {request.url.path}."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return JSONResponse(error_body(code, message), exc.status_code, headers=headers)

    # Safety nets: input the checks before the database missed is still the client's to fix, never a 500.
    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("database constraint refused %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse(error_body(
            "conflict", "This conflicts with something already saved (a value that must be unique is taken, or "
                        "something it refers to no longer exists). Reload, check and try again."), 409)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    @app.exception_handler(UnicodeError)
    async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("value not storable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body(
            "validation_error", "A value in this request cannot be stored: a number is too large, or text "
                                "contains characters that are not allowed. Check the values and try again."), 422)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # A row changed between reading and writing it (the compare-and-set on its version failed).
        return JSONResponse(error_body(
            "conflict", "Someone else changed this at the same moment. Reload it and try again."), 409)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on the server. Please try again."), 500
        )
