"""The closed condition vocabulary of content rules: parsing (with checks) and 3-valued evaluation.

A condition evaluates to True, False or `Unknown` (Kleene logic): a comparison that needs a value
that is not yet known is Unknown, and `any`/`all`/`none` combine Unknowns the way a careful
reader would ("cannot say yet"), so unknown information can never make a rule silently pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .content import AllOf, Always, AnyOf, Compare, Condition, NoneOf

OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_true", "is_false")
_NUMERIC_OPS = {"lt", "le", "gt", "ge"}
_FLAG_OPS = {"is_true", "is_false"}
_LIST_OPS = {"in", "not_in"}


@dataclass(frozen=True)
class Unknown:
    """A value (or a condition result) that cannot be decided yet.

    `fields` names the patient fields whose values are missing; `possible`, when set, lists the
    values it could still take (used for the verdicts of earlier options).
    """

    fields: frozenset[str]
    possible: frozenset[Any] | None = None


@dataclass(frozen=True)
class FactSpec:
    """What the loader needs to know about a fact to check a condition that uses it."""

    kind: str  # choice | integer | number | yes_no | count | verdict | guard
    values: tuple[str, ...] = ()  # for a guard: its written condition


# --------------------------------------------------------------------------- parsing


def parse_condition(raw: Any, facts: Mapping[str, FactSpec], where: str,
                    problems: list[str], guards: Mapping[str, str] | None = None) -> Condition:
    """Turn a TOML `when` value into a Condition, appending every problem found to `problems`.

    `raw` is either written text (one clause per line, see `parse_written`) or the table form
    (a list of clause tables, `{ any = [...] }` and so on).
    """
    if isinstance(raw, str):
        return parse_written(raw, facts, where, problems, guards)
    if isinstance(raw, list):
        return AllOf(tuple(parse_condition(item, facts, f"{where} -> {i}", problems)
                           for i, item in enumerate(raw)))
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a clause table, got {type(raw).__name__}")
        return Always()
    keys = set(raw)
    for combinator, cls in (("any", AnyOf), ("all", AllOf), ("none", NoneOf)):
        if combinator in keys:
            if keys != {combinator} or not isinstance(raw[combinator], list) or not raw[combinator]:
                problems.append(f"{where}: '{combinator}' takes a non-empty list and nothing else")
                return Always()
            return cls(tuple(parse_condition(item, facts, f"{where} -> {combinator}[{i}]", problems)
                             for i, item in enumerate(raw[combinator])))
    if "always" in keys:
        if keys != {"always"} or raw["always"] is not True:
            problems.append(f"{where}: 'always' must be exactly `always = true`")
        return Always()
    return _parse_compare(raw, facts, where, problems)


def _parse_compare(raw: dict, facts: Mapping[str, FactSpec], where: str,
                   problems: list[str]) -> Condition:
    before = len(problems)
    extra = set(raw) - {"fact", "op", "value"}
    if extra:
        problems.append(f"{where}: unknown keys {sorted(extra)} (a clause has fact, op, value)")
    fact, op = raw.get("fact"), raw.get("op")
    spec = facts.get(fact) if isinstance(fact, str) else None
    if spec is None:
        problems.append(f"{where} -> fact: unknown fact {fact!r}")
    if op not in OPERATORS:
        problems.append(f"{where} -> op: expected one of {', '.join(OPERATORS)}, got {op!r}")
    if spec is not None and op in OPERATORS:
        _check_value(spec, op, raw, f"{where} -> value", problems)
    if len(problems) > before:
        return Always()
    value = raw.get("value")
    if op in _LIST_OPS:
        value = tuple(value)
    return Compare(fact, op, value)


def _check_value(spec: FactSpec, op: str, raw: dict, where: str, problems: list[str]) -> None:
    has_value = "value" in raw
    value = raw.get("value")
    if op in _FLAG_OPS:
        if spec.kind != "yes_no":
            problems.append(f"{where}: '{op}' needs a yes/no fact, this one is {spec.kind}")
        if has_value:
            problems.append(f"{where}: '{op}' takes no value")
        return
    if not has_value:
        problems.append(f"{where}: '{op}' needs a value")
        return
    if op in _NUMERIC_OPS:
        if spec.kind not in ("integer", "number", "count"):
            problems.append(f"{where}: '{op}' needs a numeric fact, this one is {spec.kind}")
        elif not _is_number(value):
            problems.append(f"{where}: expected a number, got {value!r}")
        return
    items = value if op in _LIST_OPS else [value]
    if op in _LIST_OPS and (not isinstance(value, list) or not value):
        problems.append(f"{where}: '{op}' needs a non-empty list")
        return
    for item in items:
        if not _value_fits(spec, item):
            problems.append(f"{where}: {item!r} is not a possible value of this fact")


def _value_fits(spec: FactSpec, value: Any) -> bool:
    if spec.kind in ("choice", "verdict"):
        return value in spec.values
    if spec.kind in ("integer", "number"):
        return _is_number(value)
    if spec.kind == "count":
        return _is_number(value) or value == "diffuse"
    return isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --------------------------------------------------------------------------- evaluation

Test = Callable[[Mapping[str, Any]], Any]  # facts -> True | False | Unknown


def evaluate(condition: Condition, facts: Mapping[str, Any]) -> bool | Unknown:
    """Evaluate a condition against facts; absent values (None) never match."""
    return compile_condition(condition)(facts)


def compile_condition(condition: Condition) -> Test:
    """The condition as a function of the facts (built once per rule when content loads).

    `all`/`any`/`none` stop at the first deciding result: in Kleene logic a False decides an
    `all` and a True decides an `any` whatever else is unknown, so the result is the same as
    evaluating every clause.
    """
    if isinstance(condition, Compare):
        return _compile_compare(condition)
    if isinstance(condition, Always):
        return lambda facts: True
    if isinstance(condition, AllOf) and len(condition.items) == 1:
        return compile_condition(condition.items[0])
    # False decides an `all`, True decides an `any`; `none` is the negated `any`.
    decisive = not isinstance(condition, AllOf)
    negate = isinstance(condition, NoneOf)
    if all(isinstance(item, Compare) for item in condition.items):
        leaves = tuple((c.fact, _check(c.op, c.value)) for c in condition.items)
        combined = lambda facts: _combine_leaves(leaves, facts, decisive)  # noqa: E731
    else:
        parts = tuple(compile_condition(item) for item in condition.items)
        combined = lambda facts: _combine(parts, facts, decisive)  # noqa: E731
    return (lambda facts: _negate(combined(facts))) if negate else combined


def _combine(parts: tuple[Test, ...], facts: Mapping[str, Any],
             decisive: bool) -> bool | Unknown:
    """`all` (decisive False) or `any` (decisive True) of clauses, stopping when decided."""
    unknown = None
    for part in parts:
        result = part(facts)
        if result is decisive:
            return decisive
        if result.__class__ is Unknown:
            unknown = _merge(unknown, result)
    return (not decisive) if unknown is None else unknown


def _combine_leaves(leaves: tuple, facts: Mapping[str, Any], decisive: bool) -> bool | Unknown:
    """`_combine` over plain comparisons, tested in one loop (the common shape of a rule)."""
    unknown = None
    for fact, check in leaves:
        value = facts.get(fact)
        if value is None:
            result = False
        elif value.__class__ is Unknown:
            result = _compare_unknown(check, value)
        else:
            result = check(value)
        if result is decisive:
            return decisive
        if result.__class__ is Unknown:
            unknown = _merge(unknown, result)
    return (not decisive) if unknown is None else unknown


def _merge(unknown: Unknown | None, result: Unknown) -> Unknown:
    """Unknown results combine by naming every field still missing."""
    return result if unknown is None else Unknown(unknown.fields | result.fields)


def _negate(result: bool | Unknown) -> bool | Unknown:
    return result if isinstance(result, Unknown) else not result


def _compile_compare(cond: Compare) -> Test:
    fact, check = cond.fact, _check(cond.op, cond.value)

    def test(facts: Mapping[str, Any]) -> bool | Unknown:
        value = facts.get(fact)
        if value is None:
            return False
        if value.__class__ is Unknown:
            return _compare_unknown(check, value)
        return check(value)
    return test


def _check(op: str, expected: Any) -> Callable[[Any], bool]:
    """A one-argument test for `value op expected` (never confusing yes/no with 1/0)."""
    numbers = (int, float)
    if op == "is_true":
        return lambda v: v is True
    if op == "is_false":
        return lambda v: v is False
    if op in ("eq", "ne"):
        if isinstance(expected, bool):
            same = (lambda v: v is expected)  # noqa: E731
        else:
            same = (lambda v: v.__class__ is not bool and v == expected)  # noqa: E731
        return same if op == "eq" else (lambda v: not same(v))
    if op == "in":
        return lambda v: v in expected
    if op == "not_in":
        return lambda v: v not in expected
    if op == "lt":
        return lambda v: v.__class__ in numbers and v < expected
    if op == "le":
        return lambda v: v.__class__ in numbers and v <= expected
    if op == "gt":
        return lambda v: v.__class__ in numbers and v > expected
    return lambda v: v.__class__ in numbers and v >= expected


def _compare_unknown(check: Callable[[Any], bool], value: Unknown) -> bool | Unknown:
    if value.possible is None:
        return Unknown(value.fields)
    outcomes = {bool(check(possible)) for possible in value.possible}
    return outcomes.pop() if len(outcomes) == 1 else Unknown(value.fields)


# The reference comparisons, public for core/compiled.py (which must compare exactly so).
operator_check = _check
compare_unknown = _compare_unknown


# --------------------------------------------------------------------------- written conditions
# A condition may also be written as text, one clause per line, in a small closed language that
# is parsed (never evaluated as code) into the same Compare / AllOf / AnyOf / NoneOf / Always:
#
#     recurrence_site = liver_only
#     and (verdict.resection = applicable or verdict.rfa = applicable)
#     and not (painful_bone_metastases is yes)
#
# clause:   <fact> <op> <value>   with op one of  =  !=  <  <=  >  >=  in [a, b]  not in [a, b]
#           <fact> is yes | <fact> is no      (yes/no facts)
#           always                            (always true)
#           <guard>                           (a named condition of content/derived.toml)
# combine:  and, or, not, parentheses (not binds tightest, then and, then or).
# values:   numbers (2, 3.5), words (liver_only, diffuse, applicable) or "quoted text".

WRITTEN_OPERATORS = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
                     "in": "in", "not in": "not_in", "is yes": "is_true", "is no": "is_false"}
_TOKEN = re.compile(r"""\s*(?:(?P<number>-?\d+(?:\.\d+)?)(?![\w.])|(?P<op><=|>=|!=|=|<|>)
                    |(?P<punct>[()\[\],])|"(?P<quoted>[^"]*)"|(?P<word>[A-Za-z_][\w.]*))""",
                    re.VERBOSE)


def parse_written(text: str, facts: Mapping[str, FactSpec], where: str, problems: list[str],
                  guards: Mapping[str, str] | None = None) -> Condition:
    """A written condition as a Condition, appending every problem found to `problems`."""
    tokens, error = _tokenize(text)
    if error:
        problems.append(f"{where}: {error}")
        return Always()
    parser = _Parser(tokens, facts, where, problems, guards or {}, ())
    before = len(problems)
    condition = parser.expression()
    if len(problems) == before and parser.pos < len(tokens):
        problems.append(f"{where}: unexpected {tokens[parser.pos][1]!r} "
                        f"(clauses join with 'and' / 'or')")
    return condition if len(problems) == before else Always()


def _tokenize(text: str) -> tuple[list[tuple[str, Any]], str]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            return [], f"cannot read {text[pos:].strip()[:20]!r}"
        kind = match.lastgroup
        value: Any = match.group(kind)
        if kind == "number":
            value = float(value) if "." in value else int(value)
        tokens.append((kind, value))
        pos = match.end()
    return tokens, ""


class _Parser:
    """Recursive descent over the tokens: or_expr := and_expr ('or' and_expr)* and so on."""

    def __init__(self, tokens: list, facts: Mapping[str, FactSpec], where: str,
                 problems: list[str], guards: Mapping[str, str], using: tuple[str, ...]):
        self.tokens, self.pos, self.facts = tokens, 0, facts
        self.where, self.problems, self.guards, self.using = where, problems, guards, using

    def peek(self, offset: int = 0) -> tuple[str, Any]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        self.pos += 1
        return token

    def fail(self, message: str) -> Condition:
        self.problems.append(f"{self.where}: {message}")
        self.pos = len(self.tokens)
        return Always()

    def expression(self) -> Condition:
        items = [self.conjunction()]
        while self.peek() == ("word", "or"):
            self.take()
            items.append(self.conjunction())
        return _joined(AnyOf, items)

    def conjunction(self) -> Condition:
        items = [self.negation()]
        while self.peek() == ("word", "and"):
            self.take()
            items.append(self.negation())
        return _joined(AllOf, items)

    def negation(self) -> Condition:
        if self.peek() == ("word", "not"):
            self.take()
            inner = self.negation()
            return NoneOf(inner.items) if isinstance(inner, AnyOf) else NoneOf((inner,))
        return self.atom()

    def atom(self) -> Condition:
        kind, value = self.peek()
        if (kind, value) == ("punct", "("):
            self.take()
            inner = self.expression()
            if self.take() != ("punct", ")"):
                return self.fail("a '(' is not closed")
            return inner
        if kind != "word":
            return self.fail(f"expected a fact name, got {value!r}")
        self.take()
        if value == "always":
            return Always()
        spec = self.facts.get(value)
        is_guard = value in self.guards or (spec is not None and spec.kind == "guard")
        if is_guard and self.peek()[0] != "op" and \
                self.peek() not in (("word", "is"), ("word", "in"), ("word", "not")):
            return self.guard(value)
        return self.comparison(value)

    def guard(self, name: str) -> Condition:
        if name in self.using:
            return self.fail(f"guard {name!r} uses itself")
        text = self.guards.get(name) or self.facts[name].values[0]
        tokens, error = _tokenize(text)
        if error:
            return self.fail(f"guard {name!r}: {error}")
        inner = _Parser(tokens, self.facts, f"{self.where} -> guard {name}", self.problems,
                        self.guards, (*self.using, name))
        return inner.expression()

    def comparison(self, fact: str) -> Condition:
        kind, value = self.take()
        if (kind, value) == ("word", "is"):
            answer = self.take()
            if answer not in (("word", "yes"), ("word", "no")):
                return self.fail(f"{fact}: 'is' is followed by yes or no")
            return self.compare({"fact": fact, "op": "is_true" if answer[1] == "yes"
                                 else "is_false"})
        if (kind, value) == ("word", "not") and self.peek() == ("word", "in"):
            self.take()
            return self.compare({"fact": fact, "op": "not_in", "value": self.items()})
        if (kind, value) == ("word", "in"):
            return self.compare({"fact": fact, "op": "in", "value": self.items()})
        if kind != "op":
            return self.fail(f"{fact}: expected an operator (= != < <= > >= in, is yes), "
                             f"got {value!r}")
        return self.compare({"fact": fact, "op": WRITTEN_OPERATORS[value],
                             "value": self.value()})

    def items(self) -> list:
        if self.take() != ("punct", "["):
            self.fail("'in' is followed by a list in [ ]")
            return []
        out = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            out.append(self.value())
        if self.take() != ("punct", "]"):
            self.fail("a '[' is not closed")
        return out

    def value(self) -> Any:
        kind, value = self.take()
        if kind in ("number", "quoted", "word"):
            return value
        self.fail(f"expected a value, got {value!r}")
        return None

    def compare(self, raw: dict) -> Condition:
        return _parse_compare(raw, self.facts, self.where, self.problems)


def _joined(cls: type, items: list[Condition]) -> Condition:
    """`a and (b and c)` is `a and b and c` (the same in three-valued logic): one flat list."""
    if len(items) == 1:
        return items[0]
    flat: list[Condition] = []
    for item in items:
        flat += item.items if isinstance(item, cls) else [item]
    return cls(tuple(flat))


def write_condition(condition: Condition, *, lines: bool = False) -> str:
    """A condition written in the language above (the inverse of `parse_written`); with
    `lines`, the clauses of a top-level 'and' go one per line."""
    if lines and isinstance(condition, AllOf) and len(condition.items) > 1:
        return "\nand ".join(_write(item) for item in condition.items)
    return _write(condition, top=True)


def _write(condition: Condition, top: bool = False) -> str:
    if isinstance(condition, Always):
        return "always"
    if isinstance(condition, Compare):
        return _write_compare(condition)
    if isinstance(condition, NoneOf):
        if len(condition.items) == 1:
            return f"not {_write(condition.items[0])}"
        return f"not ({' or '.join(_write(item) for item in condition.items)})"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    if isinstance(condition, AllOf) and len(condition.items) == 1:
        return _write(condition.items[0], top)
    text = joiner.join(_write(item) for item in condition.items)
    return text if top else f"({text})"


def _write_compare(c: Compare) -> str:
    words = {v: k for k, v in WRITTEN_OPERATORS.items()}
    if c.op in ("is_true", "is_false"):
        return f"{c.fact} {words[c.op]}"
    if c.op in ("in", "not_in"):
        return f"{c.fact} {words[c.op]} [{', '.join(_write_value(v) for v in c.value)}]"
    return f"{c.fact} {words[c.op]} {_write_value(c.value)}"


def _write_value(value: Any) -> str:
    if isinstance(value, str):
        return value if re.fullmatch(r"[A-Za-z_][\w.]*", value) and value not in (
            "and", "or", "not", "in", "is", "always") else f'"{value}"'
    return f"{value:g}" if isinstance(value, float) else str(value)
