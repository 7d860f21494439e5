"""Accounts: registration, login, bearer tokens (random, stored as SHA-256, revocable)."""
from __future__ import annotations

import asyncio
import re
import secrets
from datetime import timedelta, timezone
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.clock import Clock
from messenger_gateway.core.config import SecurityConfig
from messenger_gateway.core.errors import ApiError, validation_error
from messenger_gateway.core.services import Services
from messenger_gateway.domain.providers import ProviderRegistry
from messenger_gateway.domain.token_cache import TokenCache
from messenger_gateway.gateway.control_messages import Revoke
from messenger_gateway.storage import accounts as store
from messenger_gateway.storage.models import AccessToken, Provider
from messenger_gateway.storage.tokens import hash_token

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    provider: Provider


class Accounts:
    def __init__(self, security: SecurityConfig, providers: ProviderRegistry, clock: Clock) -> None:
        self._hasher = PasswordHasher(
            time_cost=security.argon2_time_cost,
            memory_cost=security.argon2_memory_kib,
            parallelism=security.argon2_parallelism,
        )
        self._min_password = security.min_password_length
        self._providers = providers
        self._clock = clock
        self.token_cache = TokenCache(security.token_cache_seconds, clock)
        days = security.token_lifetime_days
        self._token_lifetime = timedelta(days=days) if days else None
        # a valid hash to verify against when the email is unknown, so both paths cost the same
        self._dummy_hash = self._hasher.hash(secrets.token_hex(8))

    async def register(self, session: AsyncSession, name: object, email: object, password: object) -> IssuedToken:
        errors: dict[str, list[str]] = {}
        clean_name = name.strip() if isinstance(name, str) else ""
        if not clean_name:
            errors["name"] = ["The name field is required."]
        elif len(clean_name) > 255 or (isinstance(name, str) and len(name) > 255):  # the documented limit: as sent
            errors["name"] = ["The name must not be greater than 255 characters."]
        clean_email = email.strip().lower() if isinstance(email, str) else ""
        if not clean_email:
            errors["email"] = ["The email field is required."]
        elif len(clean_email) > 255 or not EMAIL.match(clean_email):
            errors["email"] = ["The email must be a valid email address."]
        elif await store.email_taken(session, clean_email):
            errors["email"] = ["The email has already been taken."]
        if not isinstance(password, str) or not password:
            errors["password"] = ["The password field is required."]
        elif len(password) < self._min_password:
            errors["password"] = [f"The password must be at least {self._min_password} characters."]
        elif len(password) > 1024:
            errors["password"] = ["The password must not be greater than 1024 characters."]
        if errors:
            raise validation_error(errors)
        assert isinstance(password, str)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        now = self._clock.now()
        alias = self._providers.default_alias
        provider = Provider(
            alias=alias, name=clean_name, email=clean_email, password_hash=password_hash,
            created_at=now, updated_at=now,
        )
        session.add(provider)
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            raise validation_error({"email": ["The email has already been taken."]}) from None
        await store.settings_for(session, provider, self._providers.owner_type(alias), now)
        token = await self.issue_token(session, provider)
        await session.commit()
        return IssuedToken(token=token, provider=provider)

    async def create_user(self, session: AsyncSession, name: str, email: str, password: str) -> IssuedToken:
        return await self.register(session, name, email, password)

    async def login(self, session: AsyncSession, email: object, password: object) -> IssuedToken:
        errors: dict[str, list[str]] = {}
        if not isinstance(email, str) or not email.strip():
            errors["email"] = ["The email field is required."]
        if not isinstance(password, str) or not password:
            errors["password"] = ["The password field is required."]
        if errors:
            raise validation_error(errors)
        assert isinstance(email, str) and isinstance(password, str)
        provider = await store.provider_by_email(session, email.strip().lower())
        stored = provider.password_hash if provider else self._dummy_hash
        if not await asyncio.to_thread(self._verify, stored, password) or provider is None:
            raise ApiError(401, "These credentials do not match our records.")
        token = await self.issue_token(session, provider)
        await session.commit()
        return IssuedToken(token=token, provider=provider)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def issue_token(self, session: AsyncSession, provider: Provider) -> str:
        token = secrets.token_urlsafe(40)
        session.add(AccessToken(provider_id=provider.id, token_hash=hash_token(token), created_at=self._clock.now()))
        await session.flush()
        return token

    async def authenticate(self, session: AsyncSession, token: str) -> tuple[Provider, AccessToken] | None:
        if not token or len(token) > 512:
            return None
        key = hash_token(token)
        found = self.token_cache.get(key)
        if found is None:
            found = await store.provider_by_token_hash(session, key)
            if found is not None:
                # Detached before they are shared: a rollback later in this request would expire objects still in
                # its session, and every request answered from the cache would then fail on them.
                for obj in found:
                    session.expunge(obj)
                self.token_cache.put(key, *found)
        if found is not None and self._expired(found[1]):
            self.token_cache.drop_token(key)
            return None
        return found

    async def revoked_among(self, session: AsyncSession, token_hashes: set[str]) -> set[str]:
        """The tokens of this set that no longer exist (revoked while a node could not be told), forgotten here."""
        revoked = token_hashes - await store.existing_token_hashes(session, token_hashes)
        for key in revoked:
            self.token_cache.drop_token(key)
        return revoked

    def seconds_left(self, token: AccessToken) -> float | None:
        """How long the token stays valid (None: until logout), so open sockets can be closed when it expires."""
        if self._token_lifetime is None:
            return None
        issued = token.created_at
        if issued.tzinfo is not None:  # PostgreSQL may hand it back aware; the clock is naive UTC
            issued = issued.astimezone(timezone.utc).replace(tzinfo=None)
        return (issued + self._token_lifetime - self._clock.now()).total_seconds()

    def _expired(self, token: AccessToken) -> bool:
        left = self.seconds_left(token)
        return left is not None and left <= 0


async def log_out(svc: Services, session: AsyncSession, token: AccessToken) -> None:
    """Revoke the token: deleted, forgotten by every node's cache, and its sockets disconnected everywhere."""
    await store.delete_token(session, token.id)
    await session.commit()
    svc.accounts.token_cache.drop_token(token.token_hash)
    await svc.control.publish(Revoke(token.token_hash))
