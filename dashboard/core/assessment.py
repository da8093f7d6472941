"""What the engine gives back: verdicts, findings per option, derived values, input issues."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class OptionResult:
    option_id: str
    verdict: Verdict
    findings: tuple[Finding, ...]
    base_verdict: Verdict  # before the preference step
    notes: tuple[str, ...] = ()  # agent-note rule ids (systemic therapy)
    line: str = ""  # line-of-therapy key (systemic therapy)
    track_verdicts: Mapping[str, Verdict] = field(default_factory=dict)

    @property
    def main_finding(self) -> Finding:
        """The first finding carrying the option's verdict (the reason to show first)."""
        for finding in self.findings:
            if finding.verdict is self.verdict:
                return finding
        return self.findings[0]


@dataclass(frozen=True)
class Derived:
    """Values computed from the inputs, shown to the clinician with where they came from."""

    child_pugh_score: int | None
    child_pugh_class: str | None
    child_pugh_from_labs: bool
    child_pugh_points: Mapping[str, int]  # lab item -> points, when computed from labs
    albi_score: float | None
    albi_grade: int | None
    albi_from_labs: bool
    bilirubin_umol_l: float | None
    milan: bool | None
    recurrence_label: str  # early | late | unknown


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

    @property
    def ok(self) -> bool:
        return not self.errors

    def result(self, option_id: str) -> OptionResult:
        for result in self.results:
            if result.option_id == option_id:
                return result
        raise KeyError(option_id)
