"""Schema migrations with Alembic, run on the service's own async engine."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from messenger_gateway.storage.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Any = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


# any constant of our own: PostgreSQL advisory locks are one namespace per database
MIGRATION_LOCK = 7_244_093_511


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`, creating it on an empty database. On PostgreSQL the nodes of a cluster that
    start together take turns (a transaction-level advisory lock): the first migrates, the others find it done."""
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        if db.schema and not db.is_sqlite:
            await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
