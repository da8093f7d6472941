"""Patient factors from a JSON-like dict: types, ranges, choices, unit aliases, unknown keys.

Range checks that a validation code covers (E1, E2, E5) are left to the validation step, which
reports the code instead; everything else is reported here with a generic code:
MISSING, UNKNOWN_KEY, TYPE, RANGE, CONFLICT, NOT_OBJECT.

`parse_json` is the strict JSON reader every JSON input goes through first: it refuses, before
any work, input over the limits of core/limits.py (size, nesting, array length, number size,
field names, text lengths), duplicate keys, NaN and Infinity.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from . import limits
from .assessment import Issue, PatientFactors, built
from .content import Content, Factor, text_in
from .derive import convert

# "1,5" or "1,500": a decimal comma or a thousands separator, refused with its own message.
_COMMA_NUMBER = re.compile(r"[+-]?[0-9.]*,[0-9.,]*")


def parse_factors(data: Any, content: Content, *, each_field: bool = False) -> tuple[
        PatientFactors | None, list[Issue], list[Issue]]:
    """(factors or None, blocking errors, range errors a validation code may replace).

    A field given directly (no unit alias) with a value of the usual type is taken with one
    lookup and no call; anything else goes through `_parse_field`, which every field goes
    through with `each_field=True` (what tests/test_factors.py compares this with)."""
    if not isinstance(data, Mapping):
        return None, [Issue("NOT_OBJECT", "", input_words(content, "not_object"))], []
    errors: list[Issue] = []
    range_errors: list[Issue] = []
    plan = _plan(content)
    if not plan.ids.issuperset(data):
        for key in data:
            if not content.has_factor(key):
                errors.append(Issue("UNKNOWN_KEY", str(key),
                                    input_words(content, "unknown_field", key=key)))
    values: dict[str, Any] = {}
    unknown: set[str] = set()
    get = data.get
    for factor, fid, quick, core, choices, low, high in plan.fields:
        if each_field or quick == _ALIASED:  # a field with a unit alias, or every field
            _parse_field(factor, data, content, values, unknown, errors, range_errors)
            continue
        raw = get(fid, _ABSENT)
        if raw is _ABSENT:
            if core:
                errors.append(Issue("MISSING", fid, input_words(content, "required", factor)))
            values[fid] = factor.default
            continue
        if raw is None:
            values[fid] = None if core else factor.default
            if core:
                unknown.add(fid)
            continue
        kind = raw.__class__
        if quick >= _NUMBER and (kind is int or (kind is float and quick == _NUMBER)) and \
                -limits.NUMBER_MAGNITUDE_MAX <= raw <= limits.NUMBER_MAGNITUDE_MAX:
            # a whole number (int() of an int is itself), or a finite number: `_coerce` keeps it
            if raw < low or raw > high:  # as `_range_issue`, which words the message
                range_errors.append(cast(Issue, _range_issue(factor, raw, content)))
            values[fid] = raw
            continue
        if (quick == _YES_NO and kind is bool) or (quick == _CHOICE and kind is str
                                                   and raw in choices):
            if low == -math.inf and high == math.inf:  # no range: `_range_issue` gives None
                values[fid] = raw
                continue
            value = raw
        else:
            value = _coerce(factor, raw, errors, content)
            if value is None:
                continue
        range_issue = _range_issue(factor, value, content)
        if range_issue:
            range_errors.append(range_issue)
        values[fid] = value
    if errors:
        return None, errors, range_errors
    return built(PatientFactors, values=values, unknown=frozenset(unknown)), [], range_errors


def _parse_field(factor: Factor, data: Mapping[str, Any], content: Content,
                 values: dict[str, Any], unknown: set[str], errors: list[Issue],
                 range_errors: list[Issue]) -> None:
    """One field (itself or a unit alias) into `values`, or its issues."""
    aliases = content.aliases_of(factor.id)
    if aliases:
        raw_key, raw = _pick(factor, data, aliases, errors, content)
    elif factor.id in data:  # the common case, without building the key lists of _pick
        raw_key, raw = factor.id, data[factor.id]
    else:
        raw_key, raw = None, None
    if raw_key is None:
        if factor.core:
            errors.append(Issue("MISSING", factor.id, input_words(content, "required", factor)))
        values[factor.id] = factor.default
        return
    source = factor if raw_key == factor.id else content.factor(raw_key)
    if raw is None:
        values[factor.id] = None if factor.core else factor.default
        if factor.core:
            unknown.add(factor.id)
        return
    value = _coerce(source, raw, errors, content)
    if value is None:
        return
    range_issue = _range_issue(source, value, content)
    if range_issue:
        range_errors.append(range_issue)
    if source is not factor:
        values[source.id] = value
        value = convert(value, source.alias_factor, source.alias_round)
    values[factor.id] = value


_ABSENT = object()
# how a field is parsed (`_Plan.fields`): through `_parse_field` (it has a unit alias), or
# quickly as a yes/no, a choice, a number, or a whole number (integer or count)
_ALIASED, _YES_NO, _CHOICE, _NUMBER, _WHOLE = range(5)


class _Plan(NamedTuple):
    """What parsing needs of the content's fields, looked up once per content."""

    ids: frozenset[str]  # every field id, unit aliases included
    # per field that is not a unit alias, in content order: (factor, id, how it is parsed,
    # core, a choice's values (else empty), low, high: its range, infinite where unbounded)
    fields: tuple[tuple[Factor, str, int, bool, frozenset[str], float, float], ...]


_PLANS: dict[int, tuple[Content, _Plan]] = {}


def _plan(content: Content) -> _Plan:
    known = _PLANS.get(id(content))
    if known is not None and known[0] is content:
        return known[1]
    fields = []
    quick = {"yes_no": _YES_NO, "choice": _CHOICE, "number": _NUMBER}
    for factor in content.factors:
        if factor.alias_of:
            continue
        how = _ALIASED if content.aliases_of(factor.id) else quick.get(factor.kind, _WHOLE)
        low = -math.inf if factor.minimum is None else factor.minimum
        high = math.inf if factor.maximum is None else factor.maximum
        fields.append((factor, factor.id, how, factor.core, frozenset(factor.values), low, high))
    plan = _Plan(frozenset(f.id for f in content.factors), tuple(fields))
    if len(_PLANS) >= 8:  # a few contents at most (tests load variants); never grows without end
        _PLANS.clear()
    _PLANS[id(content)] = (content, plan)  # holding the content keeps its id
    return plan


def _pick(factor: Factor, data: Mapping[str, Any], aliases: tuple[str, ...],
          errors: list[Issue], content: Content) -> tuple[str | None, Any]:
    """The key that gives this field (itself or a unit alias), refusing two units at once."""
    keys = [factor.id, *aliases]
    present = [k for k in keys if k in data and (data[k] is not None or k == factor.id)]
    given = [k for k in present if data[k] is not None]
    if len(given) > 1:
        errors.append(Issue("CONFLICT", factor.id,
                            input_words(content, "two_units", factor, units=", ".join(given))))
        return None, None
    if given:
        return given[0], data[given[0]]
    return (present[0], None) if present else (None, None)


def _coerce(factor: Factor, raw: Any, errors: list[Issue], content: Content) -> Any:
    # the words are looked up only for a message (most values are fine)
    if factor.kind == "yes_no":
        if isinstance(raw, bool):
            return raw
        return _type_error(errors, content, factor, "not_yes_no")
    if factor.kind == "choice":
        if isinstance(raw, str) and raw in factor.values:
            return raw
        return _type_error(errors, content, factor, "not_choice", values=", ".join(factor.values))
    if factor.kind == "count" and raw == "diffuse":
        return raw
    if isinstance(raw, str) and _COMMA_NUMBER.fullmatch(raw.strip()):
        return _type_error(errors, content, factor, "comma")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (
            isinstance(raw, float) and not math.isfinite(raw)):  # math.isfinite(10**400) raises
        return _type_error(errors, content, factor,
                           "not_count" if factor.kind == "count" else "not_number")
    if abs(raw) > limits.NUMBER_MAGNITUDE_MAX:
        return _type_error(errors, content, factor, "far_outside")
    if factor.kind in ("integer", "count"):
        if isinstance(raw, float) and not raw.is_integer():
            return _type_error(errors, content, factor, "not_whole")
        return int(raw)
    return raw


def _type_error(errors: list[Issue], content: Content, factor: Factor, key: str,
                **fill: str) -> None:
    errors.append(Issue("TYPE", factor.id, input_words(content, key, factor, **fill)))
    return


def _range_issue(factor: Factor, value: Any, content: Content) -> Issue | None:
    if not isinstance(value, (int, float)):
        return None
    low, high = factor.minimum, factor.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        unit = f" {factor.unit}" if factor.unit else ""
        return Issue("RANGE", factor.id,
                     input_words(content, "out_of_range", factor, low=_num(content, low),
                          high=_num(content, high), unit=unit))
    return None


def _num(content: Content, value: float | None) -> str:
    return input_words(content, "no_bound") if value is None else f"{value:g}"


def input_words(content: Content, key: str, factor: Factor | None = None, /,
                **fill: Any) -> str:
    """The clinician's words for a refused value (content/input.toml, English: the command
    line's and the clinic day's messages), filled in with the field's label."""
    if factor is not None:
        fill["label"] = text_in(factor.label, "en")
    return str(content.string(f"input.{key}")).format(**fill)


# --------------------------------------------------------------------------- strict JSON


class InputRefused(ValueError):
    """Input refused before any work; str() is one line for the user, never a typed value."""


def parse_json(text: str, *, every_number: bool = False) -> Any:
    """The decoded JSON of one input, checked against core/limits.py, or InputRefused.

    Each number's written length is checked by the decoder's number hooks only when some run of
    the characters a JSON number is written with is longer than the limit (a long number can
    only be such a run): without one, the hooks could never refuse, and would make the very
    int() and float() the decoder makes itself, about a third of a long list's decoding time.
    `every_number=True` always uses them (what tests/test_limits.py compares this with)."""
    if len(text) > limits.INPUT_BYTES_MAX:
        raise InputRefused(f"the input is larger than {limits.INPUT_BYTES_MAX // 2**20} MB")
    numbers: dict[str, Any] = {"parse_int": _int, "parse_float": _float} \
        if every_number or _long_run_of_number_characters(text) else {}
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant, **numbers)
    except RecursionError:  # the C decoder stops at Python's recursion limit
        raise InputRefused(_too_deep()) from None
    except json.JSONDecodeError as exc:
        raise InputRefused(f"the input is not valid JSON: {exc}") from None
    if isinstance(data, list):
        if len(data) > limits.PROFILES_MAX:
            raise InputRefused(f"the input lists {len(data):,} patients; at most "
                               f"{limits.PROFILES_MAX:,} at once")
        for number, item in enumerate(data, start=1):
            if type(item) is not dict or not _flat_and_short(item):
                _check(item, 2, f"patient {number}", "")
    else:
        _check(data, 1, "", "")
    return data


# bytes of the characters a JSON number is written with -> b"1", every other byte -> b" "
_NUMBER_BYTES = bytes(0x31 if chr(b) in "0123456789+-.eE" else 0x20 for b in range(256))


def _long_run_of_number_characters(text: str) -> bool:
    """Whether some run of number characters is longer than NUMBER_CHARS_MAX (in UTF-8, whose
    bytes of other characters are never ASCII, runs are those of the text)."""
    runs = text.encode("utf-8", "surrogatepass").translate(_NUMBER_BYTES)
    return b"1" * (limits.NUMBER_CHARS_MAX + 1) in runs


def _flat_and_short(profile: dict[str, Any]) -> bool:
    """A patient's object that `_check` passes without looking further: no nested object or
    list, every text within TEXT_CHARS_MAX (the usual profile; anything else is `_check`ed)."""
    for value in profile.values():
        kind = type(value)
        if kind is str:
            if len(value) > limits.TEXT_CHARS_MAX:
                return False
        elif kind is dict or kind is list:
            return False
    return True


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        duplicate = next(k for n, k in enumerate(keys) if k in keys[:n])
        raise InputRefused(f"the field '{_short(duplicate)}' is given twice in one object; "
                           "give each field once")
    if len(obj) > limits.KEYS_MAX:
        raise InputRefused(f"an object has {len(obj)} fields; at most {limits.KEYS_MAX}")
    if obj and max(map(len, obj)) > limits.KEY_CHARS_MAX:
        raise InputRefused(f"a field name is longer than {limits.KEY_CHARS_MAX} characters")
    return obj


def _int(written: str) -> int:
    if len(written) > limits.NUMBER_CHARS_MAX:
        raise InputRefused(f"a number is written with more than {limits.NUMBER_CHARS_MAX} "
                           "characters")
    return int(written)


def _float(written: str) -> float:
    if len(written) > limits.NUMBER_CHARS_MAX:
        raise InputRefused(f"a number is written with more than {limits.NUMBER_CHARS_MAX} "
                           "characters")
    return float(written)


def _constant(name: str) -> Any:
    raise InputRefused(f"{name} is not allowed (numbers must be finite)")


def _check(value: Any, depth: int, where: str, field: str,
           text_limit: int = limits.TEXT_CHARS_MAX) -> None:
    """Nesting and text lengths: at most DEPTH_MAX levels; a clinical text value (a patient's
    own field) at most TEXT_CHARS_MAX, typed text inside a nested object such as "patient" at
    most RAW_TEXT_CHARS_MAX (the sheet then applies each field's own limit)."""
    kind = type(value)
    if kind is str:
        if len(value) > text_limit:
            raise InputRefused(f"{_place(where, field)}is longer than {text_limit:,} characters")
        return
    if kind is not dict and kind is not list:
        return
    if depth > limits.DEPTH_MAX:
        raise InputRefused(_too_deep())
    inner = text_limit if not field else limits.RAW_TEXT_CHARS_MAX
    items = value.items() if kind is dict else enumerate(value, start=1)
    for key, item in items:
        if type(item) in (str, dict, list):
            _check(item, depth + 1, where, f"{field}.{key}" if field else str(key), inner)


def _place(where: str, field: str) -> str:
    parts = [p for p in (where, f"field {_short(field)}" if field else "") if p]
    return (", ".join(parts) + ": ") if parts else "a text "


def _too_deep() -> str:
    return (f"the input is nested more than {limits.DEPTH_MAX} levels deep (at most: a list of "
            "patients, each an object, each with a 'patient' object)")


def _short(text: str, keep: int = 40) -> str:
    return text if len(text) <= keep else text[:keep] + "…"
