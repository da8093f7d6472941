"""What the engine gives back: verdicts, findings per option, derived values, input issues."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar


class Verdict(str, enum.Enum):
    """The three verdict levels of the clinical reference (section 0)."""

    APPLICABLE = "applicable"
    CAUTION = "caution"
    NOT_APPLICABLE = "not_applicable"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @staticmethod
    def worst(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
        """The most restrictive verdict (applicable when there are none)."""
        if Verdict.NOT_APPLICABLE in verdicts:
            return Verdict.NOT_APPLICABLE
        return Verdict.CAUTION if Verdict.CAUTION in verdicts else Verdict.APPLICABLE

    @staticmethod
    def best(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
        """The least restrictive verdict (applicable when there are none)."""
        if not verdicts or Verdict.APPLICABLE in verdicts:
            return Verdict.APPLICABLE
        return Verdict.CAUTION if Verdict.CAUTION in verdicts else Verdict.NOT_APPLICABLE


_SEVERITY = {Verdict.APPLICABLE: 0, Verdict.CAUTION: 1, Verdict.NOT_APPLICABLE: 2}


# --------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class Issue:
    """An input error or warning: a validation code (E1..., W1...) or a type/range problem."""

    code: str
    field: str  # the field it belongs beside ("" when it concerns the whole input)
    message: str  # clinician-facing, in the content's default language


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired for an option, or that could not be decided because a value is unknown."""

    rule_id: str
    verdict: Verdict
    track: str = "main"
    unknown: tuple[str, ...] = ()  # field ids whose value is not yet known
    default: bool = False  # the option's "no rule applied" reason
    variant: int = -1  # index of the rule's text variant used for this patient (-1: usual text)
    not_entered: tuple[str, ...] = ()  # default reason: optional fields read but left empty
    # earlier options whose verdict made the rule fire (SYS-6 names them, 8.3 T3); a reason
    # text shows them where it says {options}
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptionResult:
    option_id: str
    verdict: Verdict
    findings: tuple[Finding, ...]
    base_verdict: Verdict  # before the preference step
    notes: tuple[str, ...] = ()  # agent-note rule ids (systemic therapy)
    line: str = ""  # line-of-therapy key (systemic therapy)
    track_verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    # option text key -> index of the variant used for this patient (absent: the usual text)
    text_variants: Mapping[str, int] = field(default_factory=dict)

    @property
    def main_finding(self) -> Finding:
        """The first finding carrying the option's verdict (the reason to show first)."""
        return self.deciding[0] if self.deciding else self.findings[0]

    @property
    def shown(self) -> tuple[Finding, ...]:
        """The findings worth showing, deciding ones first (8.3 T8).

        For an option with tracks (SBRT), only the tracks that set the verdict are shown: a
        liver-only patient's "no target outside the liver" track is left out.
        """
        return self.deciding + self.also_noted

    @property
    def deciding(self) -> tuple[Finding, ...]:
        """The findings that set the verdict (same verdict as the option), in rule order."""
        return tuple(f for f in self._in_deciding_tracks() if f.verdict is self.verdict)

    @property
    def also_noted(self) -> tuple[Finding, ...]:
        """Other findings of the deciding tracks: shown on screen under "also noted"; the sheet
        leaves them off when the verdict is not applicable (8.3 T8)."""
        return tuple(f for f in self._in_deciding_tracks() if f.verdict is not self.verdict)

    def _in_deciding_tracks(self) -> tuple[Finding, ...]:
        if not self.track_verdicts:
            return self.findings
        tracks = {t for t, v in self.track_verdicts.items() if v is self.base_verdict}
        return tuple(f for f in self.findings if f.track in tracks or f.track == "main")


@dataclass(frozen=True)
class Derived:
    """Values computed from the inputs, shown to the clinician with where they came from."""

    child_pugh_score: int | None  # the score every Child-Pugh rule read (8.3 R1: the worst)
    child_pugh_class: str | None
    child_pugh_from_labs: bool  # the score used is the one computed from the labs
    child_pugh_points: Mapping[str, int]  # lab item -> points, when computed from labs
    albi_score: float | None
    albi_grade: int | None
    albi_from_labs: bool
    bilirubin_umol_l: float | None
    milan: bool | None
    recurrence_label: str  # early | late | unknown
    # 8.3 R1: where the score used came from: "entered" | "labs" | "bilirubin" (the bilirubin
    # floor) | "" (unknown; then `child_pugh_floor` gives the least it can be, if any).
    child_pugh_source: str = ""
    child_pugh_entered: int | None = None
    child_pugh_labs: int | None = None  # computed from the five labs, when all are known
    child_pugh_floor: int | None = None  # the least score the bilirubin alone implies
    albi_entered: int | None = None


@dataclass(frozen=True)
class PatientFactors:
    """Validated patient factors: field id -> value (None: absent optional value).

    `unknown` names the core fields given as null ("not yet known").
    """

    values: Mapping[str, Any]
    unknown: frozenset[str]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass(frozen=True)
class Assessment:
    content_version: str
    results: tuple[OptionResult, ...]  # fixed content order
    warnings: tuple[Issue, ...]
    errors: tuple[Issue, ...]
    derived: Derived | None
    fingerprint: str
    factors: PatientFactors | None
    # Every fact the engine read, as it read it: fields, derived facts, and the base verdicts
    # of the options (`verdict.<option id>`). Unknown values are `conditions.Unknown`. The
    # screen shows these, so it never recomputes what the rules saw (issue #9).
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def result(self, option_id: str) -> OptionResult:
        for result in self.results:
            if result.option_id == option_id:
                return result
        raise KeyError(option_id)


_T = TypeVar("_T")
_FIELD_NAMES: dict[type, frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls)) for cls in (Derived, PatientFactors, Assessment)}


def built(cls: type[_T], **values: Any) -> _T:
    """`cls(**values)` for Derived, PatientFactors or Assessment with every field given by
    name, without the generated `__init__` of a frozen dataclass (one `object.__setattr__`
    per field: the engine makes all three for every assessment). Anything else (a field
    missing or misspelt, another class) goes to `cls(**values)` itself, which refuses it."""
    names = _FIELD_NAMES.get(cls)
    if names is None or values.keys() != names:
        return cls(**values)
    made: _T = object.__new__(cls)
    made.__dict__.update(values)  # the dataclasses have no slots and no __post_init__
    return made
