"""Immutable data types shared by every layer: content, patient factors, assessments, sheets."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Union


class Verdict(str, enum.Enum):
    """The three verdict levels of the clinical reference (section 0)."""

    APPLICABLE = "applicable"
    CAUTION = "caution"
    NOT_APPLICABLE = "not_applicable"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @staticmethod
    def worst(verdicts: "list[Verdict] | tuple[Verdict, ...]") -> "Verdict":
        """The most restrictive verdict (applicable when there are none)."""
        if Verdict.NOT_APPLICABLE in verdicts:
            return Verdict.NOT_APPLICABLE
        return Verdict.CAUTION if Verdict.CAUTION in verdicts else Verdict.APPLICABLE

    @staticmethod
    def best(verdicts: "list[Verdict] | tuple[Verdict, ...]") -> "Verdict":
        """The least restrictive verdict (applicable when there are none)."""
        if not verdicts or Verdict.APPLICABLE in verdicts:
            return Verdict.APPLICABLE
        return Verdict.CAUTION if Verdict.CAUTION in verdicts else Verdict.NOT_APPLICABLE


_SEVERITY = {Verdict.APPLICABLE: 0, Verdict.CAUTION: 1, Verdict.NOT_APPLICABLE: 2}

# A localised string: language code -> text. Every patient- or clinician-facing sentence that
# comes from content is one of these, so a second language is a content change only.
Text = Mapping[str, str]


def text_in(text: Text, lang: str, default_lang: str = "en") -> str:
    """The text in `lang`, falling back to the default language."""
    return text.get(lang) or text[default_lang]


# --------------------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Compare:
    """A leaf condition: `fact op value` from the closed operator table."""

    fact: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class AllOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class NoneOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Always:
    pass


Condition = Union[Compare, AllOf, AnyOf, NoneOf, Always]


# --------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Factor:
    """One patient-factor field of section 7 (or a lab used to derive one)."""

    id: str
    kind: str  # choice | integer | number | yes_no | count
    core: bool
    group: str
    label: Text
    patient_label: Text
    help: Text
    unit: str = ""
    values: tuple[str, ...] = ()
    value_labels: Mapping[str, Text] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    alias_of: str = ""  # e.g. bilirubin_mg_dl is another unit of bilirubin_umol_l
    alias_factor: float = 1.0
    alias_round: int | None = None  # decimals kept after conversion (None: not rounded)


@dataclass(frozen=True)
class Rule:
    """One row of the rule table (section 8.2) or a validation code (section 7.3)."""

    id: str
    when: Condition
    verdict: Verdict | None  # None for validation codes and agent notes
    clinician: Text
    patient: Text
    sources: tuple[str, ...]
    tag: str  # CCS | GL
    track: str = "main"
    fields: tuple[str, ...] = ()  # for validation codes: the fields the message belongs beside
    severity: str = ""  # for validation codes: error | warning
    # `when` compiled by the loader: facts -> True | False | Unknown (see core/conditions.py)
    test: Callable[[Mapping[str, Any]], Any] | None = field(default=None, compare=False,
                                                             repr=False)


@dataclass(frozen=True)
class Option:
    """One treatment option: its patient-facing facts, its rules and its review status."""

    id: str
    order: int
    phase: int
    active: bool
    combine: str  # worst | best_of_tracks
    goal: str  # curative | control | comfort
    sources: tuple[str, ...]
    reviewed_by: str
    last_reviewed: date
    next_review: date
    text: Mapping[str, Text]  # name, clinical_name, summary, involves, hospital_stay, ...
    lists: Mapping[str, Mapping[str, tuple[str, ...]]]  # questions, checks: lang -> items
    default: Rule  # the reason shown when no rule of a track fires
    rules: tuple[Rule, ...]
    notes: tuple[Rule, ...] = ()  # agent notes (systemic therapy), never change the verdict
    lines: Mapping[str, Text] = field(default_factory=dict)  # line of therapy texts

    def name(self, lang: str = "en") -> str:
        return text_in(self.text["name"], lang)


@dataclass(frozen=True)
class Reference:
    id: str
    citation: str
    url: str
    year: str
    kind: str  # CCS | guideline | trial | patient_info | other


@dataclass(frozen=True)
class Content:
    """Everything loaded from content/, validated, immutable and shareable between sessions."""

    version: str  # human version string plus a short hash of the content files
    label: str
    languages: tuple[str, ...]
    factors: tuple[Factor, ...]
    options: tuple[Option, ...]
    validation: tuple[Rule, ...]
    global_rules: tuple[Rule, ...]  # rules applied to every active option after all others
    references: tuple[Reference, ...]
    strings: Mapping[str, Mapping[str, Any]]  # lang -> key -> text or list (sheet, labels, UI words)
    groups: tuple[tuple[str, Text], ...] = ()  # factor groups in form order: (id, label)

    def factor(self, factor_id: str) -> Factor:
        return self._factor_index[factor_id]

    def aliases_of(self, factor_id: str) -> tuple[str, ...]:
        """Other-unit fields of a field (bilirubin_mg_dl for bilirubin_umol_l)."""
        return self._alias_index.get(factor_id, ())

    def option(self, option_id: str) -> Option:
        return self._option_index[option_id]

    def reference(self, ref_id: str) -> Reference:
        return self._reference_index[ref_id]

    def string(self, key: str, lang: str = "en") -> Any:
        table = self.strings.get(lang) or {}
        if key in table:
            return table[key]
        return self.strings["en"][key]

    def rule(self, rule_id: str) -> Rule:
        return self._rule_index[rule_id]

    @property
    def review_dates(self) -> tuple[date, date]:
        """The oldest last-review date and the earliest next-review date over all options."""
        return (
            min(o.last_reviewed for o in self.options),
            min(o.next_review for o in self.options),
        )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_factor_index", {f.id: f for f in self.factors})
        aliases: dict[str, tuple[str, ...]] = {}
        for f in self.factors:
            if f.alias_of:
                aliases[f.alias_of] = (*aliases.get(f.alias_of, ()), f.id)
        object.__setattr__(self, "_alias_index", aliases)
        object.__setattr__(self, "_option_index", {o.id: o for o in self.options})
        object.__setattr__(self, "_reference_index", {r.id: r for r in self.references})
        rules: dict[str, Rule] = {}
        for option in self.options:
            for rule in (option.default, *option.rules, *option.notes):
                rules[rule.id] = rule
        for rule in (*self.validation, *self.global_rules):
            rules[rule.id] = rule
        object.__setattr__(self, "_rule_index", rules)


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


# --------------------------------------------------------------------------- discussion sheet
# Every string the PDF prints, in order. The renderer (dashboard/pdf.py) draws these blocks and
# decides nothing: wording, order and selection are settled in core/sheet.py.


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 section heading, 2 sub-heading


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | small | lead
    user_field: str = ""  # set when the text was typed by a user: named in unprintable-text errors


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class LabelledValue:
    """A header line such as "Name: ___"; an empty value prints a line to write on."""

    label: str
    value: str
    user_field: str = ""


@dataclass(frozen=True)
class OptionTable:
    """Options side by side: one column per option (at most 3 per table), one row per aspect."""

    row_header: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (aspect label, one cell per column)


@dataclass(frozen=True)
class WriteLines:
    count: int


@dataclass(frozen=True)
class TickBoxes:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Union[Heading, Paragraph, Bullets, LabelledValue, OptionTable, WriteLines, TickBoxes,
              Glossary, PageBreak]


@dataclass(frozen=True)
class DiscussionSheet:
    title: str  # printed at the top of page 1
    metadata_title: str  # PDF document title: never the patient's name
    lang: str  # document language, e.g. "en-CA"
    footer_lines: tuple[str, ...]  # disclaimer, content version, review date, fingerprint
    page_label: str  # e.g. "Page {page} of {pages}"
    blocks: tuple[Block, ...]
    large_print: bool = False
    paper: str = "a4"  # a4 | letter
    file_name: str = "discussion-sheet.pdf"  # generic: never the patient's name
