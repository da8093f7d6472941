"""The closed condition vocabulary of content rules: parsing (with checks) and 3-valued evaluation.

A condition evaluates to True, False or `Unknown` (Kleene logic): a comparison that needs a value
that is not yet known is Unknown, and `any`/`all`/`none` combine Unknowns the way a careful
reader would ("cannot say yet"), so unknown information can never make a rule silently pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .model import AllOf, Always, AnyOf, Compare, Condition, NoneOf

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

    kind: str  # choice | integer | number | yes_no | count | verdict
    values: tuple[str, ...] = ()


# --------------------------------------------------------------------------- parsing


def parse_condition(raw: Any, facts: Mapping[str, FactSpec], where: str,
                    problems: list[str]) -> Condition:
    """Turn a TOML `when` value into a Condition, appending every problem found to `problems`."""
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


def evaluate(condition: Condition, facts: Mapping[str, Any]) -> "bool | Unknown":
    """Evaluate a condition against facts; absent values (None) never match."""
    if isinstance(condition, Compare):
        return _compare(condition, facts.get(condition.fact))
    if isinstance(condition, Always):
        return True
    results = [evaluate(item, facts) for item in condition.items]
    if isinstance(condition, AllOf):
        return _all(results)
    found = _any(results)
    if isinstance(condition, AnyOf):
        return found
    return found if isinstance(found, Unknown) else not found


def _all(results: list) -> "bool | Unknown":
    if any(r is False for r in results):
        return False
    return _merge_unknown(results) or True


def _any(results: list) -> "bool | Unknown":
    if any(r is True for r in results):
        return True
    return _merge_unknown(results) or False


def _merge_unknown(results: list) -> Unknown | None:
    unknown = [r for r in results if isinstance(r, Unknown)]
    if not unknown:
        return None
    return Unknown(frozenset().union(*(u.fields for u in unknown)))


def _compare(cond: Compare, value: Any) -> "bool | Unknown":
    if isinstance(value, Unknown):
        if value.possible is None:
            return Unknown(value.fields)
        outcomes = {_compare(cond, possible) for possible in value.possible}
        return outcomes.pop() if len(outcomes) == 1 else Unknown(value.fields)
    if value is None:
        return False
    return bool(_OPS[cond.op](value, cond.value))


def _same(a: Any, b: Any) -> bool:
    """Equality that never confuses yes/no with 1/0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _numeric(test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: _is_number(a) and test(a, b)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: _same(a, b),
    "ne": lambda a, b: not _same(a, b),
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "lt": _numeric(lambda a, b: a < b),
    "le": _numeric(lambda a, b: a <= b),
    "gt": _numeric(lambda a, b: a > b),
    "ge": _numeric(lambda a, b: a >= b),
    "is_true": lambda a, _: a is True,
    "is_false": lambda a, _: a is False,
}
