"""The shape of the code (issue 14, README "Architecture"): which app may import which.

    core  ←  teams  ←  campaigns  ←  budgets, risks, members, reviews  ←  dashboards, demo

An arrow means "may import". Nothing imports upward. Within the domain layer the only imports are along
SIBLING_EDGES (a risk names a budget line; the meeting agenda reads budgets and risks) — one direction, no cycle.
No module imports another app's ``views`` or ``forms``. ``apps.get_model("budgets", …)`` and model strings in
relations (``ForeignKey("budgets.BudgetLine")``) count as imports, and so do imports inside functions.
``config/`` wires the apps together (URLs, settings, Celery) and is outside the layers; tests, bench and scripts
may import anything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS = {
    "core": 0,
    "teams": 1,
    "campaigns": 2,
    "budgets": 3,
    "risks": 3,
    "members": 3,
    "reviews": 3,
    "dashboards": 4,
    "demo": 4,
}
# Imports between apps of the same layer that are allowed, as (importer, imported).
SIBLING_EDGES = {("risks", "budgets"), ("reviews", "budgets"), ("reviews", "risks")}
PRIVATE_MODULES = {"views", "forms"}
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
NOT_APPS = {"config", "tests", "bench", "scripts", "templates", "static", "locale", "frontend"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} → {self.imported} ({self.why})"


def _referenced_modules(tree: ast.AST) -> list[tuple[str, int]]:
    """Every (dotted module or app label, line) the module refers to: imports at any depth, get_model strings and
    model strings in relation fields."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if "." in node.module:
                found.append((node.module, node.lineno))
            else:  # ``from budgets import views``: each name may be a module
                found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if name == "get_model" or name in RELATION_FIELDS and "." in first.value:
                found.append((first.value.split(".")[0], node.lineno))
    return found


def check_source(source: str, path: str, app: str) -> list[Violation]:
    """The violations in one module of ``app``."""
    violations = []
    for module, line in _referenced_modules(ast.parse(source, path)):
        parts = module.split(".")
        other = parts[0]
        if other not in LAYERS or other == app:
            continue
        if len(parts) > 1 and parts[1] in PRIVATE_MODULES:
            violations.append(Violation(path, line, app, module, f"another app's {parts[1]} module"))
        elif LAYERS[other] > LAYERS[app]:
            violations.append(Violation(path, line, app, module, "upward"))
        elif LAYERS[other] == LAYERS[app] and (app, other) not in SIBLING_EDGES:
            violations.append(Violation(path, line, app, module, "sideways, not a declared sibling edge"))
    return sorted(set(violations), key=lambda v: (v.path, v.line, v.imported))


def app_modules() -> list[tuple[str, Path]]:
    return [
        (path.relative_to(ROOT).parts[0], path)
        for path in sorted(ROOT.glob("*/**/*.py"))
        if path.relative_to(ROOT).parts[0] in LAYERS
    ]


def test_every_app_has_a_layer():
    """A new top-level package must be placed in the picture before it can import anything."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_APPS
    assert packages <= set(LAYERS), f"place these apps in LAYERS: {sorted(packages - set(LAYERS))}"


def test_imports_follow_the_layers():
    violations = []
    for app, path in app_modules():
        violations += check_source(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), app)
    assert not violations, f"{len(violations)} imports against the architecture:\n" + "\n".join(map(str, violations))


def test_the_checker_finds_each_kind_of_violation():
    """The rule is live: each kind of forbidden reference in a module is reported with its file and line."""
    source = """
from budgets.models import Budget
import dashboards.views
from django.apps import apps


def later():
    from risks import forms
    Member = apps.get_model("members", "Member")
    return models.ForeignKey("reviews.Meeting", on_delete=None)
"""
    found = {(v.line, v.imported, v.why) for v in check_source(source, "campaigns/example.py", "campaigns")}
    assert found == {
        (2, "budgets.models", "upward"),
        (3, "dashboards.views", "another app's views module"),
        (8, "risks.forms", "another app's forms module"),
        (9, "members", "upward"),
        (10, "reviews", "upward"),
    }
    sideways = check_source("from members.models import Member\n", "budgets/x.py", "budgets")
    assert [str(v) for v in sideways] == [
        "budgets/x.py:1: budgets → members.models (sideways, not a declared sibling edge)"
    ]
    assert check_source("from budgets.models import Budget\n", "risks/x.py", "risks") == []
    assert check_source("from budgets.forms import BudgetForm\n", "dashboards/x.py", "dashboards")[0].why == (
        "another app's forms module"
    )


def test_modules_and_public_services_and_selectors_say_what_they_are_for():
    """Every module over 40 lines has a docstring, and so does every public function of a services or selectors
    module (issue 14: a newcomer reads one or two lines, not the body)."""
    missing = []
    for _app, path in app_modules():
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        where = path.relative_to(ROOT)
        if len(source.splitlines()) > 40 and not ast.get_docstring(tree):
            missing.append(f"{where}: module")
        if path.stem in ("services", "selectors") or path.parent.name == "services":
            for node in tree.body:
                public = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
                if public and not ast.get_docstring(node):
                    missing.append(f"{where}:{node.lineno}: {node.name}")
    assert not missing, "say what it is for, in a line or two:\n" + "\n".join(missing)
