#!/usr/bin/env bash
# The lower bounds in pyproject.toml are the oldest releases we claim to work with: install exactly those (uv's
# lowest-direct resolution) in a clean virtualenv and run the tests that lean on library behaviour and internals
# (the fan-out and SQLite fast paths, the broadcast API, the drain, the process-level tests, the router against
# the OpenAPI document).
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python -m pip install -q "uv>=0.5"
python -m uv venv -q -p "$(python -c 'import sys; print(sys.executable)')" "$work/venv"
python -m uv pip install -q --python "$work/venv/bin/python" --resolution lowest-direct ".[test]"
echo "lowest bounds: $(python -m uv pip list --python "$work/venv/bin/python" --format=freeze 2>/dev/null | grep -iE '^(aiohttp|python-socketio|python-engineio|sqlalchemy|aiosqlite|redis|prometheus-client)==' | tr '\n' ' ')"
# warnings off: old releases deprecate what their successors accept, and the list would bury the result
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -p no:warnings tests/ops tests/gateway tests/rest tests/storage \
    tests/test_cli.py tests/contract/test_openapi_document.py
