"""The shape of the code: apps depend one way, and access is decided in the policy modules only.

`grades` is the core; the apps built on it import it, never it them, and never one
another's views. A page that combines apps is composed through grades.extensions (panels
and hooks registered at start-up), so no module asks whether another app is installed.
Read from the source with the standard library's parser: what is checked is what runs.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("grades", "reviews", "pay", "imports", "exports", "jobs", "webhooks", "api")
# What each product app may import of the others (grades is the core; demo is no product code).
ALLOWED = {
    "grades": set(),
    "reviews": {"grades"},
    "pay": {"grades"},
    "imports": {"grades"},
    "exports": {"grades", "reviews", "pay"},
    "jobs": {"grades", "reviews"},
    "webhooks": {"grades"},
    # The API composes the apps' reads and writes for scripts, as the pages do for people.
    "api": {"grades", "reviews", "pay", "imports"},
}


def product_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def imported_names(path: Path) -> list[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("app", APPS)
def test_each_app_imports_only_what_it_builds_on(app):
    wrong = []
    for path in product_modules(app):
        for name in imported_names(path):
            top = name.split(".")[0]
            # gradesys is the project on top of every app (settings, URLs, the menu): apps
            # read settings through django.conf and share helpers through common.
            if top in APPS and top != app and top not in ALLOWED[app] or top in ("demo", "faker", "factory", "gradesys"):
                wrong.append(f"{path.relative_to(ROOT)}: {name}")
    assert wrong == []


def test_the_shared_kernel_imports_no_app_and_not_the_project():
    wrong = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in product_modules("common")
        for name in imported_names(path)
        if name.split(".")[0] in (*APPS, "gradesys", "demo")
    ]
    assert wrong == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_another_apps_views(app):
    wrong = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in product_modules(app)
        for name in imported_names(path)
        if name.split(".")[0] in APPS and name.split(".")[0] != app and "views" in name.split(".")[1:]
    ]
    assert wrong == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_guards_on_another_being_installed(app):
    """No `except ImportError` and no apps.is_installed(): an app's absence is never a silent branch."""
    found = []
    for path in product_modules(app):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = ast.unparse(node.type)
                if "ImportError" in caught or "ModuleNotFoundError" in caught:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} except {caught}")
            if isinstance(node, ast.Attribute) and node.attr == "is_installed":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} is_installed")
    assert found == []


def test_roles_are_asked_only_in_the_policy_modules():
    """Access is decided in */policies.py: nowhere else asks for a role directly."""
    callers = []
    for app in (*APPS, "gradesys"):
        for path in product_modules(app):
            if path.name in ("policies.py", "roles.py"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "user_has_role":
                    callers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert callers == []


def test_the_checks_above_see_a_reverse_import(tmp_path):
    """The parser finds a function-level import, as the old progress page had, by both spellings."""
    module = tmp_path / "views.py"
    module.write_text("def page():\n    from reviews.views import review_box\n    from reviews import views\n")
    names = imported_names(module)
    assert "reviews.views" in names and names.count("reviews.views") == 2
