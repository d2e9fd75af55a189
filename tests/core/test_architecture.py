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


# --- the site and the aggregator read other apps through their selectors only --------------

#: Apps whose code portal/ and reports/ may reach only through ``<app>.selectors``. ``core`` is
#: not among them: it holds no domain, only utilities (env helpers for the settings, phone
#: display for a template tag), and ARCHITECTURE.md lets every room use it.
SELECTORS_ONLY_FROM = OURS - {"core"}
READERS = ("portal", "reports")


def _is_selectors_module(dotted: str) -> bool:
    """``events.selectors`` or a module of a ``selectors`` package (``events.selectors.x``)."""
    parts = dotted.split(".")
    return len(parts) >= 2 and parts[1] == "selectors"


def non_selector_imports(path: Path, reader: str) -> list[str]:
    """Imports in ``path`` of another app's modules other than its selectors, as
    ``line: module`` texts. Imports inside functions count too."""
    wrong = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if "." in node.module:
                targets = [node.module]
            else:  # ``from events import selectors, models``: each name is a module
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            app = target.split(".")[0]
            if app in SELECTORS_ONLY_FROM - {reader} and not _is_selectors_module(target):
                wrong.append(f"{node.lineno}: {target}")
    return wrong


@pytest.mark.parametrize("reader", READERS)
def test_the_site_and_reports_import_only_selectors(reader):
    wrong = []
    for path in sorted((ROOT / reader).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # frozen history: migrations use apps.get_model
        wrong += [f"{path.relative_to(ROOT)}:{hit}" for hit in non_selector_imports(path, reader)]
    assert wrong == []


def test_the_selectors_check_tells_selectors_from_the_rest(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from events.selectors import event_list\n"
        "from events import selectors\n"
        "import households.selectors.figures\n"
        "from core.env import integer\n"
        "from reports.models import Report\n"  # reports itself (for the reports reader)
        "def f():\n"
        "    from events.models import EventPage\n"
        "    from households import selectors, services\n"
        "    import accounts.views\n"
    )
    assert non_selector_imports(module, "reports") == [
        "7: events.models",
        "8: households.services",
        "9: accounts.views",
    ]
    assert "5: reports.models" in non_selector_imports(module, "portal")


# --- the register's people are read through households' selectors -------------------------

#: Register models whose rows only ``households`` may query directly; everyone else goes
#: through ``households.selectors`` (the scope) or the related managers of their own rows.
REGISTER_MODELS = {"Household", "Member"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
META_MANAGERS = {"default_manager", "base_manager"}


def _names_for_register_models(tree: ast.AST) -> set[str]:
    """The local names a module binds to the register models (``Member``, ``Member as M``)."""
    names = set(REGISTER_MODELS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "households.models":
            names |= {a.asname or a.name for a in node.names if a.name in REGISTER_MODELS}
    return names


def _is_register_model(node: ast.AST, models: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in models
    if isinstance(node, ast.Attribute) and node.attr in REGISTER_MODELS:
        return True  # register.Member, households.models.Member
    if isinstance(node, ast.Call):  # apps.get_model("households", "Member") / ("households.Member")
        texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
        named = " ".join(str(t) for t in texts)
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return called == "get_model" and any(m in named for m in REGISTER_MODELS)
    return False


def register_manager_uses(path: Path) -> list[str]:
    """``Household.objects`` / ``Member._default_manager`` / ``Member._meta.default_manager``
    and the like in ``path``, as ``line: text``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    models = _names_for_register_models(tree)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if node.attr in META_MANAGERS and isinstance(owner, ast.Attribute):
            if owner.attr == "_meta":
                owner = owner.value
            else:
                continue
        elif node.attr not in MANAGERS:
            continue
        if _is_register_model(owner, models):
            hits.append(f"{node.lineno}: {ast.unparse(node)}")
    return hits


@pytest.mark.parametrize("app", sorted(OURS - {"households"}))
def test_no_app_but_households_queries_households_or_members_directly(app):
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        wrong += [f"{path.relative_to(ROOT)}:{hit}" for hit in register_manager_uses(path)]
    assert wrong == []


def test_the_manager_check_sees_every_spelling(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from households.models import Household, Member as Person\n"
        "from households import models as register\n"
        "from django.apps import apps\n"
        "Household.objects.all()\n"
        "def f():\n"
        "    Person._default_manager.filter(pk=1)\n"
        "    register.Member._base_manager.all()\n"
        "    apps.get_model('households', 'Member').objects.count()\n"
        "    Member._meta.default_manager.all()\n"
        "    household.members.all()\n"  # a related manager: allowed
        "    Community.objects.all()\n"  # not a register person
        "    Member.Category.RETURNEE\n"
    )
    assert register_manager_uses(module) == [
        "4: Household.objects",
        "6: Person._default_manager",
        "7: register.Member._base_manager",
        "8: apps.get_model('households', 'Member').objects",
        "9: Member._meta.default_manager",
    ]
