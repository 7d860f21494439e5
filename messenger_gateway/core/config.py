"""Configuration: config.yaml defaults, an optional override file, then MESSENGER_* environment variables.

Everything is validated into frozen dataclasses at start-up; any problem raises ConfigError with one
line that names the offending key, so run.py can print it and exit without a traceback.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "config.yaml"


DOCUMENT_EXTENSIONS = ("csv", "doc", "docx", "json", "pdf", "ppt", "pptx", "rar", "rtf", "txt", "xls", "xlsx", "xml",
                       "zip", "7z")


class ConfigError(Exception):
    """A configuration file or value that cannot be used."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 6001
    max_request_kb: int = 12288
    shutdown_timeout_seconds: float = 10.0
    # at start-up, how long to wait for the database and Redis to answer (None: as long as it takes)
    wait_for_dependencies_seconds: float | None = None
    body_idle_timeout_seconds: float = 15.0
    body_timeout_seconds: float = 120.0
    # addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For/-Proto/-Host headers are believed
    trusted_proxies: list[str] = field(default_factory=list)
    # processes serving the port (one per core); above 1 they form a cluster: redis_url and PostgreSQL needed
    workers: int = 1
    # SO_REUSEPORT on the listening socket (set for the workers; for several processes under your own supervisor)
    reuse_port: bool = False


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"
    format: str = "text"  # or json: one JSON object per line
    access_log: bool = True  # one line per HTTP request


@dataclass(frozen=True)
class SecurityConfig:
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    min_password_length: int = 8
    token_cache_seconds: float = 60.0
    token_lifetime_days: float | None = None  # None: tokens last until logout


@dataclass(frozen=True)
class KnocksConfig:
    enabled: bool = True
    timeout_minutes: int = 5


@dataclass(frozen=True)
class OnlineStatusConfig:
    enabled: bool = True
    lifetime_minutes: int = 4


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server the web client's calls use to reach peers behind NAT (RTCIceServer's fields)."""
    urls: list[str]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class CallingConfig:
    enabled: bool = True
    ring_timeout_seconds: float = 60.0       # nobody else joined by then: the caller gets call.unanswered
    heartbeat_timeout_seconds: float = 60.0  # a participant without a call heartbeat for this long is dropped
    check_interval_seconds: float = 10.0     # how often the activity checker runs (once per cluster)
    ice_servers: list[IceServer] = field(default_factory=list)


@dataclass(frozen=True)
class InvitesConfig:
    enabled: bool = True
    max_per_thread: int = 3


@dataclass(frozen=True)
class FilesConfig:
    provider_avatar_upload: bool = True
    provider_avatar_removal: bool = True
    message_document_upload: bool = True
    message_document_download: bool = True
    message_image_upload: bool = True
    thread_avatar_upload: bool = True


@dataclass(frozen=True)
class CollectionsConfig:
    search_page_count: int = 25
    threads_index_count: int = 100
    threads_page_count: int = 25
    participants_index_count: int = 500
    participants_page_count: int = 50
    messages_index_count: int = 50
    messages_page_count: int = 50
    calls_index_count: int = 25
    calls_page_count: int = 25


@dataclass(frozen=True)
class ProviderInteractions:
    # True = every alias that allows it; False/None/[] = own alias only; a list = those aliases.
    can_message: bool | list[str] | None = True
    can_search: bool | list[str] | None = True
    can_friend: bool | list[str] | None = True


@dataclass(frozen=True)
class ProviderConfig:
    owner_type: str = "App\\Models\\User"
    default_avatar: str = "users.png"
    searchable: bool = True
    friendable: bool = True
    mobile_devices: bool = False
    provider_interactions: ProviderInteractions = field(default_factory=ProviderInteractions)


@dataclass(frozen=True)
class MessengerConfig:
    site_name: str = "Messenger"
    socket_endpoint: str | None = None
    api_prefix: str = "/api/messenger"
    web_prefix: str = "/messenger"
    web_client: bool = True
    broadcast_driver: str = "default"
    push_notification_driver: str = "default"
    video_driver: str = "janus"
    message_edits: bool = True
    knocks: KnocksConfig = field(default_factory=KnocksConfig)
    online_status: OnlineStatusConfig = field(default_factory=OnlineStatusConfig)
    calling: CallingConfig = field(default_factory=CallingConfig)
    invites: InvitesConfig = field(default_factory=InvitesConfig)
    files: FilesConfig = field(default_factory=FilesConfig)
    collections: CollectionsConfig = field(default_factory=CollectionsConfig)
    default_provider: str = "user"
    providers: dict[str, ProviderConfig] = field(default_factory=lambda: {"user": ProviderConfig()})


@dataclass(frozen=True)
class HistoryConfig:
    enabled: bool = True
    size: int = 300                # events kept per channel
    ttl_seconds: float = 600.0     # and for this long after they were published
    max_events: int = 200_000      # in memory, over all channels (one node; Redis trims by size and ttl)


@dataclass(frozen=True)
class PresenceConfig:
    offline_grace_seconds: float = 15.0
    sweep_interval_seconds: float = 1.0
    last_active_flush_seconds: float = 10.0


@dataclass(frozen=True)
class LimitsConfig:
    avatar_max_kb: int = 5120
    image_max_pixels: int = 40_000_000
    search_per_minute: int = 45
    login_per_minute: int = 10
    login_per_address_per_minute: int = 60  # login attempts from one client address, whatever the email
    register_per_minute: int = 10  # registrations from one client address
    messages_per_minute: int = 60  # messages (text, images, documents) from one user in one thread
    message_max_length: int = 5000
    message_image_max_kb: int = 5120
    document_max_kb: int = 10240
    document_extensions: list[str] = field(default_factory=lambda: list(DOCUMENT_EXTENSIONS))


@dataclass(frozen=True)
class BroadcastClient:
    app_id: str
    key: str
    secret: str | None = None


@dataclass(frozen=True)
class RedisSubscriberConfig:
    enabled: bool = False
    prefix: str = "laravel_database_"


@dataclass(frozen=True)
class GatewayLimits:
    max_payload_kb: int = 100
    max_channel_name_length: int = 200
    max_channels_per_socket: int = 100
    whispers_per_second: int = 20
    max_connections_per_user: int = 20
    max_anonymous_connections_per_address: int = 100  # sockets without a token from one address, per node
    subscribe_refusals_per_minute: int = 30  # per socket; then subscribe attempts are refused (429) unchecked
    max_queued_kb: int = 1024  # events waiting for one socket that does not read; over it, the socket is closed


@dataclass(frozen=True)
class GatewayConfig:
    cors_allowed_origins: str | list[str] | None = None
    auth_host: str | None = None
    auth_endpoint: str = "/broadcasting/auth"
    auth_timeout_seconds: float = 5.0
    auth_forward_headers: list[str] = field(
        default_factory=lambda: ["Authorization", "X-CSRF-TOKEN", "X-XSRF-TOKEN", "Cookie"]
    )
    clients: list[BroadcastClient] = field(default_factory=list)
    signature_max_age_seconds: int = 600
    redis_subscriber: RedisSubscriberConfig = field(default_factory=RedisSubscriberConfig)
    ping_interval_seconds: float = 25.0
    ping_timeout_seconds: float = 20.0
    redis_prefix: str = "mg:"
    node_heartbeat_seconds: float = 5.0
    node_timeout_seconds: float = 15.0
    # With Redis: events (and node instructions) held for the other nodes while Redis is away; past it the oldest go
    outbox_size: int = 10_000
    websocket_compression: bool = False
    limits: GatewayLimits = field(default_factory=GatewayLimits)


@dataclass(frozen=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database_url: str | None = None
    database_schema: str | None = None
    database_pool_timeout_seconds: float = 5.0
    storage_dir: str = "./storage"
    redis_url: str | None = None
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    messenger: MessengerConfig = field(default_factory=MessengerConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    environment: str = "development"
    presence: PresenceConfig = field(default_factory=PresenceConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    gateway: GatewayConfig = field(default_factory=GatewayConfig)

    @property
    def storage_path(self) -> Path:
        return Path(self.storage_dir).expanduser().resolve()

    @property
    def cors_origins(self) -> str | list[str] | None:
        """`*` by default in development; in production only what is configured (None = same origin)."""
        configured = self.gateway.cors_allowed_origins
        if configured is None and self.environment == "development":
            return "*"
        return configured

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.storage_path / 'messenger.sqlite3'}"


ENV_PREFIX = "MESSENGER_"
# Shorter names kept from earlier releases.
ENV_ALIASES: dict[str, tuple[str, ...]] = {
    "MESSENGER_HOST": ("server", "host"),
    "MESSENGER_PORT": ("server", "port"),
}
# MESSENGER_* variables that are not settings.
ENV_NOT_SETTINGS = ("MESSENGER_CONFIG", "MESSENGER_TEST_")


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the configuration: defaults file, then `path` (or MESSENGER_CONFIG), env vars, then `overrides`."""
    env = os.environ if env is None else env
    data = _read_yaml(DEFAULT_CONFIG_PATH)
    extra = path or env.get("MESSENGER_CONFIG")
    if extra:
        data = deep_merge(data, _read_yaml(Path(extra)))
    for keys, value in env_settings(env):
        data = deep_merge(data, _nest(keys, value))
    if overrides:
        data = deep_merge(data, dict(overrides))
    config: Config = _build(Config, data, "")
    _check_semantics(config)
    return config


def env_settings(env: Mapping[str, str]) -> list[tuple[tuple[str, ...], Any]]:
    """Settings given as environment variables, by a mechanical rule: `MESSENGER_` + the key path in upper case,
    sections joined by a double underscore (`gateway.redis_prefix` is `MESSENGER_GATEWAY__REDIS_PREFIX`,
    `messenger.providers.user.searchable` is `MESSENGER_MESSENGER__PROVIDERS__USER__SEARCHABLE`). A string setting
    takes the value as it is; any other (numbers, true/false, null, lists, maps) is read as YAML, so JSON works:
    `MESSENGER_GATEWAY__CLIENTS='[{"app_id": "a", "key": "k"}]'`. Empty values are ignored."""
    found = []
    for var in sorted(env):
        raw = env[var]
        if not var.startswith(ENV_PREFIX) or var.startswith(ENV_NOT_SETTINGS) or raw == "":
            continue
        keys = ENV_ALIASES.get(var) or tuple(part.lower() for part in var[len(ENV_PREFIX):].split("__"))
        hint = _hint_at(var, keys)
        value = _env_value(var, hint, raw)
        try:
            _coerce(hint, value, ".".join(keys))
        except ConfigError as exc:  # say which variable is wrong, not only which key
            raise ConfigError(f"{exc} (from {var})") from None
        found.append((keys, value))
    return found


def _hint_at(var: str, keys: tuple[str, ...]) -> Any:
    hint: Any = Config
    for depth, key in enumerate(keys):
        if dataclasses.is_dataclass(hint):
            hints = typing.get_type_hints(hint)
            if key not in hints:
                raise ConfigError(f"environment variable {var} names no setting ({'.'.join(keys[:depth + 1])})")
            hint = hints[key]
        elif typing.get_origin(hint) is dict and key:
            hint = typing.get_args(hint)[1]
        else:
            raise ConfigError(f"environment variable {var} names no setting ({'.'.join(keys[:depth + 1])})")
    return hint


def _accepts(hint: Any, kind: type) -> bool:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_accepts(option, kind) for option in typing.get_args(hint))
    return hint is kind


def _env_value(var: str, hint: Any, raw: str) -> Any:
    if raw.strip() in ("null", "~") and _accepts(hint, type(None)):
        return None
    if _accepts(hint, str) and not raw.lstrip().startswith(("[", "{")):
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        raise ConfigError(f"environment variable {var} is not a valid value (YAML or JSON): {raw!r}") from None


SECRET_KEYS = ("key", "secret", "password", "credential")


def effective_config(config: Config) -> dict[str, Any]:
    """The configuration as plain data, with secrets masked (for `messenger-gateway config`)."""
    from messenger_gateway.core.outages import redact_url

    data = dataclasses.asdict(config)
    data["database_url"] = redact_url(config.resolved_database_url)
    if data.get("redis_url"):
        data["redis_url"] = redact_url(data["redis_url"])
    for entry in [*data["gateway"]["clients"], *data["messenger"]["calling"]["ice_servers"]]:
        for key in SECRET_KEYS:
            if entry.get(key):
                entry[key] = "***"
    return data


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and key != "providers":
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


def _nest(keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    result: dict[str, Any] = {keys[-1]: value}
    for key in reversed(keys[:-1]):
        result = {key: result}
    return result


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"config key {path or '<root>'} must be a mapping")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown config key {_join(path, str(unknown[0]))}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name], _join(path, f.name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"config key {_join(path, f.name)} is required")
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, path)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[-1] if errors else ConfigError(f"config key {path} has an invalid value")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    if origin is dict:
        _, value_type = typing.get_args(hint)
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key {path} must be a mapping")
        return {str(k): _coerce(value_type, v, _join(path, str(k))) for k, v in value.items()}
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"config key {path} must be a list")
        return [_coerce(item_type, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key {path} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key {path} must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key {path} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"config key {path} must be a string, got {value!r}")
        return value
    raise ConfigError(f"config key {path} has an unsupported type")  # pragma: no cover


def _check_semantics(config: Config) -> None:
    if not 0 < config.server.port < 65536:
        raise ConfigError(f"server.port must be between 1 and 65535, got {config.server.port}")
    if config.server.workers < 1:
        raise ConfigError("server.workers must be at least 1")
    if config.server.workers > 1 and (not config.redis_url or config.resolved_database_url.startswith("sqlite")):
        raise ConfigError("server.workers above 1 needs redis_url and a PostgreSQL database_url: each worker is a "
                          "node of one cluster (a SQLite file and in-memory presence belong to one process)")
    if config.server.max_request_kb < 1:
        raise ConfigError("server.max_request_kb must be at least 1")
    if config.database_pool_timeout_seconds <= 0:
        raise ConfigError("database_pool_timeout_seconds must be greater than 0")
    if min(config.server.body_idle_timeout_seconds, config.server.body_timeout_seconds) <= 0:
        raise ConfigError("server.body_idle_timeout_seconds and server.body_timeout_seconds must be greater than 0")
    if config.server.shutdown_timeout_seconds <= 0:
        raise ConfigError("server.shutdown_timeout_seconds must be greater than 0")
    for proxy in config.server.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"server.trusted_proxies: {proxy!r} is not an IP address or network") from None
    _check_security(config.security)
    _check_prefixes(config.messenger)
    for section in (config.messenger.collections, config.limits):
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            if isinstance(value, int) and value < 1:
                raise ConfigError(f"{f.name} must be at least 1, got {value}")
    calling = config.messenger.calling
    if min(calling.ring_timeout_seconds, calling.heartbeat_timeout_seconds, calling.check_interval_seconds) <= 0:
        raise ConfigError("messenger.calling timeouts and check interval must be greater than 0")
    if config.messenger.online_status.lifetime_minutes < 1:
        raise ConfigError("messenger.online_status.lifetime_minutes must be at least 1")
    if config.messenger.default_provider not in config.messenger.providers:
        raise ConfigError(
            f"messenger.default_provider {config.messenger.default_provider!r} is not one of messenger.providers"
        )
    for alias in config.messenger.providers:
        if not alias or not alias.isalnum() or alias != alias.lower():
            raise ConfigError(f"provider alias {alias!r} must be lower-case letters and digits")
    url = config.database_url
    if url and not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise ConfigError("database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    schema = config.database_schema
    if schema and not (schema.replace("_", "").isalnum() and schema[0].isalpha()):
        raise ConfigError("database_schema must be letters, digits and underscores, starting with a letter")
    if config.redis_url and not config.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("redis_url must start with redis://, rediss:// or unix://")
    p = config.presence
    h = config.history
    if h.size < 1 or h.ttl_seconds < 1 or h.max_events < h.size:
        raise ConfigError("history.size and history.ttl_seconds must be at least 1, history.max_events at least size")
    if p.offline_grace_seconds < 0 or p.sweep_interval_seconds <= 0 or p.last_active_flush_seconds <= 0:
        raise ConfigError("presence: grace must be >= 0 and the intervals > 0")
    if config.environment not in ("development", "production"):
        raise ConfigError(f"environment must be development or production, got {config.environment!r}")
    for f in dataclasses.fields(config.gateway.limits):
        if getattr(config.gateway.limits, f.name) < 1:
            raise ConfigError(f"gateway.limits.{f.name} must be at least 1")
    if config.gateway.auth_host and not config.gateway.auth_host.startswith(("http://", "https://")):
        raise ConfigError("gateway.auth_host must start with http:// or https://")
    app_ids = [c.app_id for c in config.gateway.clients]
    if len(set(app_ids)) != len(app_ids):
        raise ConfigError("gateway.clients has the same app_id twice")
    wait = config.server.wait_for_dependencies_seconds
    if wait is not None and wait < 0:
        raise ConfigError("server.wait_for_dependencies_seconds must be 0 or more (or null: wait as long as it takes)")
    if config.gateway.outbox_size < 1:
        raise ConfigError("gateway.outbox_size must be at least 1")
    if config.gateway.node_timeout_seconds <= config.gateway.node_heartbeat_seconds:
        raise ConfigError("gateway.node_timeout_seconds must be longer than gateway.node_heartbeat_seconds")
    if config.logging.format not in ("text", "json"):
        raise ConfigError(f"logging.format must be text or json, got {config.logging.format!r}")
    for client in config.gateway.clients:
        if not client.app_id or not client.key:
            raise ConfigError("gateway.clients: every client needs a non-empty app_id and key")
    if url and url.startswith("postgresql+asyncpg://") and importlib.util.find_spec("asyncpg") is None:
        raise ConfigError("database_url is PostgreSQL, which needs asyncpg: pip install 'messenger-gateway[postgres]'")
    if config.logging.level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"logging.level must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {config.logging.level!r}")


def _check_security(security: SecurityConfig) -> None:
    # argon2's own limits: at least one pass and one lane, and 8 KiB of memory per lane
    if security.argon2_time_cost < 1:
        raise ConfigError(f"security.argon2_time_cost must be at least 1, got {security.argon2_time_cost}")
    if security.argon2_parallelism < 1:
        raise ConfigError(f"security.argon2_parallelism must be at least 1, got {security.argon2_parallelism}")
    if security.argon2_memory_kib < 8 * security.argon2_parallelism:
        raise ConfigError("security.argon2_memory_kib must be at least 8 x security.argon2_parallelism")
    if security.min_password_length < 1:
        raise ConfigError("security.min_password_length must be at least 1")
    if security.token_cache_seconds < 0:
        raise ConfigError("security.token_cache_seconds must be 0 or more")
    if security.token_lifetime_days is not None and security.token_lifetime_days <= 0:
        raise ConfigError("security.token_lifetime_days must be greater than 0, or null for no expiry")


def _check_prefixes(messenger: MessengerConfig) -> None:
    for key, prefix in (("api_prefix", messenger.api_prefix), ("web_prefix", messenger.web_prefix)):
        if not prefix.startswith("/") or prefix.endswith("/") or len(prefix) < 2 or " " in prefix:
            raise ConfigError(f"messenger.{key} must be a path like /api/messenger (no trailing slash), got {prefix!r}")
        if prefix.split("/")[1] in RESERVED_TOP_PATHS:
            raise ConfigError(f"messenger.{key} cannot be under /{prefix.split('/')[1]} (used by the server itself)")
    if messenger.api_prefix == messenger.web_prefix:
        raise ConfigError("messenger.api_prefix and messenger.web_prefix must differ")


RESERVED_TOP_PATHS = ("socket.io", "apps", "images", "health", "ready", "metrics")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
