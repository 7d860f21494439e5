"""One page of any list in the index/page envelope (spec 2.12): find the pivot, fetch, render, count."""
from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import not_found
from messenger_gateway.domain.thread_resources import index_envelope
from messenger_gateway.storage.paging import AnySelect, fetch_page
from messenger_gateway.storage.threads import count_of

Render = Callable[[list[Any]], "list[dict[str, Any]] | Awaitable[list[dict[str, Any]]]"]


async def list_envelope(
    session: AsyncSession, stmt: AnySelect, ts_col: Any, id_col: Any, *, pivot_id: str | None, what: str,
    counts: tuple[int, int], route: str, render: Render, newest_first: bool = True, query: str = "",
) -> dict[str, Any]:
    """`counts` = (index size, page size). The pivot must be an item of the same list, else 404 `what`. `query`
    follows the next page's route (e.g. `?since=...`)."""
    pivot = None
    if pivot_id is not None:
        row = (await session.execute(stmt.where(id_col == pivot_id))).first()
        if row is None:
            raise not_found(what)
        pivot = (getattr(row[0], ts_col.key), getattr(row[0], id_col.key))
    per_page = counts[0] if pivot is None else counts[1]
    page = await fetch_page(session, stmt, ts_col, id_col, pivot, per_page, newest_first)
    data = render(page.items)
    if inspect.isawaitable(data):
        data = await data
    return index_envelope(data, page_id=pivot_id, per_page=per_page, total=await count_of(session, stmt),
                          final=page.final, route=route, query=query)
