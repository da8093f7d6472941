"""Derived facts: Child-Pugh and ALBI from labs, Milan, coagulopathy and the other named facts.

Scores follow criteria.md section 2 (Child-Pugh with the 28–35 g/L albumin band; ALBI by the
Johnson 2015 formula). Every function takes plain values and returns a value or `Unknown`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .assessment import Derived
from .conditions import FactSpec, Unknown

# The derived facts that rules may name, with their kinds (checked by the loader).
DERIVED_FACTS: dict[str, FactSpec] = {
    "liver": FactSpec("yes_no"),
    "ehs": FactSpec("yes_no"),
    "diffuse": FactSpec("yes_no"),
    "any_pvt": FactSpec("yes_no"),
    "cp_score": FactSpec("integer"),
    "cp_class": FactSpec("choice", ("A", "B", "C")),
    "cp_score_mismatch": FactSpec("yes_no"),
    "albi": FactSpec("integer"),
    "milan": FactSpec("yes_no"),
    "coagulopathy": FactSpec("yes_no"),
}

CHILD_PUGH_LABS = ("bilirubin_umol_l", "albumin_g_l", "inr", "ascites", "encephalopathy")
EARLY_RECURRENCE_MONTHS = 24

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


def facts_and_derived(values: Mapping[str, Any], unknown: frozenset[str]) -> tuple[dict, Derived]:
    """All facts a rule may read (fields plus derived facts), and the record shown to clinicians."""
    facts: dict[str, Any] = {key: (Unknown(frozenset({key})) if key in unknown else value)
                             for key, value in values.items()}
    site, count = facts["recurrence_site"], facts["liver_tumour_count"]
    facts["liver"] = _map(site, lambda s: s in ("liver_only", "liver_and_extrahepatic"))
    facts["ehs"] = _map(site, lambda s: s in ("extrahepatic_only", "liver_and_extrahepatic"))
    facts["diffuse"] = _map(count, lambda c: c == "diffuse")
    facts["any_pvt"] = _map(facts["portal_vein_invasion"], lambda p: p != "none")

    score, points, from_labs = _child_pugh(facts)
    facts["cp_score"] = score
    facts["cp_class"] = _map(score, child_pugh_class)
    given = facts["child_pugh_score"]
    facts["cp_score_mismatch"] = bool(points) and _is_value(given) and given != sum(points.values())

    albi_value, albi_from_labs = _albi(facts)
    facts["albi"] = values.get("albi_grade") or (albi_grade(albi_value) if albi_from_labs else None)
    facts["milan"] = _milan(facts)
    platelets, inr = values.get("platelets_e9_l"), values.get("inr")
    facts["coagulopathy"] = bool((platelets is not None and platelets < 50)
                                 or (inr is not None and inr > 1.5))

    derived = Derived(
        child_pugh_score=score if _is_value(score) else None,
        child_pugh_class=child_pugh_class(score) if _is_value(score) else None,
        child_pugh_from_labs=from_labs,
        child_pugh_points=points,
        albi_score=round(albi_value, 2) if albi_value is not None else None,
        albi_grade=facts["albi"],
        albi_from_labs=albi_from_labs and not values.get("albi_grade"),
        bilirubin_umol_l=None if "bilirubin_umol_l" in unknown else values["bilirubin_umol_l"],
        milan=facts["milan"] if isinstance(facts["milan"], bool) else None,
        recurrence_label=_recurrence_label(facts["months_since_last_curative_treatment"]),
    )
    return facts, derived


def _is_value(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown)


def _map(value: Any, fn) -> Any:
    return value if isinstance(value, Unknown) or value is None else fn(value)


def _child_pugh(facts: Mapping[str, Any]) -> tuple[Any, dict[str, int], bool]:
    """(score or Unknown, points per lab when all labs are known, whether labs gave the score)."""
    labs = [facts.get(lab) for lab in CHILD_PUGH_LABS]
    points = child_pugh_points(*labs) if all(_is_value(v) for v in labs) else {}
    given = facts["child_pugh_score"]
    if _is_value(given):
        return given, points, False
    if points:
        return sum(points.values()), points, True
    return Unknown(frozenset({"child_pugh_score"})), points, False


def _albi(facts: Mapping[str, Any]) -> tuple[float | None, bool]:
    bilirubin, albumin = facts.get("bilirubin_umol_l"), facts.get("albumin_g_l")
    if not (_is_value(bilirubin) and _is_value(albumin)):
        return None, False
    score = albi_score(bilirubin, albumin)
    return score, score is not None


def _milan(facts: Mapping[str, Any]) -> Any:
    """Milan: liver only, no PVT, not diffuse, and one tumour ≤5 cm or 2–3 tumours each ≤3 cm."""
    site, pvt, count, size = (facts["recurrence_site"], facts["portal_vein_invasion"],
                              facts["liver_tumour_count"], facts["largest_tumour_cm"])
    unknown = frozenset()
    for value, fails in ((site, lambda s: s != "liver_only"), (pvt, lambda p: p != "none"),
                         (count, lambda c: c == "diffuse" or c == 0 or c > 3)):
        if isinstance(value, Unknown):
            unknown |= value.fields
        elif fails(value):
            return False
    if isinstance(size, Unknown):
        unknown |= size.fields
    if unknown:
        return Unknown(unknown)
    return size <= 5 if count == 1 else size <= 3


def _recurrence_label(months: Any) -> str:
    if not _is_value(months):
        return "unknown"
    return "early" if months < EARLY_RECURRENCE_MONTHS else "late"
