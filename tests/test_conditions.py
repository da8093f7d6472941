"""The closed condition vocabulary: every operator, absent and unknown values, Kleene logic."""

from __future__ import annotations

import itertools

import pytest

from dashboard.core.conditions import FactSpec, Unknown, evaluate, parse_condition
from dashboard.core.content import AllOf, Always, AnyOf, Compare, NoneOf

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
    (3, "expected a clause table"),
])
def test_parsing_rejects_anything_outside_the_vocabulary(raw, message):
    facts = {"ecog": FactSpec("integer"), "site": FactSpec("choice", ("liver_only",)),
             "flag": FactSpec("yes_no")}
    problems: list[str] = []

    parse_condition([raw], facts, "test.toml -> when", problems)

    assert any(message in p for p in problems), problems
    assert all(p.startswith("test.toml -> when -> 0") for p in problems)



# --------------------------------------------------------------------------- written conditions

WRITTEN_FACTS = {"ecog": FactSpec("integer"), "site": FactSpec("choice", ("liver_only", "other")),
                 "flag": FactSpec("yes_no"), "size": FactSpec("number"),
                 "verdict.x": FactSpec("verdict", ("applicable", "caution", "not_applicable"))}


@pytest.mark.parametrize("text,expected", [
    ("ecog >= 2", Compare("ecog", "ge", 2)),
    ("size <= 3.5", Compare("size", "le", 3.5)),
    ("site = liver_only", Compare("site", "eq", "liver_only")),
    ("site != liver_only", Compare("site", "ne", "liver_only")),
    ('site = "liver_only"', Compare("site", "eq", "liver_only")),
    ("site in [liver_only, other]", Compare("site", "in", ("liver_only", "other"))),
    ("site not in [other]", Compare("site", "not_in", ("other",))),
    ("flag is yes", Compare("flag", "is_true")),
    ("flag is no", Compare("flag", "is_false")),
    ("verdict.x = applicable", Compare("verdict.x", "eq", "applicable")),
    ("ecog < 1 and flag is yes", AllOf((Compare("ecog", "lt", 1), Compare("flag", "is_true")))),
    ("ecog > 3 or flag is yes\nor size >= 1",
     AnyOf((Compare("ecog", "gt", 3), Compare("flag", "is_true"), Compare("size", "ge", 1)))),
    ("flag is yes and (ecog < 1 or size > 2)",
     AllOf((Compare("flag", "is_true"), AnyOf((Compare("ecog", "lt", 1),
                                               Compare("size", "gt", 2)))))),
    ("not (flag is yes or ecog > 2)",
     NoneOf((Compare("flag", "is_true"), Compare("ecog", "gt", 2)))),
    ("not flag is yes", NoneOf((Compare("flag", "is_true"),))),
    ("always", Always()),
    ("small and ecog < 2", AllOf((Compare("size", "le", 2), Compare("flag", "is_false"),
                                  Compare("ecog", "lt", 2)))),
    ("ecog > 1 or (flag is yes or size > 2)",
     AnyOf((Compare("ecog", "gt", 1), Compare("flag", "is_true"), Compare("size", "gt", 2)))),
])
def test_a_written_condition_parses_into_the_closed_condition_types(text, expected):
    problems: list[str] = []

    got = parse_condition(text, WRITTEN_FACTS, "x.toml -> when", problems,
                          guards={"small": "size <= 2 and flag is no"})

    assert problems == []
    assert got == expected


@pytest.mark.parametrize("text,message", [
    ("ecgo >= 2", "unknown fact 'ecgo'"),
    ("ecog => 2", "expected a value"),
    ("ecog 2", "expected an operator"),
    ("flag is maybe", "'is' is followed by yes or no"),
    ("(ecog > 1", "a '(' is not closed"),
    ("ecog > 1 flag is yes", "unexpected 'flag'"),
    ("site = lung", "not a possible value"),
    ("size > big", "expected a number"),
    ("ecog is yes", "needs a yes/no fact"),
    ("site in liver_only", "followed by a list"),
    ("ecog > 1; import os", "cannot read"),
    ("loop", "uses itself"),
])
def test_a_written_condition_outside_the_language_is_refused_with_a_message(text, message):
    problems: list[str] = []

    parse_condition(text, WRITTEN_FACTS, "x.toml -> when", problems,
                    guards={"loop": "loop and ecog > 1"})

    assert any(message in p for p in problems), problems
    assert all(p.startswith("x.toml -> when") for p in problems)


def test_every_real_condition_is_written_the_way_it_reads(content):
    """Each rule condition, printed back in the language, parses to the same condition."""
    from dashboard.core.conditions import write_condition
    from dashboard.core.derive import DERIVED_FACTS

    facts = {f.id: FactSpec(f.kind, f.values) for f in content.factors} | DERIVED_FACTS
    facts |= {f"verdict.{o.id}": FactSpec("verdict", ("applicable", "caution", "not_applicable"))
              for o in content.options}
    rules = [r for o in content.options for r in (o.default, *o.rules, *o.notes)]
    conditions = [r.when for r in (*rules, *content.validation, *content.global_rules)]
    conditions += [d.when for d in content.derived_facts] + [c.when for c in content.claims]
    conditions += [v.when for o in content.options for v in o.variants]
    for condition in conditions:
        problems: list[str] = []
        written = write_condition(condition, lines=True)

        assert parse_condition(written, facts, "x", problems) == _flat(condition), written
        assert problems == []


def _flat(condition):
    """One-item `all` lists are the same condition as their item; nested `all` in `all` (and
    `any` in `any`) is one list."""
    if isinstance(condition, AllOf) and len(condition.items) == 1:
        return _flat(condition.items[0])
    if isinstance(condition, (AllOf, AnyOf, NoneOf)):
        items = []
        for item in (_flat(i) for i in condition.items):
            same = type(item) is type(condition) and not isinstance(condition, NoneOf)
            items += item.items if same else [item]
        return type(condition)(tuple(items))
    return condition


def test_every_rule_condition_reads_as_a_sentence_naming_its_facts(content):
    from dashboard.core.content import condition_facts
    from dashboard.core.explain import condition_sentence

    for option in content.options:
        for rule in (*option.rules, *option.notes):
            sentence = condition_sentence(rule.when, content)
            for fact in condition_facts(rule.when):
                if content.has_factor(fact):
                    assert content.factor(fact).label["en"] in sentence, (rule.id, fact)
            assert "_" not in sentence.replace("verdict.", ""), (rule.id, sentence)
