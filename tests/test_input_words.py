"""The words for refused input come from content/input.toml, not from the code.

A field's wrong type, range or unit (the command line's `errors`, core/factors.py) and a patient
list's problems (the clinic day, core/intake.py) are clinician words: they live in content with
every other word, so they can be reviewed and, later, translated. The strict JSON reader's
refusals (`InputRefused`, raised before content is read) are the one exception: they name a
place in the file, not a patient factor.
"""

from __future__ import annotations

import ast
import dataclasses
import re

import pytest

from dashboard.core import intake
from dashboard.core.factors import parse_factors
from tests.conftest import ROOT, make_factors
from tests.test_screen_words import screen_literals

CORE = ROOT / "dashboard" / "core"
# The strict JSON reader words its refusals itself (no content there yet).
BEFORE_CONTENT = frozenset({"parse_json", "_check", "_place", "_too_deep", "_constant"})
ISSUE_CODE = re.compile(r"[A-Z][A-Z_]+")


def _functions_at(tree: ast.Module) -> dict[int, str]:
    at: dict[int, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                at[line] = node.name
    return at


@pytest.mark.parametrize("name", ["factors.py", "intake.py"])
def test_refused_input_is_worded_in_content_only(name):
    source = (CORE / name).read_text(encoding="utf-8")
    at = _functions_at(ast.parse(source))
    words = [(line, text) for line, text in screen_literals(source, name)
             if not ISSUE_CODE.fullmatch(text) and at.get(line) not in BEFORE_CONTENT]

    assert not words, f"{name}: move these words to content/input.toml: {words}"


def _with_words(content, **words):
    strings = {lang: dict(table) for lang, table in content.strings.items()}
    strings["en"].update({f"input.{key}": text for key, text in words.items()})
    return dataclasses.replace(content, strings=strings)


def test_a_field_message_is_the_content_wording_filled_in(content):
    changed = _with_words(content, not_yes_no="{label}: answer yes or no",
                          out_of_range="{label} outside {low}–{high}{unit}")

    _, errors, _ = parse_factors(make_factors(cirrhosis="maybe"), changed)
    _, _, ranges = parse_factors(make_factors(ecog=9), changed)

    label = content.factor("cirrhosis").label["en"]
    assert [e.message for e in errors] == [f"{label}: answer yes or no"]
    assert [e.message for e in ranges] == [f"{content.factor('ecog').label['en']} outside 0–4"]


def test_a_patient_list_problem_is_the_content_wording(content):
    changed = _with_words(content, list_semicolons="Use commas between columns.",
                          row_not_object="Not a patient.")

    listed = intake.read_csv(b"ecog;bclc\n1;A\n", changed)

    assert listed.problems == ("Use commas between columns.",)
    assert [i.message for i in intake.read_json("[3]", changed).rows[0].issues] == [
        "Not a patient."]


def test_every_word_of_input_toml_is_used_and_every_used_word_exists(content):
    used = set()
    for name in ("factors.py", "intake.py"):
        for node in ast.walk(ast.parse((CORE / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "input_words", "_type_error"):
                used.update(a.value for a in node.args
                            if isinstance(a, ast.Constant) and isinstance(a.value, str))
    used.update(("not_count", "not_number"))  # chosen by an expression in factors._coerce
    defined = {key.removeprefix("input.") for key in content.strings["en"]
               if key.startswith("input.")}

    assert used - defined == set()
    assert defined - used == set()
