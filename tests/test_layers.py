"""The fence: every runtime import points down the floors (app > rest > domain > gateway | presence > storage > core),
and only the composition root, messenger_gateway/app/, assembles the node (imports gateway.server and rest.routes).

Imports inside `if TYPE_CHECKING:` blocks are for annotations only and are skipped."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "messenger_gateway"
FLOORS = {"app": 6, "rest": 5, "domain": 4, "gateway": 3, "presence": 3, "storage": 2, "core": 1}
COMPOSITION_ROOT = "app"
ASSEMBLY = ("messenger_gateway.gateway.server", "messenger_gateway.rest.routes")  # only the composition root imports


def runtime_imports(source: str) -> list[str]:
    """Modules a source file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    found: list[str] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    walk(other)
                continue
            if isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.extend([child.module] + [f"{child.module}.{alias.name}" for alias in child.names])
            walk(child)

    walk(ast.parse(source))
    return found


def violations(relative: str, source: str) -> list[str]:
    """What is wrong with the imports of `source`, a file at `relative` inside messenger_gateway/."""
    package = relative.split("/")[0]
    if package not in FLOORS:
        return [f"{relative} is in no floor (add its package to FLOORS)"] if "/" in relative else []
    if package == COMPOSITION_ROOT:
        return []
    wrong = []
    for module in runtime_imports(source):
        parts = module.split(".")
        if parts[0] != "messenger_gateway" or len(parts) < 2:
            continue
        target = parts[1]
        if target in FLOORS and target != package and FLOORS[target] >= FLOORS[package]:
            wrong.append(f"{relative} imports {module} ({package} -> {target} runs up or across)")
        if module in ASSEMBLY or module.startswith(tuple(f"{a}." for a in ASSEMBLY)):
            wrong.append(f"{relative} imports {module} (only the composition root assembles the node)")
    return wrong


def test_every_import_points_down_the_floors():
    found = []
    for path in sorted(PACKAGE.glob("**/*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        found += violations(relative, path.read_text(encoding="utf-8"))
    assert found == [], "\n".join(found)


def test_the_fence_sees_an_upward_arrow_and_ignores_annotations():
    assert violations("storage/x.py", "from messenger_gateway.domain.accounts import Accounts\n")
    assert violations("gateway/x.py", "import messenger_gateway.presence.engine\n")  # across the floor
    assert violations("domain/x.py", "from messenger_gateway.rest import routes\n")
    assert violations("domain/x.py", "from messenger_gateway.app.factory import create_app\n")
    assert violations("rest/x.py", "from messenger_gateway.gateway.server import build_gateway\n")
    assert violations("cache/x.py", "import os\n")  # a new package must be given its floor
    assert not violations("domain/x.py",
                          "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from messenger_gateway.rest import x\n")
    assert not violations("app/factory.py", "from messenger_gateway.rest.routes import setup_routes\n")
    assert not violations("domain/x.py", "from messenger_gateway.storage.models import Thread\n"
                                         "from messenger_gateway.gateway.bus import EventBus\n")
