"""Whole numbers in paths and query strings that no database column can hold (beyond signed 64 bits) are
answered before any route sees them: 404 for a path id (no such object can exist), 422 naming the parameter
for a query string. One app-wide dependency, so every route, present and future, is covered by its own
declared parameter types. Request bodies use the bounded types of `models.schemas`."""

from __future__ import annotations

import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.routing import APIRoute

from models.schemas import MAX_INT, MIN_INT
from services.backend.errors import Invalid, NotFound

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_FIELDS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, UnionType):
        return int in get_args(annotation)
    return False


def _int_params(route: APIRoute) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(path, query) names of the route's whole-number parameters, its dependencies' included."""
    found = _FIELDS.get(id(route))
    if found is None:
        path: list[str] = []
        query: list[str] = []
        todo = [route.dependant]
        while todo:
            dep = todo.pop()
            path += [f.alias for f in dep.path_params if _is_int(f.field_info.annotation)]
            query += [f.alias for f in dep.query_params if _is_int(f.field_info.annotation)]
            todo.extend(dep.dependencies)
        found = _FIELDS[id(route)] = (tuple(dict.fromkeys(path)), tuple(dict.fromkeys(query)))
    return found


def out_of_range(value: str | None) -> bool:
    """True for a whole number no 64-bit column can hold (anything else is left to the usual validation)."""
    if value is None or not _INTEGER.match(value):
        return False
    digits = value.strip().lstrip("+-")
    return len(digits) > 19 or not MIN_INT <= int(value) <= MAX_INT


async def check(request: Request) -> None:
    """The app-wide dependency."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    path_names, query_names = _int_params(route)
    for name in path_names:
        if out_of_range(request.path_params.get(name)):
            raise NotFound(f"Nothing at {request.url.path}.")
    for name in query_names:
        if any(out_of_range(v) for v in request.query_params.getlist(name)):
            raise Invalid.field(name, f"must be a whole number no larger than {MAX_INT}")
