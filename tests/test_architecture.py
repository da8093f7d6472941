"""Dependency directions (architecture.md, "The next layout"), checked on the source with `ast`.

    content/ -> core -> service -> adapters -> screen | cli

Each module of dashboard/ belongs to one layer by where it lives. A layer may import only the
layers to its left (and itself); imports inside functions count too. The core is standard library
only; Streamlit is imported by the screen alone (and by the launcher that starts it).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DASHBOARD = ROOT / "dashboard"
CORE = sorted((DASHBOARD / "core").glob("*.py"))
MODULES = sorted(p for p in DASHBOARD.rglob("*.py") if "__pycache__" not in p.parts)

# Which dashboard layers each layer may import.
MAY_IMPORT = {
    "core": {"core"},
    # The service draws the sheet through the PDF adapter, imported lazily (fpdf2 loads on the
    # first sheet only): the one step to the right, and only to the renderer (RENDERER below).
    "service": {"core", "service"},
    "adapters": {"core", "service", "adapters"},
    "web": {"core", "web"},
    "screen": {"core", "service", "adapters", "web", "screen"},
    "cli": {"core", "service", "adapters", "cli"},
    "launcher": {"web", "screen", "adapters"},  # starts the sheet workers (render_pool)
}
RENDERER = ("dashboard.adapters.pdf",)
# Third-party packages that a layer must never import.
FORBIDDEN = {
    "service": {"streamlit", "pandas"},
    "adapters": {"streamlit"},
    "web": {"streamlit", "fpdf", "pandas"},
    "cli": {"streamlit", "pandas"},
}
STREAMLIT_LAYERS = {"screen", "launcher"}
# The web edge (dashboard/web/) guards Streamlit's server and reads its runtime, never `st.*`.
STREAMLIT_SERVER = ("streamlit.runtime", "streamlit.web")


def _within(path: Path) -> tuple[str, ...]:
    """The path's parts below its (last) `dashboard` folder."""
    parts = path.parts
    return parts[len(parts) - parts[::-1].index("dashboard"):]


def layer(path: Path) -> str:
    """The layer of a module of dashboard/, from where it lives."""
    parts = _within(path)
    if parts[0] in ("core", "adapters", "screen", "web"):
        return parts[0]
    name = path.stem
    if name == "service":
        return "service"
    if name in ("cli", "__main__") or name.endswith("_cli"):
        return "cli"
    if name == "serve":
        return "launcher"
    if name == "__init__":
        return "core"  # the package marker: imports nothing
    return "adapters"  # selftest.py (the fonts)


def imports(path: Path) -> list[str]:
    """Every module a file imports, as absolute dotted names (relative imports resolved)."""
    package = ".".join(("dashboard", *_within(path)[:-1]))
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names += [f"{base}.{a.name}" if not base.startswith("dashboard")
                      or _is_module(f"{base}.{a.name}") else base for a in node.names]
    return names


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    return (ROOT / relative).with_suffix(".py").exists() or (ROOT / relative).is_dir()


def _layer_of_import(name: str) -> str | None:
    """The layer of an imported dashboard module (None when it is not ours)."""
    parts = name.split(".")
    if parts[0] != "dashboard" or len(parts) == 1:
        return None
    path = DASHBOARD.joinpath(*parts[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return layer(path) if path.exists() else layer(DASHBOARD / parts[1] / "x.py")


def violations(path: Path) -> list[str]:
    """The imports of a module that break the layer rules, each with the reason."""
    own, wrong = layer(path), []
    for name in imports(path):
        target = _layer_of_import(name)
        if target is not None and target not in MAY_IMPORT[own] and not (
                own == "service" and name.startswith(RENDERER)):
            wrong.append(f"{name}: {own} may not import {target}")
        top = name.split(".")[0]
        if top == "streamlit" and own not in STREAMLIT_LAYERS and not (
                own == "web" and name.startswith(STREAMLIT_SERVER)):
            wrong.append(f"{name}: only the screen imports Streamlit")
        if top in FORBIDDEN.get(own, set()) - {"streamlit"}:
            wrong.append(f"{name}: {own} may not import {top}")
    return wrong


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(DASHBOARD)) for p in MODULES])
def test_each_module_imports_only_the_layers_to_its_left(path):
    assert violations(path) == []


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_imports_the_standard_library_only(path):
    outside = {name.split(".")[0] for name in imports(path)} - set(sys.stdlib_module_names)
    assert outside - {"dashboard"} == set()
    assert [n for n in imports(path) if n.startswith("dashboard.")
            and not n.startswith("dashboard.core")] == []


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_does_not_read_the_clock(path):
    source = path.read_text(encoding="utf-8")
    assert ".today()" not in source and ".now(" not in source


def test_only_the_loader_reads_content_files():
    for path in CORE:
        if path.name != "loader.py":
            source = path.read_text(encoding="utf-8")
            assert "read_text" not in source and "open(" not in source, path.name


def test_nothing_outside_the_screen_imports_it_and_nothing_imports_the_command_line():
    for path in MODULES:
        own = layer(path)
        for name in imports(path):
            target = _layer_of_import(name)
            if target == "screen":
                assert own in ("screen", "launcher"), (path, name)
            if target == "cli":
                assert own == "cli", (path, name)


def private_imports(path: Path) -> list[str]:
    """Names starting with `_` that a module imports from another of our modules."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(
                "dashboard")):
            out += [f"{node.module or '.'}.{a.name}" for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")]
    return out


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(DASHBOARD)) for p in MODULES])
def test_no_module_reaches_into_another_modules_private_names(path):
    """A `_name` is the module's own business; what others need is public (issue #9)."""
    assert private_imports(path) == []


def test_the_layer_checker_can_fail(tmp_path):
    """Wrong imports in a made-up tree are caught, relative ones resolved to their package."""
    core, adapters = tmp_path / "dashboard" / "core", tmp_path / "dashboard" / "adapters"
    core.mkdir(parents=True)
    adapters.mkdir()
    (core / "bad.py").write_text("import streamlit as st\nfrom ..service import prepare_sheet\n"
                                 "def f():\n    from . import engine\n", encoding="utf-8")
    (adapters / "bad.py").write_text("import pandas\ndef g():\n    from dashboard.screen import "
                                     "view\n    from streamlit import runtime\n",
                                     encoding="utf-8")

    in_core, in_adapter = violations(core / "bad.py"), violations(adapters / "bad.py")

    assert in_core == ["streamlit: only the screen imports Streamlit",
                       "dashboard.service: core may not import service"]
    assert in_adapter == ["dashboard.screen.view: adapters may not import screen",
                          "streamlit.runtime: only the screen imports Streamlit"]
    assert "dashboard.core.engine" in imports(core / "bad.py")
    (core / "private.py").write_text("from .explain import _unique, finding_text\n",
                                     encoding="utf-8")
    assert private_imports(core / "private.py") == ["explain._unique"]
    assert layer(DASHBOARD / "batch_cli.py") == "cli"
    assert layer(DASHBOARD / "serve.py") == "launcher"
