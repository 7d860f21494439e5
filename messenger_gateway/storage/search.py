"""Provider search: name contains any item, or email equals the whole query (spec section 8)."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Provider


def _like_escape(item: str) -> str:
    return item.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


async def search_providers(
    session: AsyncSession, query: str, items: list[str], aliases: list[str], offset: int, limit: int
) -> tuple[list[Provider], int]:
    """One page of matches (ordered by name, then id) and the total number of matches."""
    match = or_(
        *[Provider.name.ilike(f"%{_like_escape(item)}%", escape="\\") for item in items],
        func.lower(Provider.email) == query.lower(),
    )
    where = (Provider.alias.in_(aliases), match)
    total = (await session.execute(select(func.count()).select_from(Provider).where(*where))).scalar_one()
    if total == 0 or offset >= total:
        return [], int(total)
    rows = await session.execute(
        select(Provider).where(*where).order_by(Provider.name, Provider.id).offset(offset).limit(limit)
    )
    return list(rows.scalars()), int(total)
