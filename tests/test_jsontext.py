"""core/jsontext.py: the C encoder made once writes what json.JSONEncoder(...).encode writes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.core import jsontext

OPTIONS = [
    {"sort_keys": True, "default": str},  # the check code's (core/engine.fingerprint)
    {"ensure_ascii": False, "separators": (",", ":"), "check_circular": False,
     "allow_nan": False},  # assess's compact records (adapters/assessments.py)
    {},
]

_scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
            | st.sampled_from(["\x00", "é", "\u2028", "\ud800", "😀", '"', "\\"]))
values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=20)


def _outcome(encode, value):
    try:
        return encode(value)
    except (ValueError, TypeError) as exc:  # NaN refused (allow_nan=False), as the reference
        return type(exc)


@pytest.mark.hazard("H136")
@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from(range(len(OPTIONS))))
def test_the_fast_encoder_writes_what_the_standard_encoder_writes(value, which):
    options = OPTIONS[which]
    assert _outcome(jsontext.encoder(**options), value) == _outcome(
        json.JSONEncoder(**options).encode, value)


@pytest.mark.hazard("H136")
def test_default_circular_checks_and_a_failed_call_are_as_the_standard_encoder():
    fast = jsontext.encoder(sort_keys=True, default=str)
    odd = {"b": frozenset({1}), "a": 1.5, "c": object}
    assert fast(odd) == json.JSONEncoder(sort_keys=True, default=str).encode(odd)
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        fast(loop)
    # after a failed call the next one starts afresh (no markers left from the failure)
    shared = [1]
    assert fast([shared, shared]) == "[[1], [1]]"
    with pytest.raises(ValueError):
        jsontext.encoder(indent=2)


@pytest.mark.hazard("H136", "H137")
def test_the_check_code_is_the_sha256_of_the_standard_encoders_json(content):
    """The check code as first written (json.dumps with sorted keys), on generated profiles
    (results, refusals, unknowns, unit aliases): the faster encoder changes no code."""
    import hashlib

    from dashboard.core.engine import fingerprint
    from dashboard.core.factors import parse_factors
    from tests.generated_profiles import profiles

    checked = 0
    for item in profiles(content, 2000, seed=136):
        factors = parse_factors(item, content)[0]
        if factors is None:
            continue
        values = dict(factors.values)
        for key, value in factors.values.items():
            if isinstance(value, int) and not isinstance(value, bool):
                values[key] = float(value)
        payload = json.dumps({"values": values, "unknown": sorted(factors.unknown),
                              "content": content.version}, sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()[:8].upper()
        assert fingerprint(factors, content) == f"{digest[:4]}-{digest[4:]}"
        checked += 1
    assert checked > 1000


_field_values = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
                 | st.floats(allow_nan=True, allow_infinity=True)
                 | st.sampled_from([0.0, -0.0, 1.0, True, 1, "1", "liver_only", "é", "\u2028"])
                 | st.text(max_size=6))


@pytest.mark.hazard("H137")
@settings(max_examples=500, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["ecog", "b", "A", "é", "ecog_", "a b", "\x00"])
                                | st.text(max_size=4), _field_values, max_size=8),
                min_size=1, max_size=4),
       st.frozensets(st.sampled_from(["ecog", "inr", "x"])))
def test_the_check_codes_json_from_cached_pairs_is_the_encoders_own(many, unknown):
    """Pairs cached from earlier profiles (the same field with 1, 1.0 and True; 0.0 and -0.0;
    NaN; texts) never change the text written for a later one."""
    from dashboard.core import engine

    for values in many:  # several profiles in turn: the cache fills between them
        assert engine._check_code_json(values, unknown, "0.2.0+ab") == \
            engine.check_code_json_reference(values, unknown, "0.2.0+ab")


@pytest.mark.hazard("H137")
def test_the_check_code_cache_is_bounded_and_equal_after_it_is_cleared(monkeypatch):
    from dashboard.core import engine

    monkeypatch.setattr(engine, "_PIECES_MOST", 50)
    for n in range(400):
        values = {"ecog": float(n), "x": n % 3 == 0, f"k{n % 7}": "y" * (n % 4)}
        assert engine._check_code_json(values, frozenset(), "v") == \
            engine.check_code_json_reference(values, frozenset(), "v")
    assert len(engine._PAIRS) <= 50 and len(engine._SORTED) <= 50
