"""Path and query values no database can take are answered before any route sees them: 404 for a path
value (no such object can exist), 422 naming the parameter for a query value.

- Whole numbers beyond their column: path parameters and query parameters named `…_id` are object ids
  (32-bit integer columns on PostgreSQL); other whole-number query parameters (counts, event ids) must fit
  64 bits.
- Text with NUL characters or unpaired surrogates (PostgreSQL stores neither).

One app-wide dependency, so every route, present and future, is covered through its own declared parameter
types. Request bodies use the types and checks of `models.schemas`."""

from __future__ import annotations

import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.routing import APIRoute

from models.schemas import MAX_ID, MAX_INT, storable
from services.backend.contract import answers
from services.backend.errors import Invalid, NotFound

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, UnionType):
        return int in get_args(annotation)
    return False


def _int_params(route: APIRoute) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(path, query) names of the route's whole-number parameters, its dependencies' included."""
    found: tuple[tuple[str, ...], tuple[str, ...]] | None = getattr(route, "_int_params", None)
    if found is None:
        path: list[str] = []
        query: list[str] = []
        todo = [route.dependant]
        while todo:
            dep = todo.pop()
            path += [f.alias for f in dep.path_params if _is_int(f.field_info.annotation)]
            query += [f.alias for f in dep.query_params if _is_int(f.field_info.annotation)]
            todo.extend(dep.dependencies)
        found = (tuple(dict.fromkeys(path)), tuple(dict.fromkeys(query)))
        route._int_params = found  # type: ignore[attr-defined]  # worked out once per route
    return found


def out_of_range(value: str | None, largest: int = MAX_INT) -> bool:
    """True for a whole number beyond ±`largest` (anything that is not a whole number is left to the usual
    validation, which names it)."""
    if value is None or not _INTEGER.match(value):
        return False
    digits = value.strip().lstrip("+-")
    return len(digits) > 19 or not -largest - 1 <= int(value) <= largest


@answers(422)  # any query string can carry a value no database takes (404s come with path parameters)
async def check(request: Request) -> None:
    """The app-wide dependency."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    for value in request.path_params.values():
        if isinstance(value, str) and not storable(value):
            raise NotFound(f"Nothing at {request.url.path}.")
    for name, value in request.query_params.multi_items():
        if not storable(value):
            raise Invalid.field(name, "must not contain NUL characters or invalid Unicode")
    path_names, query_names = _int_params(route)
    for name in path_names:
        if out_of_range(request.path_params.get(name), MAX_ID):
            raise NotFound(f"Nothing at {request.url.path}.")
    for name in query_names:
        largest = MAX_ID if name.endswith("_id") else MAX_INT
        if any(out_of_range(v, largest) for v in request.query_params.getlist(name)):
            raise Invalid.field(name, f"must be a whole number from {-largest - 1} to {largest}")
