"""The normalizer is pure: no module of it imports what reads files, the network or a store.

Its rules (keywords, replies, categories, places) arrive as arguments, loaded by ``config``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import normalizer

# What would let a normalizer function do I/O (or read the settings behind the caller's back).
IMPURE = {
    "builtins", "io", "os", "pathlib", "shutil", "socket", "subprocess", "tempfile", "tomllib",
    "csv", "requests", "redis", "rq", "sqlalchemy", "flask", "config", "config.settings",
    "adapters", "dispatcher", "casestore", "gateway",
}  # fmt: skip
MODULES = sorted(Path(normalizer.__file__).parent.glob("*.py"))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_normalizer_module_imports_io(path: Path):
    impure = {
        name
        for name in _imports(path)
        if name in IMPURE or name.split(".")[0] in IMPURE - {"config"}
    }
    assert impure == set(), f"{path.name} imports {sorted(impure)}"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_no_normalizer_module_opens_a_file(path: Path):
    calls = [
        node.func
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
    ]
    opened = [f for f in calls if isinstance(f, ast.Attribute | ast.Name) and _name(f) == "open"]
    assert opened == [], f"{path.name} opens a file"


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
