"""Screen wording helpers: an Assessment turned into the strings the consultation screen shows.

Pure functions (no Streamlit, no pandas) so the explanation on screen can be tested as plain
text: how a value reads ("Not yet known", "12 µmol/L"), which patient values a rule read, the
verdict counts, and whether any content review date has passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from dashboard.core.assessment import Assessment, Finding, Verdict
from dashboard.core.conditions import Unknown
from dashboard.core.content import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Content,
    Factor,
    NoneOf,
    Option,
    text_in,
)
from dashboard.core.derive import DERIVED_FACTS
from dashboard.core.explain import finding_text, verdict_words

LANG = "en"  # the screen's language (a French screen is a content change, issue #14)
NOT_KNOWN = "Not yet known"
NOT_ENTERED = "Not entered"
NOT_AVAILABLE = "Not available (labs not entered)"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def esc(text: str) -> str:
    """Backslash-escape Markdown so text is shown literally (content text in Markdown only)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


# Read-only module constants (per-patient state lives only in st.session_state).
VERDICT_STYLE = MappingProxyType({  # colour, icon: always shown with the words, never alone
    Verdict.APPLICABLE: ("green", ":material/check_circle:"),
    Verdict.CAUTION: ("orange", ":material/warning:"),
    Verdict.NOT_APPLICABLE: ("red", ":material/block:"),
})


def badge(content: Content, verdict: Verdict, suffix: str = "") -> str:
    """The verdict as a coloured badge with its icon and words (never colour alone)."""
    colour, icon = VERDICT_STYLE[verdict]
    words = verdict_words(verdict, content, LANG)
    return f":{colour}-badge[{icon} {esc(words + suffix)}]"


@dataclass(frozen=True)
class SourceLine:
    id: str
    citation: str
    url: str


@dataclass(frozen=True)
class FindingView:
    """One fired rule as the "Why?" panel lists it."""

    rule_id: str
    verdict: Verdict
    text: str
    tag: str  # "Canadian Cancer Society page" | "Clinical guideline detail"
    sources: tuple[SourceLine, ...]
    values: tuple[tuple[str, str], ...]  # (label, value as read)
    track: str = "main"


def verdict_counts(assessment: Assessment) -> dict[Verdict, int]:
    counts = dict.fromkeys(Verdict, 0)
    for result in assessment.results:
        counts[result.verdict] += 1
    return counts


def unknown_labels(assessment: Assessment, content: Content, lang: str = "en") -> list[str]:
    """Labels of the core fields left as "not yet known", in content order."""
    if assessment.factors is None:
        return []
    computed = {"child_pugh_score"} if assessment.derived and \
        assessment.derived.child_pugh_from_labs else set()
    return [text_in(f.label, lang) for f in content.factors
            if f.id in assessment.factors.unknown - computed]


def overdue_review(content: Content, today: date) -> date | None:
    """The earliest next-review date when it has passed (else None)."""
    earliest = content.review_dates[1]
    return earliest if earliest < today else None


def format_value(factor: Factor, value: Any, lang: str = "en") -> str:
    """A field value as the screen shows it, with its unit; unknown and absent are words."""
    if isinstance(value, Unknown) or (value is None and factor.core):
        return NOT_KNOWN
    if value is None:
        return NOT_ENTERED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    label = factor.value_labels.get(str(value))
    if label:
        return text_in(label, lang)
    if value == "diffuse":
        return "Diffuse"
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value} {factor.unit}".strip()


def finding_views(assessment: Assessment, content: Content, option_id: str,
                  lang: str = "en", facts: dict[str, Any] | None = None) -> list[FindingView]:
    """Every finding of one option, with its sources, evidence tag and the values it read.

    Pass `facts` (from `screen_facts`) when listing several options, to derive them once.
    """
    option = content.option(option_id)
    facts = screen_facts(assessment) if facts is None else facts
    views = []
    for finding in assessment.result(option_id).findings:
        rule = content.rule(finding.rule_id)
        sources = tuple(_source(content, ref) for ref in rule.sources)
        read = _facts_read(finding, option, content)
        values = tuple((_fact_label(f, content, lang), _fact_value(f, facts, content, lang))
                       for f in read)
        views.append(FindingView(finding.rule_id, finding.verdict,
                                 finding_text(finding, content, lang),
                                 content.string(f"ui.tag_{rule.tag}", lang), sources, values,
                                 finding.track))
    return views


def screen_facts(assessment: Assessment) -> dict[str, Any]:
    """The facts the rules read (fields, derived facts, earlier base verdicts)."""
    if assessment.factors is None:
        return {}
    facts = dict(assessment.facts)  # what the engine read (issue #9), never recomputed
    for result in assessment.results:
        facts[f"verdict.{result.option_id}"] = result.base_verdict
    return facts


def condition_facts(condition: Condition) -> Iterator[str]:
    """The fact names a condition reads, in order (may repeat)."""
    if isinstance(condition, Compare):
        yield condition.fact
    elif isinstance(condition, (AllOf, AnyOf, NoneOf)):
        for item in condition.items:
            yield from condition_facts(item)


def _facts_read(finding: Finding, option: Option, content: Content) -> list[str]:
    """A rule's facts; for the "no rule applied" reason, every fact the option's rules read."""
    if finding.default:
        rules = [r for r in option.rules if r.track == finding.track or option.combine == "worst"]
        names = [f for rule in rules for f in condition_facts(rule.when)]
    else:
        names = list(condition_facts(content.rule(finding.rule_id).when))
    names += list(finding.unknown)
    return list(dict.fromkeys(names))


def _fact_label(fact: str, content: Content, lang: str) -> str:
    if fact.startswith("verdict."):
        return f"{content.option(fact[8:]).name(lang)} (its verdict before the patient's wishes)"
    if fact in DERIVED_FACTS:  # labels in content/ui.toml, one per derived fact
        return content.string(f"ui.derived_{fact}", lang)
    return text_in(content.factor(fact).label, lang)


def _fact_value(fact: str, facts: dict[str, Any], content: Content, lang: str) -> str:
    value = facts.get(fact)
    if fact.startswith("verdict."):
        if isinstance(value, Verdict):
            return verdict_words(value, content, lang)
        return NOT_KNOWN
    if fact in DERIVED_FACTS:
        if isinstance(value, Unknown):
            return NOT_KNOWN
        if value is None:
            return NOT_AVAILABLE
        return ("Yes" if value else "No") if isinstance(value, bool) else str(value)
    return format_value(content.factor(fact), value, lang)


def _source(content: Content, ref_id: str) -> SourceLine:
    ref = content.reference(ref_id)
    return SourceLine(ref.id, ref.citation, ref.url)
