"""What content/ holds once loaded: fields, options, rules, references; immutable, with lookups.

Built only by core/loader.py; every other layer reads it. Closed string fields are `Literal`s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal

from .assessment import Verdict

FactorKind = Literal["choice", "integer", "number", "yes_no", "count"]
Combine = Literal["worst", "best_of_tracks"]  # how an option's tracks give its verdict
Goal = Literal["curative", "control", "comfort"]
Tag = Literal["CCS", "GL"]  # from the Canadian Cancer Society page, or from a guideline
Severity = Literal["", "error", "warning"]  # "" for rules that are not validation codes
ReferenceKind = Literal["CCS", "guideline", "trial", "patient_info", "other"]

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
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class NoneOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Always:
    pass


Condition = Compare | AllOf | AnyOf | NoneOf | Always


# --------------------------------------------------------------------------- content files


@dataclass(frozen=True)
class Factor:
    """One patient-factor field of section 7 (or a lab used to derive one)."""

    id: str
    kind: FactorKind
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
    tag: Tag
    track: str = "main"
    fields: tuple[str, ...] = ()  # for validation codes: the fields the message belongs beside
    severity: Severity = ""  # for validation codes
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
    combine: Combine
    goal: Goal
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
    kind: ReferenceKind


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
    strings: Mapping[str, Mapping[str, Any]]  # lang -> key -> text or list (sheet, labels, UI)
    groups: tuple[tuple[str, Text], ...] = ()  # factor groups in form order: (id, label)

    def factor(self, factor_id: str) -> Factor:
        """The field with this id (KeyError when there is none; see `has_factor`)."""
        return self._factors[factor_id]

    def has_factor(self, factor_id: str) -> bool:
        return factor_id in self._factors

    def aliases_of(self, factor_id: str) -> tuple[str, ...]:
        """Other-unit fields of a field (bilirubin_mg_dl for bilirubin_umol_l)."""
        return self._aliases.get(factor_id, ())

    def option(self, option_id: str) -> Option:
        return self._options[option_id]

    def reference(self, ref_id: str) -> Reference:
        """The reference with this id (KeyError when there is none; see `has_reference`)."""
        return self._references[ref_id]

    def has_reference(self, ref_id: str) -> bool:
        return ref_id in self._references

    def string(self, key: str, lang: str = "en") -> Any:
        table = self.strings.get(lang) or {}
        if key in table:
            return table[key]
        return self.strings["en"][key]

    def rule(self, rule_id: str) -> Rule:
        """Any rule by id: an option's default, rules and notes, validation codes, global rules."""
        return self._rules[rule_id]

    def has_rule(self, rule_id: str) -> bool:
        return rule_id in self._rules

    @property
    def review_dates(self) -> tuple[date, date]:
        """The oldest last-review date and the earliest next-review date over all options."""
        return (
            min(o.last_reviewed for o in self.options),
            min(o.next_review for o in self.options),
        )

    # Lookups by id, built on first use (the content never changes; `replace` builds afresh).
    @cached_property
    def _factors(self) -> dict[str, Factor]:
        return {f.id: f for f in self.factors}

    @cached_property
    def _aliases(self) -> dict[str, tuple[str, ...]]:
        aliases: dict[str, tuple[str, ...]] = {}
        for f in self.factors:
            if f.alias_of:
                aliases[f.alias_of] = (*aliases.get(f.alias_of, ()), f.id)
        return aliases

    @cached_property
    def _options(self) -> dict[str, Option]:
        return {o.id: o for o in self.options}

    @cached_property
    def _references(self) -> dict[str, Reference]:
        return {r.id: r for r in self.references}

    @cached_property
    def _rules(self) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        for option in self.options:
            for rule in (option.default, *option.rules, *option.notes):
                rules[rule.id] = rule
        for rule in (*self.validation, *self.global_rules):
            rules[rule.id] = rule
        return rules
