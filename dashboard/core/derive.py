"""Derived facts: Child-Pugh and ALBI from labs, and the named facts of content/derived.toml.

Scores follow criteria.md section 2 (Child-Pugh with the 28–35 g/L albumin band; ALBI by the
Johnson 2015 formula). Clinical thresholds (Milan, up-to-seven, UNOS downstaging limits,
coagulopathy, early recurrence, line of therapy, the bilirubin floor of the Child-Pugh score)
are not written here: they are conditions in content/derived.toml, which a reviewer can read.
Every function takes plain values and returns a value or `Unknown`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from .assessment import Derived, built
from .conditions import FactSpec, Unknown
from .content import Content

# Facts computed here (arithmetic and score tables only), with their kinds.
COMPUTED_FACTS: dict[str, FactSpec] = {
    "liver": FactSpec("yes_no"),
    "ehs": FactSpec("yes_no"),
    "diffuse": FactSpec("yes_no"),
    "any_pvt": FactSpec("yes_no"),
    "cp_score": FactSpec("integer"),
    "cp_class": FactSpec("choice", ("A", "B", "C")),
    "cp_score_mismatch": FactSpec("yes_no"),
    "albi": FactSpec("integer"),
    # number of liver tumours + largest size in cm (the up-to-seven sum); absent when there is
    # no countable liver tumour
    "tumour_number_plus_size": FactSpec("number"),
}
# Facts defined by a condition in content/derived.toml (the loader checks that each is defined).
CONTENT_FACTS: dict[str, FactSpec] = {
    "milan": FactSpec("yes_no"),
    "within_unos_ds": FactSpec("yes_no"),
    "beyond_up_to_seven": FactSpec("yes_no"),
    "coagulopathy": FactSpec("yes_no"),
    "early_recurrence": FactSpec("yes_no"),
    "second_line": FactSpec("yes_no"),
    "trial_population": FactSpec("yes_no"),
    "second_line_trial_population": FactSpec("yes_no"),
    "bclc_d": FactSpec("yes_no"),
}
# Every derived fact a rule may name, with its kind (checked by the loader).
DERIVED_FACTS: dict[str, FactSpec] = COMPUTED_FACTS | CONTENT_FACTS

CHILD_PUGH_LABS = ("bilirubin_umol_l", "albumin_g_l", "inr", "ascites", "encephalopathy")

_ASCITES_POINTS = {"none": 1, "mild": 2, "moderate_severe": 3}
_ENCEPHALOPATHY_POINTS = {"none": 1, "grade_1_2": 2, "grade_3_4": 3}


def convert(value: float, factor: float, decimals: int | None) -> float:
    """The one unit conversion: multiply, then round when the target unit is reported rounded.

    Rounding is half-up (not Python's banker's rounding), as laboratories round.
    """
    converted = value * factor
    if decimals is None:
        return converted
    scale = 10 ** decimals
    rounded = math.floor(abs(converted) * scale + 0.5) / scale
    rounded = math.copysign(rounded, converted)
    return int(rounded) if decimals == 0 else rounded


def child_pugh_points(bilirubin_umol_l: float, albumin_g_l: float, inr: float, ascites: str,
                      encephalopathy: str) -> dict[str, int]:
    """Points per Child-Pugh item (criteria.md 2.1, albumin band 28–35 g/L)."""
    return {
        "bilirubin_umol_l": 1 if bilirubin_umol_l < 34 else 2 if bilirubin_umol_l <= 51 else 3,
        "albumin_g_l": 1 if albumin_g_l > 35 else 2 if albumin_g_l >= 28 else 3,
        "inr": 1 if inr < 1.7 else 2 if inr <= 2.3 else 3,
        "ascites": _ASCITES_POINTS[ascites],
        "encephalopathy": _ENCEPHALOPATHY_POINTS[encephalopathy],
    }


def child_pugh_class(score: int) -> str:
    return "A" if score <= 6 else "B" if score <= 9 else "C"


def albi_score(bilirubin_umol_l: float, albumin_g_l: float) -> float | None:
    """ALBI = log10(bilirubin µmol/L) × 0.66 − 0.085 × albumin g/L; None when bilirubin ≤ 0."""
    if bilirubin_umol_l <= 0:
        return None
    return math.log10(bilirubin_umol_l) * 0.66 + albumin_g_l * -0.085


def albi_grade(score: float) -> int:
    return 1 if score <= -2.60 else 2 if score <= -1.39 else 3


def facts_and_derived(values: Mapping[str, Any], unknown: frozenset[str],
                      content: Content) -> tuple[dict[str, Any], Derived]:
    """All facts a rule may read (fields plus derived facts), and the record shown to clinicians."""
    facts: dict[str, Any] = dict(values)
    for key in unknown:  # a field given as null: not yet known (its place in the order kept)
        if key in facts:
            facts[key] = Unknown(frozenset({key}))
    site, count = facts["recurrence_site"], facts["liver_tumour_count"]
    facts["liver"] = _map(site, lambda s: s in ("liver_only", "liver_and_extrahepatic"))
    facts["ehs"] = _map(site, lambda s: s in ("extrahepatic_only", "liver_and_extrahepatic"))
    facts["diffuse"] = _map(count, lambda c: c == "diffuse")
    facts["any_pvt"] = _map(facts["portal_vein_invasion"], lambda p: p != "none")
    facts["tumour_number_plus_size"] = _number_plus_size(count, facts["largest_tumour_cm"])

    cp = _child_pugh(facts, content)
    facts["cp_score"] = cp.score
    facts["cp_class"] = cp.cls
    facts["cp_score_mismatch"] = cp.labs is not None and cp.entered is not None \
        and cp.entered != cp.labs

    albi_value, albi_from_labs = _albi(facts)
    entered_albi = values.get("albi_grade")
    facts["albi"] = entered_albi or (albi_grade(albi_value) if albi_from_labs and albi_value
                                     is not None else None)
    for fact in content.derived_facts:  # in file order: a fact may use the ones before it
        facts[fact.id] = fact.test(facts)

    derived = built(  # Derived(...), without the frozen dataclass's per-field set-up
        Derived,
        child_pugh_score=cp.score if _is_value(cp.score) else None,
        child_pugh_class=cp.cls if _is_value(cp.cls) else None,
        child_pugh_from_labs=cp.source == "labs",
        child_pugh_points=cp.points,
        albi_score=round(albi_value, 2) if albi_value is not None else None,
        albi_grade=facts["albi"],
        albi_from_labs=albi_from_labs and not entered_albi,
        bilirubin_umol_l=None if "bilirubin_umol_l" in unknown else values["bilirubin_umol_l"],
        milan=facts["milan"] if isinstance(facts["milan"], bool) else None,
        recurrence_label=_recurrence_label(facts["early_recurrence"]),
        child_pugh_source=cp.source,
        child_pugh_entered=cp.entered,
        child_pugh_labs=cp.labs,
        child_pugh_floor=cp.floor,
        albi_entered=entered_albi,
    )
    return facts, derived


def _is_value(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown)


def _map(value: Any, fn: Callable[[Any], Any]) -> Any:
    return value if isinstance(value, Unknown) or value is None else fn(value)


def _number_plus_size(count: Any, size: Any) -> Any:
    """Tumour number + largest size (cm), for the up-to-seven criterion; None without a
    countable liver tumour."""
    if count == "diffuse" or count == 0 or count is None or size is None:
        return None
    unknown = frozenset().union(*(v.fields for v in (count, size) if isinstance(v, Unknown)))
    return Unknown(unknown) if unknown else count + size


class _ChildPugh:
    """The Child-Pugh score the rules read (8.3 R1) and where it came from."""

    def __init__(self, score: Any, cls: Any, source: str, entered: int | None,
                 labs: int | None, floor: int | None, points: dict[str, int]):
        self.score, self.cls, self.source = score, cls, source
        self.entered, self.labs, self.floor, self.points = entered, labs, floor, points


def _child_pugh(facts: Mapping[str, Any], content: Content) -> _ChildPugh:
    """The worst of: the score entered, the score from the five labs (when all are known) and
    the floor the bilirubin alone implies (content/derived.toml `child_pugh_floor`).

    When the score is neither entered nor computable, it is Unknown; a bilirubin floor then
    narrows what it could still be, so that (for example) a bilirubin of 60 µmol/L already
    rules out Child-Pugh A for the rules, as the score cannot be below 7.
    """
    labs: list[Any] = [facts.get(lab) for lab in CHILD_PUGH_LABS]
    points = child_pugh_points(*labs) if all(_is_value(v) for v in labs) else {}
    labs_score = sum(points.values()) if points else None
    given = facts["child_pugh_score"]
    entered = given if _is_value(given) else None
    floor = _floor(facts, content)
    candidates = [(entered, "entered"), (labs_score, "labs"), (floor, "bilirubin")]
    known = [(score, source) for score, source in candidates[:2] if score is not None]
    if not known:
        possible = None if floor is None else frozenset(range(floor, 16))
        score = Unknown(frozenset({"child_pugh_score"}), possible)
        cls = Unknown(score.fields, None if possible is None else frozenset(
            child_pugh_class(s) for s in possible))
        return _ChildPugh(score, cls, "", entered, labs_score, floor, points)
    if floor is not None:
        known.append((floor, "bilirubin"))
    best = max(score for score, _ in known)
    bilirubin = facts.get("bilirubin_umol_l")
    highest_floor = max((at_least for _, at_least in content.child_pugh_floor), default=best)
    if isinstance(bilirubin, Unknown) and best < highest_floor:
        # The bilirubin could still raise the score: the rules cannot treat it as settled.
        possible = frozenset(range(best, highest_floor + 1))
        return _ChildPugh(Unknown(bilirubin.fields, possible),
                          Unknown(bilirubin.fields, frozenset(child_pugh_class(v)
                                                              for v in possible)),
                          "", entered, labs_score, None, points)
    source = next(src for score, src in known if score == best)  # ties: entered, then labs
    return _ChildPugh(best, child_pugh_class(best), source, entered, labs_score, floor, points)


def _floor(facts: Mapping[str, Any], content: Content) -> int | None:
    """The least Child-Pugh score the bilirubin implies (None when no floor applies)."""
    floors = [at_least for test, at_least in content.child_pugh_floor if test(facts) is True]
    return max(floors) if floors else None


def _albi(facts: Mapping[str, Any]) -> tuple[float | None, bool]:
    bilirubin: Any = facts.get("bilirubin_umol_l")
    albumin: Any = facts.get("albumin_g_l")
    if not (_is_value(bilirubin) and _is_value(albumin)):
        return None, False
    score = albi_score(bilirubin, albumin)
    return score, score is not None


def _recurrence_label(early: Any) -> str:
    if not isinstance(early, bool):
        return "unknown"
    return "early" if early else "late"
