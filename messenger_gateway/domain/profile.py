"""My own profile: messenger settings and avatar. Each action writes, commits, then tells every node."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError
from messenger_gateway.core.services import Services
from messenger_gateway.gateway.control_messages import ProviderChanged, SettingsChanged
from messenger_gateway.storage import accounts as store
from messenger_gateway.storage.models import MessengerSettings, Provider


class ProfileActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def settings(self, session: AsyncSession, me: Provider) -> MessengerSettings:
        """My settings row (created with the defaults on first use, hence the commit)."""
        settings = await self.svc.settings.get(session, me)
        await session.commit()
        return settings

    async def update_settings(self, session: AsyncSession, me: Provider, clean: dict[str, Any]) -> MessengerSettings:
        svc = self.svc
        settings = await store.settings_for(session, me, svc.providers.owner_type(me.alias), svc.clock.now())
        changed = any(getattr(settings, k) != val for k, val in clean.items())
        for key, value in clean.items():
            setattr(settings, key, value)
        if changed:
            settings.updated_at = svc.clock.now()
        await session.commit()
        svc.settings.drop(me.id)
        await svc.control.publish(SettingsChanged(me.id))
        await svc.presence.apply_setting(me.id, me.alias, int(settings.online_status))
        return settings

    async def replace_avatar(self, session: AsyncSession, me: Provider, data: bytes,
                             extension: str) -> tuple[MessengerSettings, Provider]:
        """Store the new avatar, point my row at it, then remove the old file (never the other way round)."""
        svc = self.svc
        new_name = await svc.files.save_avatar(me.alias, me.id, data, extension)
        provider = await self._fresh(session, me)
        old_name = provider.avatar
        provider.avatar = new_name
        provider.updated_at = svc.clock.now()
        try:
            settings = await store.settings_for(session, provider, svc.providers.owner_type(me.alias), svc.clock.now())
            await session.commit()
        except BaseException:
            await svc.files.delete_avatar(me.alias, me.id, new_name)
            raise
        if old_name and old_name != new_name:
            await svc.files.delete_avatar(me.alias, me.id, old_name)
        await self._profile_changed(me.id)
        return settings, provider

    async def remove_avatar(self, session: AsyncSession, me: Provider) -> tuple[MessengerSettings, Provider]:
        svc = self.svc
        provider = await self._fresh(session, me)
        old_name = provider.avatar
        if old_name:
            provider.avatar = None
            provider.updated_at = svc.clock.now()
        settings = await store.settings_for(session, provider, svc.providers.owner_type(me.alias), svc.clock.now())
        await session.commit()
        if old_name:
            await svc.files.delete_avatar(me.alias, me.id, old_name)
            await self._profile_changed(me.id)
        return settings, provider

    @staticmethod
    async def _fresh(session: AsyncSession, me: Provider) -> Provider:
        """My row from the database (the authenticated object may be a shared cached copy)."""
        provider = await session.get(Provider, me.id, populate_existing=True)
        if provider is None:
            raise ApiError(401, "Unauthenticated.")
        return provider

    async def _profile_changed(self, provider_id: str) -> None:
        self.svc.accounts.token_cache.drop_provider(provider_id)
        await self.svc.control.publish(ProviderChanged(provider_id))
