"""The dependency rules of ARCHITECTURE.md, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"core", "accounts", "portal", "households", "events", "volunteers", "pledges", "liaison",
        "reports"}  # fmt: skip
#: What each app may import besides itself (ARCHITECTURE.md, "The rooms of the house").
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "households": {"core", "accounts"},
    "events": {"core", "accounts", "households"},
    "volunteers": {"core", "accounts", "households", "events"},
    "pledges": {"core", "accounts", "households", "volunteers"},
    "liaison": {"core", "accounts", "households"},
    "reports": OURS - {"portal", "reports"},
    "portal": OURS - {"portal"},
}


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in OURS)
    return found


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_apps_import_only_what_the_architecture_allows(app):
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for other in imported_apps(path) - ALLOWED[app] - {app}:
            wrong.append(f"{path.relative_to(ROOT)} imports {other}")
    assert wrong == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from portal.models import HomePage\n    import reports.x\n")
    assert imported_apps(module) == {"portal", "reports"}
