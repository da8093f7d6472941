"""Dependency directions (design/architecture.md): checked on the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE = sorted((ROOT / "dashboard" / "core").glob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_imports_no_streamlit_fpdf_or_pandas(path):
    assert _imports(path) & {"streamlit", "fpdf", "pandas", "numpy"} == set()


@pytest.mark.parametrize("path", CORE, ids=[p.name for p in CORE])
def test_core_does_not_read_the_clock(path):
    source = path.read_text(encoding="utf-8")
    assert ".today()" not in source and ".now(" not in source


@pytest.mark.parametrize("name", ["pdf.py", "adapters/frames.py", "cli.py"])
def test_adapters_other_than_the_ui_never_import_streamlit(name):
    path = ROOT / "dashboard" / name
    if not path.exists():
        pytest.skip(f"{name} does not exist yet")
    assert "streamlit" not in _imports(path)


def test_only_the_loader_reads_content_files():
    for path in CORE:
        if path.name != "loader.py":
            source = path.read_text(encoding="utf-8")
            assert "read_text" not in source and "open(" not in source, path.name
