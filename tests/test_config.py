"""Configuration loading: defaults, override file, environment, and one-line errors at start-up."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from messenger_gateway.core.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_and_env_overrides(tmp_path):
    default = load_config(env={})
    assert default.server.port == 6001
    assert default.messenger.online_status.lifetime_minutes == 4
    assert default.resolved_database_url.endswith("messenger.sqlite3")
    extra = tmp_path / "extra.yaml"
    extra.write_text("server:\n  port: 7000\nmessenger:\n  site_name: Acme Chat\n")
    config = load_config(env={
        "MESSENGER_CONFIG": str(extra), "MESSENGER_HOST": "0.0.0.0", "MESSENGER_STORAGE_DIR": str(tmp_path / "s"),
        "MESSENGER_DATABASE_URL": "postgresql+asyncpg://u@h/db", "MESSENGER_REDIS_URL": "redis://127.0.0.1:6379/1",
    })
    assert config.server.port == 7000 and config.server.host == "0.0.0.0"
    assert config.messenger.site_name == "Acme Chat"
    assert config.messenger.knocks.timeout_minutes == 5  # untouched defaults survive the merge
    assert config.storage_path == (tmp_path / "s").resolve()
    assert config.resolved_database_url == "postgresql+asyncpg://u@h/db"
    assert config.redis_url == "redis://127.0.0.1:6379/1"
    assert load_config(env={"MESSENGER_PORT": "7100"}).server.port == 7100


@pytest.mark.parametrize("yaml_text,env,message", [
    ("server: [1, 2\n", {}, "is not valid YAML (line 2)"),
    ("- just a list\n", {}, "must hold a mapping"),
    ("server:\n  prot: 1\n", {}, "unknown config key server.prot"),
    ("server:\n  port: abc\n", {}, "server.port must be an integer"),
    ("server:\n  port: 70000\n", {}, "server.port must be between 1 and 65535"),
    ("messenger:\n  knocks:\n    enabled: maybe\n", {}, "messenger.knocks.enabled must be true or false"),
    ("database_url: mysql://x\n", {}, "database_url must start with"),
    ("", {"MESSENGER_PORT": "six"}, "server.port must be an integer, got 'six' (from MESSENGER_PORT)"),
    ("messenger:\n  default_provider: bot\n", {}, "is not one of messenger.providers"),
    ("gateway:\n  clients: [{app_id: a}]\n", {}, "config key gateway.clients[0].key is required"),
    ("security:\n  argon2_time_cost: 0\n", {}, "security.argon2_time_cost must be at least 1"),
    ("security:\n  argon2_memory_kib: 4\n", {}, "security.argon2_memory_kib must be at least 8"),
    ("server:\n  trusted_proxies: [10.0.0.300]\n", {}, "server.trusted_proxies: '10.0.0.300' is not an IP"),
    ("messenger:\n  api_prefix: api\n", {}, "messenger.api_prefix must be a path"),
    ("messenger:\n  api_prefix: /socket.io/x\n", {}, "cannot be under /socket.io"),
    ("logging:\n  format: xml\n", {}, "logging.format must be text or json"),
    ("", {"MESSENGER_REDIS_PREFX": "x"}, "MESSENGER_REDIS_PREFX names no setting (redis_prefx)"),
    ("", {"MESSENGER_SERVER__PORTS": "1"}, "MESSENGER_SERVER__PORTS names no setting (server.ports)"),
    ("", {"MESSENGER_SERVER__PORT__X": "1"}, "names no setting (server.port.x)"),
    ("", {"MESSENGER_GATEWAY__CLIENTS": "[{app_id: a"}, "MESSENGER_GATEWAY__CLIENTS is not a valid value"),
    ("", {"MESSENGER_GATEWAY__CLIENTS": '[{"app_id": "a"}]'}, "gateway.clients[0].key is required (from MESSENGER_"),
    ("", {"MESSENGER_MESSENGER__KNOCKS__ENABLED": "maybe"}, "messenger.knocks.enabled must be true or false"),
])
def test_bad_configuration_is_one_clear_error(tmp_path, yaml_text, env, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.yaml", env={})


def test_run_py_prints_one_line_and_exits_on_bad_config(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("server:\n  port: [\n")
    result = subprocess.run([sys.executable, "run.py", "--config", str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("config error: ") and "Traceback" not in result.stderr


def test_every_setting_can_come_from_the_environment(tmp_path):
    """The mechanical rule: MESSENGER_ + the key path in upper case, sections joined by a double underscore;
    strings as they are, everything else as YAML/JSON (lists and maps included)."""
    config = load_config(env={
        "MESSENGER_GATEWAY__REDIS_PREFIX": "acme:",  # a string that YAML would read as a mapping stays a string
        "MESSENGER_GATEWAY__CLIENTS": '[{"app_id": "shop", "key": "k1", "secret": "s1"}]',
        "MESSENGER_GATEWAY__CORS_ALLOWED_ORIGINS": '["https://chat.example"]',
        "MESSENGER_GATEWAY__LIMITS__MAX_CHANNELS_PER_SOCKET": "7",
        "MESSENGER_MESSENGER__PROVIDERS__USER__SEARCHABLE": "false",
        "MESSENGER_MESSENGER__KNOCKS__ENABLED": "no",
        "MESSENGER_PRESENCE__OFFLINE_GRACE_SECONDS": "2.5",
        "MESSENGER_SERVER__TRUSTED_PROXIES": "[10.0.0.0/8, 127.0.0.1]",
        "MESSENGER_SERVER__PORT": "7200",
        "MESSENGER_LOGGING__FORMAT": "json",
        "MESSENGER_DATABASE_SCHEMA": "null",
        "MESSENGER_ENVIRONMENT": "production",
        "MESSENGER_TEST_POSTGRES_URL": "not a setting, ignored",
        "MESSENGER_SECURITY__MIN_PASSWORD_LENGTH": "",  # empty: ignored
    })
    assert config.gateway.redis_prefix == "acme:"
    assert [(c.app_id, c.key, c.secret) for c in config.gateway.clients] == [("shop", "k1", "s1")]
    assert config.gateway.cors_allowed_origins == ["https://chat.example"]
    assert config.gateway.limits.max_channels_per_socket == 7
    assert config.messenger.providers["user"].searchable is False
    assert config.messenger.providers["user"].friendable is True  # the rest of the provider survives
    assert config.messenger.knocks.enabled is False
    assert config.presence.offline_grace_seconds == 2.5
    assert config.server.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    assert config.server.port == 7200 and config.logging.format == "json"
    assert config.database_schema is None and config.environment == "production"
    assert config.security.min_password_length == 8


def test_config_command_prints_the_effective_configuration_with_secrets_masked(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MESSENGER_GATEWAY__CLIENTS": '[{"app_id": "shop", "key": "k-secret-1", '
           '"secret": "s-secret-2"}]', "MESSENGER_REDIS_URL": "redis://:r-secret-3@127.0.0.1:6379/0",
           "MESSENGER_DATABASE_URL": "postgresql+asyncpg://app:p-secret-4@db/messenger",
           "MESSENGER_SERVER__PORT": "7300", "MESSENGER_MESSENGER__CALLING__ICE_SERVERS":
           '[{"urls": ["turn:turn.example.net"], "username": "u", "credential": "t-secret-5"}]'}
    result = subprocess.run([sys.executable, "run.py", "config"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    import yaml

    shown = yaml.safe_load(result.stdout)
    assert shown["server"]["port"] == 7300
    assert shown["gateway"]["clients"] == [{"app_id": "shop", "key": "***", "secret": "***"}]
    assert shown["redis_url"] == "redis://:***@127.0.0.1:6379/0"
    assert shown["database_url"] == "postgresql+asyncpg://app:***@db/messenger"
    assert shown["messenger"]["calling"]["ice_servers"] == [{"urls": ["turn:turn.example.net"], "username": "u",
                                                            "credential": "***"}]
    assert "secret-" not in result.stdout
