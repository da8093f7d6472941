"""A seeded generator of patient-factor objects built from the content's own factor table, so
it follows content changes: mostly valid values, with unknowns (null), values on and just past
each range limit, missing optional fields, a few wrong types and unknown keys."""

from __future__ import annotations

import random
from typing import Any

from dashboard.core.content import Content, Factor


def profiles(content: Content, count: int, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [profile(content, rng) for _ in range(count)]


def profile(content: Content, rng: random.Random) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for factor in content.factors:
        if factor.alias_of:
            continue
        aliases = [content.factor(a) for a in content.aliases_of(factor.id)]
        source = rng.choice([factor, *aliases]) if aliases and rng.random() < 0.3 else factor
        if not factor.core and rng.random() < 0.5:
            continue  # optional fields are often absent
        data[source.id] = _value(source, rng)
    if rng.random() < 0.01:
        data["colour"] = "blue"  # an unknown key
    return data


def _value(factor: Factor, rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.08:
        return None  # not yet known
    if roll < 0.083:
        return "1,5" if factor.kind in ("number", "integer") else 17  # wrong type
    if factor.kind == "yes_no":
        return rng.random() < 0.5
    if factor.kind == "choice":
        return rng.choice(factor.values)
    if factor.kind == "count" and rng.random() < 0.1:
        return "diffuse"
    low = factor.minimum if factor.minimum is not None else 0
    high = factor.maximum if factor.maximum is not None else 100
    if roll < 0.093:
        return rng.choice([low, high, low - 1, high + 1])  # on and past each limit
    if factor.kind in ("integer", "count"):
        return rng.randint(int(low), int(min(high, low + 20)))
    span = min(high - low, 50)
    return round(rng.uniform(low, low + span), rng.choice([0, 1, 2]))
