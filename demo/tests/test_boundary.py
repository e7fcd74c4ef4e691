"""The demo organisation and the test tools stay out of the product.

Production installs requirements.txt alone (no Faker, no test tools) and leaves the
`demo` app out; these tests prove that such a start loads every product module, and
that nothing in the product apps reaches for the demo or a development package.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PRODUCT_APPS = ("grades", "reviews", "pay", "imports", "exports", "jobs", "gradesys")
# Packages of requirements-dev.txt, by the name they are imported under.
DEVELOPMENT_PACKAGES = ("demo", "faker", "factory", "pytest", "pytest_django", "hypothesis", "playwright")

# Imports every product module (tests aside) under the settings of the environment, then
# reports what got loaded.
PROBE = """
import importlib, json, pkgutil, sys
import django
django.setup()
from django.conf import settings
from django.core.management import get_commands
from django.urls import get_resolver

apps = %r
for app in apps:
    package = importlib.import_module(app)
    for module in pkgutil.walk_packages(package.__path__, app + "."):
        parts = module.name.split(".")
        if "tests" in parts or any("-" in part for part in parts):
            continue
        importlib.import_module(module.name)
get_resolver().url_patterns
print(json.dumps({
    "installed": list(settings.INSTALLED_APPS),
    "loaded": sorted({name.split(".")[0] for name in sys.modules}),
    "seed_demo": "seed_demo" in get_commands(),
}))
"""


def probe(**environment):
    """What a start with `environment` (over a clean one) installs and imports."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "GRADESYS_DEMO", "SECRET_KEY")}
    env.update(environment, DJANGO_SETTINGS_MODULE="gradesys.settings", PYTHONPATH=str(PROJECT))
    result = subprocess.run(
        [sys.executable, "-c", PROBE % (PRODUCT_APPS,)],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_production_start_loads_every_product_module_without_the_demo_or_faker():
    found = probe(DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="grades.example.com")
    assert "demo" not in found["installed"]
    assert not found["seed_demo"]
    loaded = set(found["loaded"])
    assert set(PRODUCT_APPS) <= loaded
    assert not loaded & set(DEVELOPMENT_PACKAGES), sorted(loaded & set(DEVELOPMENT_PACKAGES))


def test_debug_installs_the_demo_unless_it_is_turned_off():
    assert probe(DEBUG="1")["seed_demo"]
    off = probe(DEBUG="1", GRADESYS_DEMO="0")
    assert "demo" not in off["installed"] and not off["seed_demo"]
    assert "faker" not in off["loaded"]


def test_the_demo_can_be_turned_on_without_debug():
    found = probe(DEBUG="0", SECRET_KEY="x" * 60, GRADESYS_DEMO="1")
    assert "demo" in found["installed"] and found["seed_demo"]


def _product_sources():
    for app in PRODUCT_APPS:
        for path in sorted((PROJECT / app).rglob("*.py")):
            if "tests" not in path.relative_to(PROJECT).parts:
                yield path


def _imported_packages(path: Path) -> set[str]:
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    return imported


def test_no_product_module_imports_the_demo_or_a_development_package():
    """Also the imports inside functions, which a start does not run."""
    sources = list(_product_sources())
    assert len(sources) > 50, "the product's modules were not found"
    offenders = {
        str(path.relative_to(PROJECT)): sorted(found)
        for path in sources
        if (found := _imported_packages(path) & set(DEVELOPMENT_PACKAGES))
    }
    assert offenders == {}


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import os\n\ndef later():\n    from demo import people\n    import faker.proxy\n")
    assert _imported_packages(module) == {"os", "demo", "faker"}
