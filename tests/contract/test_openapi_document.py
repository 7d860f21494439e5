"""The OpenAPI document is valid, names every route the router serves (and only those), and is what
/api/openapi.json serves, with the server's own prefix."""
from __future__ import annotations

import aiohttp
import pytest
from openapi_spec_validator import validate

from messenger_gateway.app.factory import create_app
from messenger_gateway.rest.openapi import openapi_document
from tests.conftest import make_config
from tests.support.http import Api

METHODS = ("get", "put", "post", "delete", "patch")
NOT_IN_THE_DOCUMENT = ("/socket.io/",)  # the Socket.IO transport, described in the README


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


def router_operations(app) -> set[tuple[str, str]]:
    return {(route.method.lower(), route.resource.canonical) for route in app.router.routes()
            if route.method.lower() in METHODS and route.resource is not None
            and not route.resource.canonical.startswith(NOT_IN_THE_DOCUMENT)}


def document_operations(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in METHODS if method in item}


@pytest.mark.parametrize("prefix", ["/api/messenger", "/chat/v1"])
def test_the_document_and_the_router_name_the_same_routes_both_ways(tmp_path, prefix):
    app = create_app(make_config(tmp_path, messenger={"api_prefix": prefix}))
    document = openapi_document(prefix)
    validate(document)
    served, documented = router_operations(app), document_operations(document)
    assert served - documented == set(), "routes the document does not describe"
    assert documented - served == set(), "operations the document describes that no route serves"
    assert len(served) > 100


def test_every_operation_documents_its_errors_and_a_success():
    for path, item in openapi_document()["paths"].items():
        for method in METHODS:
            if method in item:
                responses = item[method].get("responses", {})
                assert "default" in responses, f"{method} {path}: no error response"
                assert any(code.startswith("2") for code in responses), f"{method} {path}: no success response"


@pytest.mark.parametrize("prefix", ["/api/messenger", "/chat/v1"])
async def test_the_server_serves_the_document_without_a_token(make_server, prefix):
    server = await make_server(messenger={"api_prefix": prefix})
    async with aiohttp.ClientSession() as http:
        reply = await Api(str(server.make_url("/")), http).get("/api/openapi.json")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    assert reply.body == openapi_document(prefix)
    assert f"{prefix}/threads/{{thread}}/messages" in reply.body["paths"]
    assert reply.body["openapi"] == "3.1.0"
