"""Portable SQL pieces for the insights queries: epoch seconds, minutes between times, local-day buckets and
nearest-rank percentiles — each compiles to plain SQL on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from models.tables import UTCDateTime


class epoch_seconds(FunctionElement[float]):  # noqa: N801 (SQL function style)
    """Seconds since 1970-01-01 UTC of a UTC timestamp column, as a float."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds)
def _epoch_pg(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # SQLite keeps naive UTC text ('2026-11-03 15:04:05.000000'); julianday() reads it.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


class floor_int(FunctionElement[int]):  # noqa: N801
    """floor() of a non-negative number, as an integer."""

    type = Integer()
    inherit_cache = True
    name = "floor_int"


@compiles(floor_int)
def _floor_pg(element: floor_int, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(floor_int, "sqlite")
def _floor_sqlite(element: floor_int, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"  # truncation = floor for x >= 0


def minutes_between(later: Any, earlier: Any) -> ColumnElement[float]:
    return (epoch_seconds(later) - epoch_seconds(earlier)) / 60.0


def at(value: datetime) -> ColumnElement[datetime]:
    """A UTC instant as a bound parameter stored exactly like the timestamp columns."""
    return literal(value, UTCDateTime())


def local_seconds(ts: Any, steps: list[tuple[datetime | None, int]]) -> ColumnElement[float]:
    """Seconds since the epoch on the company's wall clock: UTC epoch + the offset in force at `ts`."""
    if len(steps) == 1:
        return epoch_seconds(ts) + steps[0][1]
    whens = [(ts < at(steps[i + 1][0]), off) for i, (_, off) in enumerate(steps[:-1])]  # type: ignore[arg-type]
    return epoch_seconds(ts) + case(*whens, else_=steps[-1][1])


def day_key(ts: Any, steps: list[tuple[datetime | None, int]]) -> ColumnElement[int]:
    """The local calendar day of `ts` as days since 1970-01-01 (models.insights.day_number)."""
    return floor_int(local_seconds(ts, steps) / 86400)


def week_key(ts: Any, steps: list[tuple[datetime | None, int]]) -> ColumnElement[int]:
    """The local Monday-based week of `ts` (models.insights.week_number)."""
    return floor_int((local_seconds(ts, steps) + 3 * 86400) / (7 * 86400))


def percentiles(db: Session, value: Any, group: Any, where: list[Any], froms: Any,
                percents: tuple[int, ...] = (50, 90)) -> dict[Any, dict[int, float]]:
    """Nearest-rank percentiles of `value` per `group` (a literal for one overall group), all in SQL:
    rank rows with ROW_NUMBER() within their group, keep the rows at rank ceil(n·p/100)
    (models.insights.nearest_rank)."""
    inner = (select(group.label("g"), value.label("v"),
                    func.row_number().over(partition_by=group, order_by=value).label("rn"),
                    func.count().over(partition_by=group).label("n"))
             .select_from(froms).where(and_(*where), value.is_not(None))).subquery()
    cols = [func.min(case((inner.c.rn == (inner.c.n * p + 99) // 100, inner.c.v))).label(f"p{p}")
            for p in percents]
    keep = or_(*[inner.c.rn == (inner.c.n * p + 99) // 100 for p in percents])
    rows = db.execute(select(inner.c.g, *cols).where(keep).group_by(inner.c.g)).all()
    return {r[0]: {p: (round(float(r[i + 1]), 1) if r[i + 1] is not None else None)
                   for i, p in enumerate(percents)} for r in rows}


__all__ = ["at", "day_key", "epoch_seconds", "floor_int", "local_seconds", "minutes_between", "percentiles",
           "week_key"]
