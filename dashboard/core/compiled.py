"""Rule conditions compiled to Python source, for the engine's hot loop (issue #15).

`core/conditions.py` evaluates a condition as a tree of small closures: one call per clause and
per `all`/`any`/`none`, each with its own loop. This module writes the same tree, once per
condition of the loaded content, as the body of one Python function (straight-line code with
the same short cuts) and compiles it with `compile()`; and it writes all the rules of an option
(or the validation codes) into one function that runs them in order and gives their findings
(`compiled_rules`), so an assessment makes one call per option instead of one per rule. The
engine's reference (`assess(reference=True)`) runs the closures, one rule at a time; bench
/bench_assess.py measures the two side by side. Nothing here is written by hand per
rule: the source is generated from the content's own conditions, and every operator's test is
the expression of `_OPERATORS`, the same comparison as `conditions.operator_check`.

Three-valued semantics are those of `conditions.py` exactly (Kleene logic): an absent value
(None) never matches; an `Unknown` fact is handed to `conditions.compare_unknown` with the
reference check itself; `all` stops at the first False, `any` at the first True, and unknowns
merge by naming every field still missing. `tests/test_compiled.py` proves the compiled test
equal to the reference on every condition of the content over 100,000 generated profiles,
and on Hypothesis' conditions and facts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .conditions import Test, Unknown, compare_unknown, operator_check
from .content import AllOf, Always, AnyOf, Compare, Condition, NoneOf

# `value op expected` for a known (not None, not Unknown) value {v}, as a Python expression;
# {e} is the expected value, NUMBERS is (int, float). Equal to conditions.operator_check.
_OPERATORS: dict[str, str] = {
    "is_true": "{v} is True",
    "is_false": "{v} is False",
    "eq": "{v}.__class__ is not bool and {v} == {e}",
    "ne": "not ({v}.__class__ is not bool and {v} == {e})",
    "eq_bool": "{v} is {e}",
    "ne_bool": "{v} is not {e}",
    "in": "{v} in {e}",
    "not_in": "{v} not in {e}",
    "lt": "{v}.__class__ in NUMBERS and {v} < {e}",
    "le": "{v}.__class__ in NUMBERS and {v} <= {e}",
    "gt": "{v}.__class__ in NUMBERS and {v} > {e}",
    "ge": "{v}.__class__ in NUMBERS and {v} >= {e}",
}

# Keyed by the condition's repr: conditions compare equal across types (0 == False, 1 == 1.0),
# the compiled comparison must not.
_CACHE: dict[str, Test] = {}
_CACHE_MOST = 20_000  # conditions of a few loaded contents; never grows without end


def compiled_test(condition: Condition) -> Test:
    """The condition as one compiled function of the facts (cached per condition)."""
    key = repr(condition)
    known = _CACHE.get(key)
    if known is None:
        if len(_CACHE) >= _CACHE_MOST:
            _CACHE.clear()
        known = _CACHE[key] = _compile(condition)
    return known


def source_of(condition: Condition) -> str:
    """The generated source (for reading and for tests)."""
    return _Writer(condition).source


def _compile(condition: Condition) -> Test:
    test: Test = _function(_Writer(condition), "test", "<compiled condition>")
    test.__doc__ = f"compiled from {condition!r}"
    return test


Rules = Callable[[Mapping[str, Any]], list[Any]]


Rule = tuple[Condition, Any, Callable[[Unknown], Any] | None]


def compiled_rules(rules: Sequence[Rule]) -> Rules:
    """Several rules run in order as one compiled function of the facts, giving the list of
    their findings: for each (condition, found, unknown), `found` when the condition is True,
    `unknown(result)` when it is Unknown (nothing when `unknown` is None), nothing when False.
    This is the engine's loop

        for rule in rules:
            outcome = rule.test(facts)
            if outcome is True: findings.append(rule.found)
            elif outcome is not False: findings.append(rule.unknown(outcome))

    written out with each condition's code inline (one call per option instead of one per
    rule, each fact looked up once, at the start)."""
    run: Rules = _function(_Writer(rules=rules), "rules", "<compiled rules>")
    return run


def rules_source(rules: Sequence[Rule]) -> str:
    return _Writer(rules=rules).source


def _function(writer: _Writer, name: str, filename: str) -> Any:
    namespace: dict[str, Any] = {"Unknown": Unknown, "NUMBERS": (int, float),
                                 "_compare_unknown": compare_unknown, **writer.constants}
    exec(compile(writer.source, filename, "exec"), namespace)
    return namespace[name]


class _Writer:
    """Python source for one condition, `def test(facts):` ending in `return <result>`, or
    for rules run in order, `def rules(facts):` returning their findings (`compiled_rules`)."""

    def __init__(self, condition: Condition | None = None, rules: Sequence[Rule] = ()):
        self.constants: dict[str, Any] = {}
        self._names = itertools.count()
        # each fact the code reads -> the local it is read into once, at the start (the facts
        # do not change while the function runs; a rule or clause may read a fact again)
        self._facts: dict[str, str] = {}
        self.lines: list[str] = []
        if condition is not None:
            header = ["def test(facts):"]
            result = self._node(condition, 1)
            self.lines.append(f"    return {result}")
        else:
            header = ["def rules(facts):", "    found = []", "    add = found.append"]
            for when, holds, unknown in rules:
                result = self._node(when, 1)
                self._emit(1, f"if {result} is True:")
                self._emit(2, f"add({self._constant(holds, 'H')})")
                if unknown is not None:
                    self._emit(1, f"elif {result} is not False:")
                    self._emit(2, f"add({self._constant(unknown, 'U')}({result}))")
            self.lines.append("    return found")
        if len(self._facts) == 1:  # one lookup: no bound method made for it
            header += [f"    {name} = facts.get({fact!r})" for fact, name in self._facts.items()]
        elif self._facts:
            header += ["    get = facts.get",
                       *(f"    {name} = get({fact!r})" for fact, name in self._facts.items())]
        self.lines = header + self.lines
        self.source = "\n".join(self.lines) + "\n"

    def _name(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def _emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def _constant(self, value: Any, prefix: str = "E") -> str:
        name = self._name(prefix)
        self.constants[name] = value
        return name

    def _node(self, node: Condition, depth: int) -> str:
        """Emit code that leaves the node's result (True | False | Unknown) in a variable."""
        if isinstance(node, Compare):
            return self._compare(node, depth)
        if isinstance(node, Always):
            return "True"
        if isinstance(node, AllOf) and len(node.items) == 1:
            return self._node(node.items[0], depth)
        if not isinstance(node, (AllOf, AnyOf, NoneOf)):
            raise TypeError(f"not a condition: {node!r}")
        decisive = "False" if isinstance(node, AllOf) else "True"
        undecided = "True" if decisive == "False" else "False"
        out, unknown = self._name("r"), self._name("u")
        self._emit(depth, f"{unknown} = None")
        self._emit(depth, "while True:  # once: a break is the short cut")
        for item in node.items:
            part = self._node(item, depth + 1)
            self._emit(depth + 1, f"if {part} is {decisive}:")
            self._emit(depth + 2, f"{out} = {decisive}")
            self._emit(depth + 2, "break")
            self._emit(depth + 1, f"if {part}.__class__ is Unknown:")
            self._emit(depth + 2, f"{unknown} = {part} if {unknown} is None else "
                                  f"Unknown({unknown}.fields | {part}.fields)")
        self._emit(depth + 1, f"{out} = {undecided} if {unknown} is None else {unknown}")
        self._emit(depth + 1, "break")
        if isinstance(node, NoneOf):  # not any(...): an unknown stays unknown
            self._emit(depth, f"if {out}.__class__ is bool:")
            self._emit(depth + 1, f"{out} = not {out}")
        return out

    def _compare(self, node: Compare, depth: int) -> str:
        op = node.op
        if op in ("eq", "ne") and isinstance(node.value, bool):
            op += "_bool"
        check = self._constant(operator_check(node.op, node.value), "C")
        out = self._name("r")
        value = self._facts.get(node.fact)
        if value is None:
            value = self._facts[node.fact] = self._name("v")
        expected = self._constant(node.value) if "{e}" in _OPERATORS[op] else ""
        self._emit(depth, f"if {value} is None:")
        self._emit(depth + 1, f"{out} = False")
        self._emit(depth, f"elif {value}.__class__ is Unknown:")
        self._emit(depth + 1, f"{out} = _compare_unknown({check}, {value})")
        self._emit(depth, "else:")
        self._emit(depth + 1, f"{out} = " + _OPERATORS[op].format(v=value, e=expected))
        return out
