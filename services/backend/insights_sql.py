"""Portable SQL pieces for the insights queries: epoch seconds, minutes between times, local-day buckets and
nearest-rank percentiles — each compiles to plain SQL on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Integer, and_, case, cast, column, func, literal, select, values
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


class unindexed(FunctionElement[Any]):  # noqa: N801
    """A column the SQLite planner must not use an index for (`+col`): a range on it is then a plain filter,
    and an index in GROUP BY order can be read instead of sorting every row. Plain `col` elsewhere."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, col: Any):
        super().__init__(col)
        self.type = col.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


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


def local_key(seconds: Any, steps: list[tuple[datetime | None, int]], weekly: bool) -> ColumnElement[int]:
    """The local day (models.insights.day_number) or Monday week (week_number) of a time given as epoch
    seconds: add the company time zone's UTC offset in force then (`steps`: models.insights.utc_offsets)."""
    offset: Any = steps[0][1]
    if len(steps) > 1:
        offset = case(*[(seconds < t.timestamp(), off) for (_, off), (t, _) in zip(steps, steps[1:], strict=False)
                        if t is not None], else_=steps[-1][1])
    if weekly:
        return floor_int((seconds + offset + 3 * 86400) / (7 * 86400))
    return floor_int((seconds + offset) / 86400)


#: Shifts values before bucketing so that truncation is floor for anything above −SHIFT minutes.
SHIFT = 10_000_000


def tenths_of(minutes: Any) -> ColumnElement[int]:
    """Minutes rounded half up to whole tenths (an integer): 12.34 → 123, 12.35 → 124."""
    return floor_int(minutes * 10 + (0.5 + SHIFT * 10)) - SHIFT * 10


def percentiles(db: Session, value: Any, group: Any, where: list[Any], froms: Any,
                percents: tuple[int, ...] = (50, 90), tenths: Any = None) -> dict[Any, dict[Any, Any]]:
    """Count, sum and nearest-rank percentiles (models.insights.nearest_rank) of `value` in minutes per `group`
    (a literal for one overall group): {group: {"n": …, "sum": …, 50: …, 90: …}}.

    Exact to the tenth of a minute shown, and all in SQL: a histogram of values rounded half up to 0.1 per
    group, running totals over it (a window over the histogram, not over the rows), and the bucket where the
    running total first reaches rank ceil(n·p/100). Rounding is monotonic, so the bucket of the p-th value
    is the p-th value rounded. `tenths`: a column already holding `tenths_of(value)` (with an index in
    (group, tenths) order the histogram is read in order instead of sorted; see `unindexed`). `group` None: one
    overall group, keyed None."""
    tenths = tenths if tenths is not None else tenths_of(value)
    keys = [tenths] if group is None else [group, tenths]
    hist = (select((group if group is not None else literal(None)).label("g"), tenths.label("b"),
                   func.count().label("c"), func.sum(value).label("v"))
            .select_from(froms).where(*where, tenths.is_not(None)).group_by(*keys)).subquery("hist")
    # PostgreSQL sums counts as numeric: cast back, so that the rank below is integer arithmetic on both.
    run = select(hist.c.g, hist.c.b, hist.c.c,
                 cast(func.sum(hist.c.c).over(partition_by=hist.c.g, order_by=hist.c.b), BigInteger).label("upto"),
                 cast(func.sum(hist.c.c).over(partition_by=hist.c.g), BigInteger).label("n"),
                 func.sum(hist.c.v).over(partition_by=hist.c.g).label("total")).subquery("run")
    cols = [func.max(run.c.n).label("n"), func.max(run.c.total).label("total")]
    for p in percents:
        rank = (run.c.n * p + 99) // 100
        cols.append(func.min(case((and_(run.c.upto >= rank, run.c.upto - run.c.c < rank), run.c.b))).label(f"p{p}"))
    out: dict[Any, dict[Any, Any]] = {}
    for r in db.execute(select(run.c.g, *cols).group_by(run.c.g)):
        out[r[0]] = {"n": int(r[1]), "sum": float(r[2]),
                     **{p: (int(r[i + 3]) / 10 if r[i + 3] is not None else None) for i, p in enumerate(percents)}}
    return out


def buckets(keys: list[tuple[int, datetime, datetime]]) -> Any:
    """A VALUES table b(k, s, e) of group keys and their [start, end) instants (local days or weeks): joined on
    a range of an indexed timestamp, rows arrive bucket by bucket and no date arithmetic runs per row."""
    return values(column("k", Integer), column("s", UTCDateTime()), column("e", UTCDateTime()),
                  name="b").data(keys).cte("b")


__all__ = ["at", "buckets", "epoch_seconds", "floor_int", "local_key", "minutes_between", "percentiles",
           "tenths_of", "unindexed"]
