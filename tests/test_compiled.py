"""Compiled conditions (core/compiled.py, issue #15) against the reference evaluation of
core/conditions.py: on every condition of the content, on generated patients' facts, and on
Hypothesis' random conditions and facts (unknowns with and without possible values, absent
values, yes/no against 1/0, wrong types). The engine with compiled tests against the engine
with the reference tests: tests/test_assess_differential.py (100,000 generated profiles)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.core.compiled import compiled_rules, compiled_test, rules_source, source_of
from dashboard.core.conditions import OPERATORS, Unknown, compile_condition
from dashboard.core.content import AllOf, Always, AnyOf, Compare, NoneOf
from dashboard.core.engine import assess
from tests.generated_profiles import profiles


def _conditions(content) -> list[tuple[str, Any]]:
    """Every condition the content holds, named."""
    out = []
    for option in content.options:
        out += [(r.id, r.when) for r in (*option.rules, *option.notes)]
        out += [(f"{option.id} variant {i}", v.when) for i, v in enumerate(option.variants)]
    for rule in (*content.global_rules, *content.validation):
        out.append((rule.id, rule.when))
    for rule_id in {r.id for o in content.options for r in o.rules}:
        out += [(f"{rule_id} variant {i}", v.when)
                for i, v in enumerate(content.rule(rule_id).variants)]
    out += [(f.id, f.when) for f in content.derived_facts]
    out += [(c.id, c.when) for c in content.claims]
    return out


@pytest.fixture(scope="module")
def facts_of_patients(content):
    """The facts the engine read for generated patients (with unknowns and earlier verdicts)."""
    assessments = [assess(item, content, reference=True) for item in profiles(content, 3000)]
    return [a.facts for a in assessments if a.facts]


@pytest.mark.hazard("H130")
def test_every_condition_of_the_content_compiles_to_the_reference_result(content,
                                                                         facts_of_patients):
    conditions = _conditions(content)
    assert len(conditions) > 150 and len(facts_of_patients) > 1000
    unknown_results = 0
    for name, condition in conditions:
        reference, compiled = compile_condition(condition), compiled_test(condition)
        for facts in facts_of_patients:
            expected = reference(facts)
            assert compiled(facts) == expected, (name, source_of(condition))
            unknown_results += expected.__class__ is Unknown
    assert unknown_results > 1000  # the unknown paths were taken, not only True and False


# --------------------------------------------------------------------------- Hypothesis

FACTS = ("a", "b", "c", "d")
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, 2.0]),
                   st.sampled_from(["x", "y", "diffuse", "applicable", "caution"]))


def _expected(op: str):
    if op in ("is_true", "is_false"):
        return st.none()
    if op in ("in", "not_in"):
        return st.lists(VALUES.filter(lambda v: v is not None), min_size=1,
                        max_size=3).map(tuple)
    if op in ("lt", "le", "gt", "ge"):  # the loader takes only a number here
        return st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 2.0]))
    return VALUES.filter(lambda v: v is not None)


@st.composite
def _compare(draw):
    op = draw(st.sampled_from(OPERATORS))
    return Compare(draw(st.sampled_from(FACTS)), op, draw(_expected(op)))


CONDITIONS = st.recursive(
    st.one_of(_compare(), st.just(Always())),
    lambda inner: st.one_of(*(st.lists(inner, min_size=1, max_size=4).map(
        lambda items, cls=cls: cls(tuple(items))) for cls in (AllOf, AnyOf, NoneOf))),
    max_leaves=12)

FACT_VALUES = st.one_of(
    VALUES,
    st.builds(lambda fields: Unknown(frozenset(fields)),
              st.sets(st.sampled_from(["f1", "f2", "f3"]), min_size=1)),
    st.builds(lambda fields, possible: Unknown(frozenset(fields), frozenset(possible)),
              st.sets(st.sampled_from(["f1", "f2"]), min_size=1),
              st.sets(st.sampled_from(["applicable", "caution", "not_applicable", 1, True]),
                      min_size=1)))


@pytest.mark.hazard("H130")
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONDITIONS, st.dictionaries(st.sampled_from(FACTS), FACT_VALUES))
def test_any_condition_compiles_to_the_reference_result_on_any_facts(condition, facts):
    assert compiled_test(condition)(facts) == compile_condition(condition)(facts), \
        source_of(condition)


@pytest.mark.hazard("H130")
@settings(max_examples=1500, deadline=None)
@given(_compare(), FACT_VALUES)
def test_every_operator_compiles_to_the_reference_comparison_on_any_value(leaf, value):
    """One clause on its own, so that every operator meets equal, smaller, larger, absent,
    unknown and wrong-typed values often (a combined condition may never reach a clause)."""
    for facts in ({leaf.fact: value}, {}):
        assert compiled_test(leaf)(facts) == compile_condition(leaf)(facts), source_of(leaf)


def test_the_compiled_code_is_cached_per_condition_and_written_from_it(content):
    rule = content.options[0].rules[0]
    assert compiled_test(rule.when) is compiled_test(rule.when)
    source = source_of(rule.when)
    assert source.startswith("def test(facts):")
    for fact in {c.fact for c in _leaves(rule.when)}:
        assert repr(fact) in source
    # equal conditions of different types (0 == False, 1 == 1.0) get their own code
    for value in (0, False, 1, True, 1.0):
        leaf = Compare("a", "eq", value)
        assert compiled_test(leaf)({"a": value}) is True
        assert compiled_test(leaf)({"a": not value if isinstance(value, bool) else
                                    bool(value)}) is False


def _leaves(condition):
    if isinstance(condition, Compare):
        yield condition
    elif isinstance(condition, (AllOf, AnyOf, NoneOf)):
        for item in condition.items:
            yield from _leaves(item)


# --------------------------------------------------------------------------- rules in one function


def _each(rules, facts):
    """The engine's reference loop: each rule's condition evaluated by core/conditions.py."""
    found = []
    for when, holds, unknown in rules:
        outcome = compile_condition(when)(facts)
        if outcome is True:
            found.append(holds)
        elif outcome is not False and unknown is not None:
            found.append(unknown(outcome))
    return found


def _unknown_of(name):
    return lambda outcome: (name, outcome.fields, outcome.possible)


@pytest.mark.hazard("H130", "H138")
def test_every_options_rules_in_one_function_give_the_loops_findings(content, facts_of_patients):
    """Each option's rules (and the validation codes, which keep only what holds) compiled into
    one function give the per-rule loop's findings, in order, on generated patients' facts."""
    groups = [[(r.when, r.id, _unknown_of(r.id)) for r in o.rules] for o in content.options]
    groups.append([(code.when, code.id, None) for code in content.validation])
    unknowns = 0
    for rules in groups:
        run = compiled_rules(rules)
        for facts in facts_of_patients:
            expected = _each(rules, facts)
            assert run(facts) == expected, rules_source(rules)
            unknowns += any(isinstance(f, tuple) for f in expected)
    assert unknowns > 1000


@pytest.mark.hazard("H130", "H138")
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(CONDITIONS, st.booleans()), min_size=1, max_size=6),
       st.dictionaries(st.sampled_from(FACTS), FACT_VALUES))
def test_any_rules_in_one_function_give_the_loops_findings_on_any_facts(drawn, facts):
    rules = [(when, f"R{i}", _unknown_of(f"R{i}") if keeps_unknown else None)
             for i, (when, keeps_unknown) in enumerate(drawn)]
    assert compiled_rules(rules)(facts) == _each(rules, facts), rules_source(rules)


@pytest.mark.hazard("H138")
def test_the_compiled_code_reads_each_fact_once_before_any_rule(content):
    """A rule or clause that reads a fact another one read uses the value read at the start
    (the facts do not change while the function runs): one lookup per fact, none later."""
    import re

    sources = [rules_source([(r.when, r.id, _unknown_of(r.id)) for r in o.rules])
               for o in content.options if o.rules]
    sources += [source_of(r.when) for o in content.options for r in o.rules]
    repeated = 0
    for source in sources:
        lines = source.splitlines()
        reads = [i for i, line in enumerate(lines) if re.search(r"get\('", line)]
        facts = re.findall(r"get\('([^']+)'\)", source)
        assert len(facts) == len(set(facts)), source
        first_test = min((i for i, line in enumerate(lines) if line.strip().startswith("if ")),
                         default=len(lines))
        assert all(i < first_test for i in reads), source
        uses = len(re.findall(r"if v\d+ is None:", source))  # one per clause read
        repeated += uses > len(facts)
    assert repeated > 0  # some clauses do read a fact another one read
