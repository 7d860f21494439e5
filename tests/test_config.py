"""Configuration loading: defaults, override file, environment, and one-line errors at start-up."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, load_config

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
    ("", {"MESSENGER_PORT": "six"}, "MESSENGER_PORT must be a port number"),
    ("messenger:\n  default_provider: bot\n", {}, "is not one of messenger.providers"),
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
