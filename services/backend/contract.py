"""What `/openapi.json` says each operation can answer, worked out from the routes themselves.

Every error is `{"error": {"code", "message", "details"}}` (models/public/common.py `ErrorResponse`). Which
statuses an operation documents follows from what it declares, so a new route is documented the moment it is
written:

- a dependency marked with `answers(...)`: signed in (401), a role or a preview session refused (403), the
  portal's CSRF check on state-changing methods (403), the app-wide parameter guard (422);
- a path parameter: 404 (nothing there, or not yours); a query parameter, header or body: 422; a body: 400
  as well (one that cannot be decoded at all);
- an `If-Match` header: 412 (someone else changed it first) and 428 (a change that needs it came without it);
- statuses a route answers from its own logic (409 for a refused transition, 413 for an upload, …) are listed
  on the route with `responses=errors(409, ...)`.

FastAPI's default 422 `{"detail": [...]}` schema (never sent) is replaced everywhere. docs/api.md is the
contract in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from models.public.common import ErrorResponse

F = TypeVar("F", bound=Callable[..., Any])

#: What each error status means, as the schema describes it unless a route says more.
STATUS_TEXT: dict[int, str] = {
    400: "Bad request: the body could not be read (malformed JSON or form data).",
    401: "Not signed in, or the session or token has expired.",
    403: "Signed in but not allowed (role, read-only preview, or a missing CSRF token on a cookie session).",
    404: "Not found — or not yours: the same answer whether it exists for someone else or not at all.",
    409: "Conflict: the state machine refuses this change (the message names the allowed ones), or it clashes "
         "with something already saved.",
    412: "`If-Match` names an older version: someone else changed it first. Reload and try again.",
    413: "Upload too large (bytes or pixels).",
    415: "Unsupported content type for this body.",
    422: "Invalid input: `details` names each field, parameter or header and what to fix.",
    428: "This change needs an `If-Match` header with the version (ETag) you last read.",
    429: "Too many attempts: wait `Retry-After` seconds.",
    502: "An outside service this depends on did not answer.",
    503: "Not available right now (not configured, or the database is unreachable).",
}

#: Headers that come with some errors.
ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer` on the bearer-token API", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}},
}

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def answers(*statuses: int, methods: Iterable[str] | None = None) -> Callable[[F], F]:
    """Mark a dependency: every route that depends on it can answer these statuses (only for `methods`, if
    given)."""

    def mark(fn: F) -> F:
        fn.__answers__ = (frozenset(statuses), frozenset(methods) if methods else None)  # type: ignore[attr-defined]
        return fn

    return mark


def errors(*statuses: int, **notes: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's own error statuses; `notes` (`s409="…"`) say more than STATUS_TEXT."""
    return {s: {"description": notes.get(f"s{s}", STATUS_TEXT.get(s, "Error"))} for s in statuses}


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route as mounted (with its router's prefix and dependencies), included routers flattened."""
    from fastapi import routing

    flatten = getattr(routing, "iter_route_contexts", None)
    for route in flatten(app.routes) if flatten is not None else app.routes:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def _dependants(dependant: Dependant) -> Iterable[Dependant]:
    todo = [dependant]
    while todo:
        dep = todo.pop()
        yield dep
        todo.extend(dep.dependencies)


def error_statuses(route: Any) -> set[int]:
    """Every error status `route` can answer."""
    found: set[int] = {s for s in _declared(route) if s >= 400}
    for dep in _dependants(route.dependant):
        mark = getattr(dep.call, "__answers__", None)
        if mark is not None and (mark[1] is None or route.methods & mark[1]):
            found |= mark[0]
        if dep.path_params:
            found.add(404)
        if dep.query_params or dep.header_params or dep.body_params:
            found.add(422)
        if dep.body_params:
            found.add(400)  # a body that cannot even be decoded (e.g. not UTF-8)
        headers = {p.alias.lower() for p in dep.header_params}
        if "if-match" in headers:
            found |= {412, 428}
    return found


def _declared(route: Any) -> set[int]:
    out = set()
    for key in route.responses:
        try:
            out.add(int(key))
        except ValueError:
            pass
    return out


def document(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Put every operation's error statuses, with the real error schema, into `schema` (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorResponse"] = error_schema
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        statuses = error_statuses(route)
        for method in route.methods:
            op = schema["paths"][route.path_format][method.lower()]
            responses = op.setdefault("responses", {})
            for status in sorted(statuses):
                current = responses.get(str(status), {})
                description = current.get("description") or STATUS_TEXT.get(status, "Error")
                if status == 422 and current.get("description") == "Validation Error":  # FastAPI's own
                    description = STATUS_TEXT[422]
                entry: dict[str, Any] = {"description": description,
                                         "content": {"application/json": {"schema": ERROR_REF}}}
                if status in ERROR_HEADERS:
                    entry["headers"] = ERROR_HEADERS[status]
                responses[str(status)] = entry
            op["responses"] = dict(sorted(responses.items()))
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, which is never sent
        components.pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    """Serve the documented schema as /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                                 description=app.description, routes=app.routes, tags=app.openapi_tags,
                                 servers=app.servers)
            app.openapi_schema = document(app, schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
