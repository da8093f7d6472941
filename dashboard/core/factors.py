"""Patient factors from a JSON-like dict: types, ranges, choices, unit aliases, unknown keys.

Range checks that a validation code covers (E1, E2, E5) are left to the validation step, which
reports the code instead; everything else is reported here with a generic code:
MISSING, UNKNOWN_KEY, TYPE, RANGE, CONFLICT, NOT_OBJECT.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from .assessment import Issue, PatientFactors
from .content import Content, Factor, text_in
from .derive import convert

# "1,5" or "1,500": a decimal comma or a thousands separator, refused with its own message.
_COMMA_NUMBER = re.compile(r"[+-]?[0-9.]*,[0-9.,]*")


def parse_factors(data: Any, content: Content) -> tuple[PatientFactors | None, list[Issue],
                                                         list[Issue]]:
    """(factors or None, blocking errors, range errors a validation code may replace)."""
    if not isinstance(data, Mapping):
        return None, [Issue("NOT_OBJECT", "", "Patient factors must be a JSON object.")], []
    errors: list[Issue] = []
    range_errors: list[Issue] = []
    for key in data:
        if not content.has_factor(key):
            errors.append(Issue("UNKNOWN_KEY", str(key), f"Unknown field '{key}'."))
    values: dict[str, Any] = {}
    unknown: set[str] = set()
    for factor in content.factors:
        if factor.alias_of:
            continue
        raw_key, raw = _pick(factor, data, content.aliases_of(factor.id), errors)
        if raw_key is None:
            if factor.core:
                errors.append(Issue("MISSING", factor.id,
                                    f"{_label(factor)} is required (it may be null if not known)."))
            values[factor.id] = factor.default
            continue
        source = content.factor(raw_key)
        if raw is None:
            values[factor.id] = None if factor.core else factor.default
            if factor.core:
                unknown.add(factor.id)
            continue
        value = _coerce(source, raw, errors)
        if value is None:
            continue
        range_issue = _range_issue(source, value)
        if range_issue:
            range_errors.append(range_issue)
        if source is not factor:
            values[source.id] = value
            value = convert(value, source.alias_factor, source.alias_round)
        values[factor.id] = value
    if errors:
        return None, errors, range_errors
    return PatientFactors(values=values, unknown=frozenset(unknown)), [], range_errors


def _pick(factor: Factor, data: Mapping, aliases: tuple[str, ...],
          errors: list[Issue]) -> tuple[str | None, Any]:
    """The key that gives this field (itself or a unit alias), refusing two units at once."""
    keys = [factor.id, *aliases]
    present = [k for k in keys if k in data and (data[k] is not None or k == factor.id)]
    given = [k for k in present if data[k] is not None]
    if len(given) > 1:
        errors.append(Issue("CONFLICT", factor.id,
                            f"{_label(factor)} was given in more than one unit "
                            f"({', '.join(given)}); give one only."))
        return None, None
    if given:
        return given[0], data[given[0]]
    return (present[0], None) if present else (None, None)


def _coerce(factor: Factor, raw: Any, errors: list[Issue]) -> Any:
    label = _label(factor)
    if factor.kind == "yes_no":
        if isinstance(raw, bool):
            return raw
        return _type_error(errors, factor, f"{label} must be true or false.")
    if factor.kind == "choice":
        if isinstance(raw, str) and raw in factor.values:
            return raw
        return _type_error(errors, factor,
                           f"{label} must be one of: {', '.join(factor.values)}.")
    if factor.kind == "count" and raw == "diffuse":
        return raw
    if isinstance(raw, str) and _COMMA_NUMBER.fullmatch(raw.strip()):
        return _type_error(errors, factor, f"{label} must be typed without a comma; use a "
                                           "decimal point for decimals (for example 1.5).")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        extra = " or 'diffuse'" if factor.kind == "count" else ""
        return _type_error(errors, factor, f"{label} must be a finite number{extra}.")
    if factor.kind in ("integer", "count"):
        if isinstance(raw, float) and not raw.is_integer():
            return _type_error(errors, factor, f"{label} must be a whole number.")
        return int(raw)
    return raw


def _type_error(errors: list[Issue], factor: Factor, message: str) -> None:
    errors.append(Issue("TYPE", factor.id, message))
    return None


def _range_issue(factor: Factor, value: Any) -> Issue | None:
    if not isinstance(value, (int, float)):
        return None
    low, high = factor.minimum, factor.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        unit = f" {factor.unit}" if factor.unit else ""
        return Issue("RANGE", factor.id,
                     f"{_label(factor)} must be between {_num(low)} and {_num(high)}{unit}.")
    return None


def _num(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


def _label(factor: Factor) -> str:
    return text_in(factor.label, "en")
