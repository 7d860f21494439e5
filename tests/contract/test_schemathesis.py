"""Schemathesis over every operation of the OpenAPI document, against a real server process on SQLite and on
PostgreSQL: generated valid and invalid requests (authenticated, pointed at real objects) never get a 500, and every
response conforms to the document (status, content type, headers, body schema; 4xx for invalid input)."""
from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from messenger_gateway.rest.openapi import openapi_document
from tests.contract.world import World, build_world
from tests.conftest import drop_schema
from tests.support.nodes import free_port, spawn_node
from tests.support.services import require_postgres

BROADCAST_KEY = "contract-key"
schema = schemathesis.openapi.from_dict(openapi_document())


@contextlib.contextmanager
def server_process(config: dict, workdir: Path) -> Iterator[str]:
    port = free_port()
    proc, log_path = spawn_node({
        "limits": {"register_per_minute": 100_000, "messages_per_minute": 100_000, "search_per_minute": 100_000,
                   "login_per_minute": 100_000, "login_per_address_per_minute": 100_000},
        "logging": {"access_log": False},
        "gateway": {"clients": [{"app_id": "app", "key": BROADCAST_KEY, "secret": "contract-secret"}]},
        **config,
    }, workdir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log_path.read_text(errors="replace")
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{base}/api/messenger", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log_text = log_path.read_text(errors="replace")
        assert "Traceback" not in log_text, log_text[-5000:]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp(f"contract-{request.param}")
    if request.param == "sqlite":
        with server_process({}, workdir) as base:
            yield base
        return
    url = require_postgres()
    name = f"contract_{uuid.uuid4().hex[:12]}"
    try:
        with server_process({"database_url": url, "database_schema": name}, workdir) as base:
            yield base
    finally:
        asyncio.run(drop_schema(url, name))


@pytest.fixture
def world(node: str) -> World:
    """A fresh world for every operation, so that one operation's deletes cannot starve the next."""
    return build_world(node)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_conforms_to_the_document(case: schemathesis.Case, node: str, world: World) -> None:
    template = case.operation.path
    path_info = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if case.path_parameters is not None and (path_info is None or path_info.mode == GenerationMode.POSITIVE):
        case.path_parameters = world.path_values(template)
    if template.startswith("/apps/"):
        headers = {"Authorization": f"Bearer {BROADCAST_KEY}"}
    else:
        headers = world.headers()
    # valid-looking input can still break a business rule (an email already taken, a friend request to oneself)
    case.call_and_validate(base_url=node, headers=headers, timeout=30, excluded_checks=[positive_data_acceptance])
