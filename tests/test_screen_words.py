"""No clinician wording in screen code: every word the screen shows comes from content/ui.toml.

The check reads each module of dashboard/screen with `ast` and lists the string literals that
could reach the screen: any text with a letter, outside docstrings, widget keys, icons, anchors
and other layout arguments, session-state keys, content keys, log calls, exception messages,
comparisons and rule codes. The words the frame shows before content is read, or when it cannot
be read (sign-in, a broken install or content, an unexpected error), are the only exception:
content cannot supply them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCREEN = ROOT / "dashboard" / "screen"
LAYOUT_ARGS = frozenset({
    "key", "icon", "anchor", "type", "format", "vertical_alignment", "gap", "width", "height",
    "label_visibility", "language", "autocomplete", "divider", "position", "scope", "layout",
    "page_icon", "on_change", "mime", "text_alignment", "border"})
NOT_SHOWN_CALLS = frozenset({  # calls whose string arguments are keys or code, never shown
    "string", "words", "_w", "s", "get", "pop", "setdefault", "startswith", "endswith",
    "split", "replace", "get_option", "getLogger", "error_code", "Page", "sub", "compile",
    "match", "fullmatch", "search"})
# (module, function or constant) shown before content is read or when it cannot be read
BEFORE_CONTENT = frozenset({("frame.py", "TITLE"), ("frame.py", "signed_in"),
                            ("frame.py", "content_error"), ("frame.py", "start_up_error"),
                            ("frame.py", "unexpected_error")})
CODE_LIKE = re.compile(r"[a-z0-9_./\-\[\]]*|[A-Z]+\d+(-\d+)?|:material/[a-z_]+:|[^A-Za-z]*")


def _skipped_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()

    def all_in(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and body and \
                isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            all_in(body[0])  # a docstring
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in LAYOUT_ARGS:
                    all_in(keyword.value)
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            logged = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == "_LOG"
            if name in NOT_SHOWN_CALLS or logged:
                for arg in node.args:
                    all_in(arg)
        elif isinstance(node, ast.Subscript):
            all_in(node.slice)
        elif isinstance(node, (ast.Compare, ast.Raise)):
            all_in(node)
    return skip


def screen_literals(source: str, module: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal in `source` that may be shown as words."""
    tree = ast.parse(source)
    skip = _skipped_nodes(tree)
    for node in tree.body:  # the frame's own words, before and without content
        names = [node.name] if isinstance(node, ast.FunctionDef) else [
            t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if any((module, name) in BEFORE_CONTENT for name in names):
            skip.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in skip and not CODE_LIKE.fullmatch(node.value) \
                and not node.value.startswith("](#"):  # a Markdown link's target
            found.append((node.lineno, node.value))
    return sorted(found)


@pytest.mark.parametrize("path", sorted(SCREEN.glob("*.py")), ids=lambda p: p.name)
def test_screen_code_holds_no_words_of_its_own(path: Path):
    found = screen_literals(path.read_text(encoding="utf-8"), path.name)

    assert not found, (f"{path.name}: move these words to content/ui.toml and show them with "
                       f"view.words(content, key): {found}")


def test_the_check_finds_labels_messages_and_words_inside_f_strings():
    source = '''
import streamlit as st
def panel(content, n):
    """Docstrings are not shown."""
    st.info("Tick at least one option to prepare the sheet.", icon=":material/checklist:")
    st.text_input("Team phone", key="s_phone", help=words(content, "sheet_phone_help"))
    st.warning(f"{n} options are ticked: the sheet will be longer")
    return {"yes": "Yes"}.get(st.session_state["s_lang"], "W6")
'''
    found = [text for _, text in screen_literals(source, "sheet_panel.py")]

    assert found == ["Tick at least one option to prepare the sheet.", "Team phone",
                     " options are ticked: the sheet will be longer", "Yes"]


def test_only_the_frames_words_before_content_are_allowed():
    source = 'def signed_in():\n    st.info("Sign in")\ndef header():\n    st.info("Sign in")\n'

    assert screen_literals(source, "frame.py") == [(4, "Sign in")]
    assert len(screen_literals(source, "results.py")) == 2
