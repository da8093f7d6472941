"""The closed condition vocabulary: every operator, absent and unknown values, Kleene logic."""

from __future__ import annotations

import itertools

import pytest

from dashboard.core.conditions import FactSpec, Unknown, evaluate, parse_condition
from dashboard.core.content import AllOf, AnyOf, Compare, NoneOf

U = Unknown(frozenset({"ecog"}))


@pytest.mark.parametrize("op,value,fact,expected", [
    ("eq", 2, 2, True), ("eq", 2, 3, False), ("eq", 1, True, False), ("eq", True, 1, False),
    ("eq", True, True, True), ("ne", 2, 3, True), ("ne", 2, 2, False),
    ("in", ("a", "b"), "a", True), ("in", ("a", "b"), "c", False),
    ("not_in", ("a", "b"), "c", True), ("not_in", ("a", "b"), "a", False),
    ("lt", 3, 2.9, True), ("lt", 3, 3, False), ("le", 3, 3, True), ("le", 3, 3.1, False),
    ("gt", 5, 5.1, True), ("gt", 5, 5, False), ("ge", 5, 5, True), ("ge", 5, 4.9, False),
    ("ge", 4, "diffuse", False), ("lt", 4, "diffuse", False), ("gt", 0, True, False),
    ("is_true", None, True, True), ("is_true", None, False, False), ("is_true", None, 1, False),
    ("is_false", None, False, True), ("is_false", None, 0, False),
])
def test_each_operator(op, value, fact, expected):
    assert evaluate(Compare("x", op, value), {"x": fact}) is expected


@pytest.mark.parametrize("op", ["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_true",
                                "is_false"])
def test_an_absent_value_never_matches_and_an_unknown_one_stays_unknown(op):
    value = ("a",) if op in ("in", "not_in") else 1

    assert evaluate(Compare("x", op, value), {"x": None}) is False
    assert evaluate(Compare("x", op, value), {}) is False
    assert evaluate(Compare("x", op, value), {"x": U}) == Unknown(U.fields)


T, F = Compare("t", "is_true"), Compare("f", "is_true")
UNK = Compare("u", "is_true")
FACTS = {"t": True, "f": False, "u": Unknown(frozenset({"u"}))}
K = {"T": True, "F": False, "U": Unknown(frozenset({"u"}))}


def _kleene_all(values):
    return False if False in values else (K["U"] if any(isinstance(v, Unknown) for v in values)
                                          else True)


def _kleene_any(values):
    return True if True in values else (K["U"] if any(isinstance(v, Unknown) for v in values)
                                        else False)


@pytest.mark.parametrize("combo", list(itertools.product("TFU", repeat=3)))
@pytest.mark.parametrize("nested", [False, True])
def test_all_any_none_follow_kleene_logic(combo, nested):
    clause = {"T": T, "F": F, "U": UNK}
    items = tuple(clause[c] for c in combo)
    if nested:  # the same clauses behind a one-item all(), so the general path is used too
        items = tuple(AllOf((AllOf((item,)), item)) for item in items)
    values = [K[c] for c in combo]

    assert evaluate(AllOf(items), FACTS) == _kleene_all(values)
    assert evaluate(AnyOf(items), FACTS) == _kleene_any(values)
    expected_none = _kleene_any(values)
    expected_none = expected_none if isinstance(expected_none, Unknown) else not expected_none
    assert evaluate(NoneOf(items), FACTS) == expected_none


def test_unknown_fields_are_collected_from_every_undecided_clause():
    facts = {"a": Unknown(frozenset({"a"})), "b": Unknown(frozenset({"b"}))}
    condition = AllOf((Compare("a", "ge", 1), Compare("b", "ge", 1)))

    assert evaluate(condition, facts) == Unknown(frozenset({"a", "b"}))


def test_an_unknown_with_possible_values_is_decided_when_every_possibility_agrees():
    could_be = Unknown(frozenset({"x"}), frozenset({"caution", "not_applicable"}))

    assert evaluate(Compare("v", "eq", "applicable"), {"v": could_be}) is False
    assert evaluate(Compare("v", "ne", "applicable"), {"v": could_be}) is True
    assert evaluate(Compare("v", "eq", "caution"), {"v": could_be}) == Unknown(frozenset({"x"}))


@pytest.mark.parametrize("raw,message", [
    ({"fact": "ecog", "op": "gte", "value": 1}, "expected one of"),
    ({"fact": "nope", "op": "eq", "value": 1}, "unknown fact 'nope'"),
    ({"fact": "ecog", "op": "ge"}, "'ge' needs a value"),
    ({"fact": "ecog", "op": "ge", "value": "2"}, "expected a number"),
    ({"fact": "site", "op": "eq", "value": "lung"}, "not a possible value"),
    ({"fact": "site", "op": "in", "value": []}, "needs a non-empty list"),
    ({"fact": "flag", "op": "is_true", "value": True}, "takes no value"),
    ({"fact": "ecog", "op": "is_true"}, "needs a yes/no fact"),
    ({"fact": "ecog", "op": "ge", "value": 1, "extra": 1}, "unknown keys"),
    ({"any": []}, "takes a non-empty list"),
    ({"always": False}, "always = true"),
    ("ecog >= 2", "expected a clause table"),
])
def test_parsing_rejects_anything_outside_the_vocabulary(raw, message):
    facts = {"ecog": FactSpec("integer"), "site": FactSpec("choice", ("liver_only",)),
             "flag": FactSpec("yes_no")}
    problems: list[str] = []

    parse_condition([raw], facts, "test.toml -> when", problems)

    assert any(message in p for p in problems), problems
    assert all(p.startswith("test.toml -> when -> 0") for p in problems)
