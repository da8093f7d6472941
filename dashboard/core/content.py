"""What content/ holds once loaded: fields, options, rules, references; immutable, with lookups.

Built only by core/loader.py; every other layer reads it. Closed string fields are `Literal`s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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


def condition_facts(condition: Condition) -> Iterator[str]:
    """The fact names a condition reads, in order (may repeat)."""
    if isinstance(condition, Compare):
        yield condition.fact
    elif isinstance(condition, (AllOf, AnyOf, NoneOf)):
        for item in condition.items:
            yield from condition_facts(item)


def _not_compiled(facts: Mapping[str, Any]) -> Any:
    """The `test` of a condition the loader has not compiled (never the case for loaded content)."""
    raise RuntimeError("this condition was not compiled by the loader")


@dataclass(frozen=True)
class Variant:
    """A text that replaces an option's (or a rule's) usual text for some patients (8.3 T6/T7).

    `key` names the text it replaces: an option text ("goal_text", "side_effects", ...), a list
    ("questions", "checks"), a line of therapy ("lines.first"), or "rule" for a rule's variant,
    which replaces the rule's patient text and, when `clinician` is given, its clinician text.
    The first variant whose `when` is True for the patient is used; when it is False or cannot
    be decided (an unknown value), the usual text stays, so the usual text must be the one that
    is true for every patient.
    """

    key: str
    when: Condition
    text: Mapping[str, Any]  # language -> text (or a list of items for a list key)
    clinician: Text = field(default_factory=dict)  # rule variants only (may be empty)
    test: Callable[[Mapping[str, Any]], Any] = field(default=_not_compiled, compare=False,
                                                      repr=False)


@dataclass(frozen=True)
class DerivedFact:
    """A named clinical fact defined in content/derived.toml (Milan, up-to-seven, ...)."""

    id: str
    kind: str  # yes_no
    when: Condition
    sources: tuple[str, ...]
    meaning: Text
    test: Callable[[Mapping[str, Any]], Any] = field(default=_not_compiled, compare=False,
                                                      repr=False)


@dataclass(frozen=True)
class Claim:
    """Something a sentence can assert about the patient, and when that is true (8.3 T7).

    `phrases` are, per language, lower-case fragments of text that assert the claim (spaces of
    any kind written as one ordinary space); a sentence containing one may be shown only to a
    patient for whom `when` is True. Tests scan every text the pipeline would show, in every
    sheet language, against every claim, so a new contradicting sentence fails a test.
    """

    id: str
    phrases: tuple[str, ...]  # English
    when: Condition
    meaning: Text
    test: Callable[[Mapping[str, Any]], Any] = field(default=_not_compiled, compare=False,
                                                      repr=False)
    localised: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (lang, phrases), every language

    def phrases_in(self, lang: str) -> tuple[str, ...]:
        """The phrases that make this claim in `lang` (English for "en")."""
        return next((p for code, p in self.localised if code == lang),
                    self.phrases if lang == "en" else ())


def claim_form(text: str) -> str:
    """A text as claim phrases are matched: case folded, every kind of space (no-break, narrow
    no-break) one ordinary space, typographic apostrophes straight."""
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def is_placeholder_reviewer(name: str) -> bool:
    """A `reviewed_by` that names nobody: empty, or a "Pending ..." placeholder."""
    return not name.strip() or name.strip().lower().startswith(("pending", "draft", "tbd"))


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
    # Texts for particular patients: the first variant whose condition holds replaces the
    # rule's own `patient` (and `clinician`, when the variant gives one) text (T7).
    variants: tuple[Variant, ...] = ()
    # `when` compiled by the loader: facts -> True | False | Unknown (see core/conditions.py)
    test: Callable[[Mapping[str, Any]], Any] = field(default=_not_compiled, compare=False,
                                                      repr=False)


@dataclass(frozen=True)
class Aspect:
    """One aspect the options are compared on (content/sheet.toml `[[aspects]]`), the same for
    the sheet's grid, its "More about each option" pages and the screen's comparison table.

    Its labels are `sheet.row_<id>` (grid and screen) and `sheet.more_<id>` (More pages); every
    option writes a short grid text `[grid] <id>`, and `detail` names its longer texts.
    """

    id: str
    detail: tuple[str, ...]


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
    variants: tuple[Variant, ...] = ()  # patient-dependent replacements of the texts above
    checked_by: str = ""
    # the agent notes (ids of `notes`) the sheet's grid prints when they hold ([grid] notes)
    sheet_notes: tuple[str, ...] = ()

    def name(self, lang: str = "en") -> str:
        return text_in(self.text["name"], lang)


@dataclass(frozen=True)
class FileReview:
    """The review fields of one content file (every file carries them)."""

    path: str  # relative to content/, e.g. "options/tace.toml"
    reviewed_by: str  # the clinical reviewer who signed it; a "Pending ..." placeholder = draft
    checked_by: str  # a second reader
    last_reviewed: date
    next_review: date

    @property
    def draft(self) -> bool:
        return is_placeholder_reviewer(self.reviewed_by)


@dataclass(frozen=True)
class SourceText:
    """A source's own page in another language (the Société canadienne du cancer's French pages):
    its title as that page gives it, its address, and what a reviewer still has to check."""

    lang: str
    citation: str
    url: str  # "" when the page in that language is not known: the English address is kept
    review: str = ""  # e.g. "address seen in a stored copy; check it opens" ("" = checked)


@dataclass(frozen=True)
class Reference:
    id: str
    citation: str
    url: str
    year: str
    kind: ReferenceKind
    localised: tuple[SourceText, ...] = ()  # the source's own pages in other languages

    def _in(self, lang: str) -> SourceText | None:
        return next((t for t in self.localised if t.lang == lang), None)

    def citation_in(self, lang: str) -> str:
        """The citation a sheet in `lang` prints: the source's own title in that language where
        it has one, the English one otherwise (never a translation of our own)."""
        own = self._in(lang)
        return own.citation if own else self.citation

    def url_in(self, lang: str) -> str:
        own = self._in(lang)
        return own.url if own and own.url else self.url


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
    derived_facts: tuple[DerivedFact, ...] = ()  # content/derived.toml, in evaluation order
    claims: tuple[Claim, ...] = ()  # content/claims.toml: what patient sentences may assert
    aspects: tuple[Aspect, ...] = ()  # content/sheet.toml [[aspects]]: what options compare on
    # derived.toml [[child_pugh_floor]]: (test, least score) pairs, 8.3 R1
    child_pugh_floor: tuple[tuple[Callable[[Mapping[str, Any]], Any], int], ...] = field(
        default=(), compare=False, repr=False)

    reviews: tuple[FileReview, ...] = ()  # the review fields of every content file

    @property
    def draft(self) -> bool:
        """True while any content file has no named clinical reviewer (8.3 T9)."""
        return any(is_placeholder_reviewer(o.reviewed_by) for o in self.options) or any(
            r.draft for r in self.reviews)

    @property
    def optional_field_ids(self) -> frozenset[str]:
        """Fields that may be left out (labs and details): empty means "not entered"."""
        return self._optional_ids

    def verdict_reads(self, rule_id: str) -> tuple[str, ...]:
        """The `verdict.<option>` facts a rule's condition reads (empty for most rules)."""
        return self._verdict_reads.get(rule_id, ())

    def optional_reads(self, option_id: str, track: str = "main") -> tuple[str, ...]:
        """The optional fields that an option's rules (of one track) depend on, directly or
        through a derived fact; "albi_grade" stands for the ALBI grade however it is known."""
        return self._reads.get((option_id, track), ())

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
        """The oldest last-review date and the earliest next-review date over all content
        files (the options, and every other file that carries review fields)."""
        dated = [*((o.last_reviewed, o.next_review) for o in self.options),
                 *((r.last_reviewed, r.next_review) for r in self.reviews)]
        return min(d[0] for d in dated), min(d[1] for d in dated)

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
    def _verdict_reads(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for rule_id, rule in self._rules.items():
            reads = tuple(dict.fromkeys(f for f in condition_facts(rule.when)
                                        if f.startswith("verdict.")))
            if reads:
                out[rule_id] = reads
        return out

    @cached_property
    def _optional_ids(self) -> frozenset[str]:
        return frozenset(f.id for f in self.factors if not f.core)

    @cached_property
    def _reads(self) -> dict[tuple[str, str], tuple[str, ...]]:
        reads: dict[tuple[str, str], tuple[str, ...]] = {}
        for option in self.options:
            for track in {"main", option.default.track, *(r.track for r in option.rules)}:
                fields: list[str] = []
                for rule in option.rules:
                    if rule.track == track or option.combine == "worst":
                        fields += self._fields_behind(rule.when)
                reads[(option.id, track)] = tuple(dict.fromkeys(fields))
        return reads

    def _fields_behind(self, condition: Condition) -> list[str]:
        defined = {fact.id: fact for fact in self.derived_facts}
        out: list[str] = []
        for name in condition_facts(condition):
            if name in defined:
                out += self._fields_behind(defined[name].when)
            elif name == "albi":
                out.append("albi_grade")
            elif name in self._optional_ids:
                out.append(name)
        return out

    @cached_property
    def _rules(self) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        for option in self.options:
            for rule in (option.default, *option.rules, *option.notes):
                rules[rule.id] = rule
        for rule in (*self.validation, *self.global_rules):
            rules[rule.id] = rule
        return rules
