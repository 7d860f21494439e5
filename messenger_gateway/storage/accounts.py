"""Queries on providers, their access tokens and their messenger settings rows."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import AccessToken, MessengerSettings, Provider


async def provider_by_email(session: AsyncSession, email: str) -> Provider | None:
    return (await session.execute(select(Provider).where(Provider.email == email))).scalar_one_or_none()


async def provider_by_id(session: AsyncSession, provider_id: str) -> Provider | None:
    return await session.get(Provider, provider_id)


async def providers_by_ids(session: AsyncSession, ids: list[str]) -> dict[str, Provider]:
    if not ids:
        return {}
    rows = (await session.execute(select(Provider).where(Provider.id.in_(ids)))).scalars()
    return {p.id: p for p in rows}


async def email_taken(session: AsyncSession, email: str) -> bool:
    found = await session.execute(select(func.count()).select_from(Provider).where(Provider.email == email))
    return found.scalar_one() > 0


async def provider_by_token_hash(session: AsyncSession, token_hash: str) -> tuple[Provider, AccessToken] | None:
    row = (
        await session.execute(
            select(Provider, AccessToken)
            .join(AccessToken, AccessToken.provider_id == Provider.id)
            .where(AccessToken.token_hash == token_hash)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def existing_token_hashes(session: AsyncSession, token_hashes: Iterable[str]) -> set[str]:
    """Which of these tokens still exist (were not revoked)."""
    wanted = list(token_hashes)
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = await session.execute(select(AccessToken.token_hash).where(AccessToken.token_hash.in_(chunk)))
        found.update(rows.scalars())
    return found


async def delete_token(session: AsyncSession, token_id: str) -> None:
    await session.execute(delete(AccessToken).where(AccessToken.id == token_id))


async def settings_for(session: AsyncSession, provider: Provider, owner_type: str, now: datetime) -> MessengerSettings:
    """The provider's settings row, created with the defaults on first use."""
    settings = await session.get(MessengerSettings, provider.id)
    if settings is None:
        settings = MessengerSettings(
            owner_id=provider.id,
            owner_type=owner_type,
            message_popups=True,
            message_sound=True,
            call_ringtone_sound=True,
            notify_sound=True,
            dark_mode=True,
            online_status=1,
            created_at=now,
            updated_at=now,
        )
        session.add(settings)
        await session.flush()
    return settings


async def write_last_active(session: AsyncSession, times: dict[str, datetime]) -> None:
    if not times:
        return
    await session.execute(
        update(Provider),
        [{"id": pid, "last_active_at": when} for pid, when in times.items()],
    )
