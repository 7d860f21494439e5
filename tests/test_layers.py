"""The fence: every runtime import points down the floors (rest > domain > gateway | presence > storage > core), and
only the composition root assembles the node (imports gateway.server and rest.routes).

The composition root is core/app.py with core/serving.py (the node's assembly and its serve loop); they are exempt.
Imports inside `if TYPE_CHECKING:` blocks are for annotations only and are skipped."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {"rest": 5, "domain": 4, "gateway": 3, "presence": 3, "storage": 2, "core": 1}
COMPOSITION_ROOT = {"core/app.py", "core/serving.py"}
ASSEMBLY = ("gateway.server", "rest.routes")  # what only the composition root may import


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
    package = relative.split("/")[0]
    if package not in FLOORS or relative in COMPOSITION_ROOT:
        return []
    wrong = []
    for module in runtime_imports(source):
        target = module.split(".")[0]
        if target in FLOORS and target != package and FLOORS[target] >= FLOORS[package]:
            wrong.append(f"{relative} imports {module} ({package} -> {target} runs up or across)")
        if module in ASSEMBLY or module.startswith(tuple(f"{a}." for a in ASSEMBLY)):
            wrong.append(f"{relative} imports {module} (only the composition root assembles the node)")
    return wrong


def test_every_import_points_down_the_floors():
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        found += violations(relative, path.read_text(encoding="utf-8"))
    assert found == [], "\n".join(found)


def test_the_fence_sees_an_upward_arrow_and_ignores_annotations():
    assert violations("storage/x.py", "from domain.accounts import Accounts\n")
    assert violations("gateway/x.py", "import presence.engine\n")  # across the floor
    assert violations("domain/x.py", "from rest import routes\n")
    assert not violations("domain/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from rest import x\n")
    assert not violations("core/app.py", "from rest.routes import setup_routes\n")
    assert not violations("domain/x.py", "from storage.models import Thread\nfrom gateway.bus import EventBus\n")
