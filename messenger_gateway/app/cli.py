"""Messenger Gateway command line (`messenger-gateway`; `python run.py` in a checkout; `python -m messenger_gateway`).

  messenger-gateway [--host H] [--port P] [--config FILE] [--wait-for-dependencies S]   serve (default)
  messenger-gateway migrate                                    create or upgrade the database schema
  messenger-gateway user create --name N --email E --password P  create an account, print its id and a token
  messenger-gateway config                                     print the effective configuration, secrets masked
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

import yaml

from messenger_gateway.core.config import Config, ConfigError, effective_config, load_config
from messenger_gateway.core.version import __version__


EXIT_DEPENDENCY_UNREACHABLE = 3  # the database or Redis did not answer within --wait-for-dependencies


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="messenger-gateway",
                                     description="Messenger Gateway: REST API + Socket.IO on one port")
    parser.add_argument("--version", action="version", version=f"messenger-gateway {__version__}")
    parser.add_argument("--config", help="YAML file merged over the defaults (same as MESSENGER_CONFIG)")
    parser.add_argument("--host", help="bind address (overrides server.host / MESSENGER_HOST)")
    parser.add_argument("--port", type=int, help="port (overrides server.port / MESSENGER_PORT)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="processes serving the port, one per core (overrides server.workers; needs Redis and "
                             "PostgreSQL above 1)")
    parser.add_argument("--wait-for-dependencies", type=float, metavar="SECONDS",
                        help="at start-up, wait at most this long for the database and Redis, then exit with code 3 "
                             "(overrides server.wait_for_dependencies_seconds; default: as long as it takes)")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the server (default)")
    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("config", help="print the effective configuration (secrets masked) and exit")
    user = commands.add_parser("user", help="manage accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create = user_commands.add_parser("create", help="create an account and print its id and a token")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    server = {k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers),
                                ("wait_for_dependencies_seconds", args.wait_for_dependencies)) if v is not None}
    if server:
        overrides["server"] = server
    return load_config(args.config, overrides=overrides)


def serve(config: Config, argv: list[str]) -> int:
    if config.server.workers > 1:
        from messenger_gateway.app.workers import supervise

        return supervise(config.server.workers, argv, config.server.shutdown_timeout_seconds)
    from messenger_gateway.app.factory import create_app
    from messenger_gateway.core.runtime import tune_gc
    from messenger_gateway.app.serving import serve_until_stopped
    from messenger_gateway.core.services import SERVICES

    app = create_app(config)
    tune_gc()
    server = config.server
    asyncio.run(serve_until_stopped(app, app[SERVICES].lifecycle, server.host, server.port,
                                    server.shutdown_timeout_seconds, server.reuse_port))
    return 0


def print_config(config: Config) -> None:
    print(yaml.safe_dump(effective_config(config), sort_keys=False, allow_unicode=True), end="")


async def migrate_command(config: Config) -> None:
    from messenger_gateway.storage import migrate
    from messenger_gateway.storage.database import Database

    db = Database(config.resolved_database_url, schema=config.database_schema)
    try:
        before = await migrate.current_revision(db)
        await migrate.upgrade(db)
        after = await migrate.current_revision(db)
    finally:
        await db.dispose()
    print(f"database at revision {after}" + (" (unchanged)" if before == after else f" (was {before or 'empty'})"))


async def create_user_command(config: Config, name: str, email: str, password: str) -> None:
    from messenger_gateway.app.factory import build_services
    from messenger_gateway.core.clock import SystemClock
    from messenger_gateway.core.errors import ApiError
    from messenger_gateway.storage import migrate

    svc = build_services(config, SystemClock())
    try:
        await migrate.upgrade(svc.db)
        async with svc.db.session() as session:
            try:
                issued = await svc.accounts.create_user(session, name, email, password)
            except ApiError as exc:
                details = "; ".join(m for msgs in (exc.errors or {}).values() for m in msgs) or exc.message
                raise SystemExit(f"error: {details}") from None
            await session.commit()
    finally:
        await svc.db.dispose()
    print(f"id: {issued.provider.id}")
    print(f"token: {issued.token}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    try:
        config = config_from(args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    from messenger_gateway.core.logs import configure_logging
    from messenger_gateway.core.outages import DependencyUnreachable
    from messenger_gateway.app.serving import ListenError

    configure_logging(config.logging.level, config.logging.format)
    try:
        if args.command in (None, "serve"):
            return serve(config, argv)
        elif args.command == "config":
            print_config(config)
        elif args.command == "migrate":
            asyncio.run(migrate_command(config))
        elif args.command == "user":
            asyncio.run(create_user_command(config, args.name, args.email, args.password))
    except ListenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DependencyUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DEPENDENCY_UNREACHABLE
    except OSError as exc:
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        return 130
    return 0
