"""Keyset paging for the index/page envelope: newest first (or oldest first), pivot = an item of the set.

Ties on the timestamp are broken by id, so no item is shown twice or skipped when several share a time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, Unpack

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
# a SELECT of any columns (SQLAlchemy types a Select by the tuple of what it returns)
AnySelect = Select[Unpack[tuple[Any, ...]]]


@dataclass
class Page(Generic[T]):
    items: list[T]
    final: bool


def after_pivot(
    stmt: AnySelect, ts_col: Any, id_col: Any, pivot: tuple[datetime, str] | None, newest_first: bool,
) -> AnySelect:
    order = (ts_col.desc(), id_col.desc()) if newest_first else (ts_col.asc(), id_col.asc())
    stmt = stmt.order_by(*order)
    if pivot is None:
        return stmt
    ts, ident = pivot
    if newest_first:
        return stmt.where(or_(ts_col < ts, and_(ts_col == ts, id_col < ident)))
    return stmt.where(or_(ts_col > ts, and_(ts_col == ts, id_col > ident)))


async def fetch_page(
    session: AsyncSession, stmt: AnySelect, ts_col: Any, id_col: Any, pivot: tuple[datetime, str] | None,
    limit: int, newest_first: bool = True,
) -> Page[Any]:
    """Up to `limit` rows after the pivot; `final` is true when nothing comes after them."""
    rows = list((await session.execute(after_pivot(stmt, ts_col, id_col, pivot, newest_first).limit(limit + 1))).all())
    return Page(rows[:limit], final=len(rows) <= limit)
