"""Screen wording helpers: an Assessment turned into the strings the consultation screen shows.

Pure functions (no Streamlit, no pandas) so the explanation on screen can be tested as plain
text: how a value reads ("Not yet known", "12 µmol/L"), which patient values a rule read, the
verdict counts, and whether any content review date has passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from dashboard.core.assessment import (
    Assessment,
    Derived,
    Finding,
    Issue,
    OptionResult,
    PatientFactors,
    Verdict,
)
from dashboard.core.conditions import Unknown
from dashboard.core.content import (
    Content,
    Factor,
    Option,
    condition_facts,
    text_in,
)
from dashboard.core.derive import DERIVED_FACTS, convert, facts_and_derived
from dashboard.core.engine import assess
from dashboard.core.explain import finding_text, recurrence_label, verdict_words
from dashboard.core.factors import parse_factors
from dashboard.service import PAPER_SIZES, Choices

LANG = "en"  # the screen's language (a French screen is a content change, issue #14)
_LABEL_SPECIAL = re.compile(r"([\\`*_\[\]$~:|])")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def words(content: Content, key: str, lang: str = LANG, **fields: Any) -> Any:
    """The screen's words for `key` (content/ui.toml), with `fields` filled in: no clinician
    wording lives in screen code (tests/test_screen_words.py)."""
    text = content.string(f"ui.{key}", lang)
    return text.format(**fields) if fields else text


def esc(text: str) -> str:
    """Backslash-escape Markdown so text is shown literally (content text in Markdown only)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def label_md(text: str) -> str:
    """A widget label shown literally. Labels render inline Markdown only (no lists, headings
    or HTML), so only the inline marks are escaped: a screen reader then reads "Child-Pugh
    score", not "Child\\-Pugh score" (the label is also its accessible name)."""
    return _LABEL_SPECIAL.sub(r"\\\1", text)


# Read-only module constants (per-patient state lives only in st.session_state).
VERDICT_STYLE = MappingProxyType({  # colour, icon: always shown with the words, never alone
    Verdict.APPLICABLE: ("green", ":material/check_circle:"),
    Verdict.CAUTION: ("orange", ":material/warning:"),
    Verdict.NOT_APPLICABLE: ("red", ":material/block:"),
})


PAPERS = PAPER_SIZES  # paper sizes offered for a sheet, the pipeline's


def paper_name(content: Content, paper: str) -> str:
    return words(content, f"paper_{paper}")


def paper_index() -> int:
    """The screen's default paper: the pipeline's default (Letter, as in Canada), the same as
    the command line's."""
    return list(PAPERS).index(Choices().paper)


def verdict_text(content: Content, verdict: Verdict) -> str:
    """The verdict as coloured words with its icon, wrapping in a narrow column (a badge does
    not wrap and would be cut off)."""
    colour, icon = VERDICT_STYLE[verdict]
    return f":{colour}[{icon} {esc(verdict_words(verdict, content, LANG))}]"


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


def overdue_review(content: Content, today: date) -> date | None:
    """The earliest next-review date when it has passed (else None)."""
    earliest = content.review_dates[1]
    return earliest if earliest < today else None


def format_value(content: Content, factor: Factor, value: Any, lang: str = "en") -> str:
    """A field value as the screen shows it, with its unit; unknown and absent are words."""
    if isinstance(value, Unknown) or (value is None and factor.core):
        return words(content, "value_not_known", lang)
    if value is None:
        return words(content, "value_not_entered", lang)
    if isinstance(value, bool):
        return words(content, "value_yes" if value else "value_no", lang)
    label = factor.value_labels.get(str(value))
    if label:
        return text_in(label, lang)
    if value == "diffuse":
        return words(content, "value_diffuse", lang)
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value} {factor.unit}".strip()


def card_reason(content: Content, finding: Finding, lang: str = LANG) -> str:
    """The deciding reason in at most 15 words (content/ui.toml `card_<rule id>`); for a value
    not yet known, the fields that are missing."""
    if finding.unknown:
        return finding_text(finding, content, lang)
    try:
        return content.string(f"ui.card_{finding.rule_id}", lang)
    except KeyError:
        return finding_text(finding, content, lang)


def option_unknown(content: Content, result: OptionResult, lang: str = LANG) -> list[str]:
    """Labels of the fields not yet known that this option's rules read (only those)."""
    names = dict.fromkeys(f for finding in result.findings for f in finding.unknown)
    return [text_in(content.factor(f).label, lang) for f in names]


def convert_value(alias: Factor, typed: float) -> float:
    """A value typed in an alias unit, in the base unit (the engine's one conversion)."""
    return convert(typed, alias.alias_factor, alias.alias_round)


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
        return words(content, "fact_verdict_before_wishes", lang,
                     option=content.option(fact[8:]).name(lang))
    if fact in DERIVED_FACTS:  # labels in content/ui.toml, one per derived fact
        return content.string(f"ui.derived_{fact}", lang)
    return text_in(content.factor(fact).label, lang)


def _fact_value(fact: str, facts: dict[str, Any], content: Content, lang: str) -> str:
    value = facts.get(fact)
    if fact.startswith("verdict."):
        if isinstance(value, Verdict):
            return verdict_words(value, content, lang)
        return words(content, "value_not_known", lang)
    if fact in DERIVED_FACTS:
        if isinstance(value, Unknown):
            return words(content, "value_not_known", lang)
        if value is None:
            return words(content, "value_not_available", lang)
        if isinstance(value, bool):
            return words(content, "value_yes" if value else "value_no", lang)
        return str(value)
    return format_value(content, content.factor(fact), value, lang)


def _source(content: Content, ref_id: str) -> SourceLine:
    ref = content.reference(ref_id)
    return SourceLine(ref.id, ref.citation, ref.url)


# --------------------------------------------------------------------------- messages, all at once


@dataclass(frozen=True)
class ScreenIssues:
    """Every problem with the values on screen, found in one pass, and the derived scores."""

    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    derived: Derived | None  # Child-Pugh / ALBI from the readable values, even with errors


def screen_issues(content: Content, data: dict[str, Any], assessment: Assessment) -> ScreenIssues:
    """All errors at once: the engine stops at unreadable values (a word in a number field)
    before it checks contradictions, so the screen assesses again with those fields emptied
    and adds what that finds for the other fields. Derived scores come from the readable
    values, so the calculators stay live while an unrelated field is wrong."""
    errors, warnings = list(assessment.errors), list(assessment.warnings)
    if assessment.factors is not None and not errors:
        return ScreenIssues((), tuple(warnings), assessment.derived)
    if assessment.factors is None:  # stopped at unreadable values: check the others too
        unreadable = {issue.field for issue in errors}
        second = assess(_without(content, data, unreadable), content)
        seen = {(issue.code, issue.field) for issue in errors}
        errors += [i for i in second.errors
                   if i.field not in unreadable and (i.code, i.field) not in seen]
        warnings = list(second.warnings)
    wrong = {f for issue in errors for f in _issue_fields(content, issue)}
    factors, _, _ = parse_factors(_without(content, data, wrong), content)
    derived = _derived(factors, content) if factors is not None else None  # values in range
    return ScreenIssues(tuple(errors), tuple(warnings), derived)


def _issue_fields(content: Content, issue: Issue) -> set[str]:
    """The fields an issue names: its own, and a validation code's `fields` with their aliases."""
    try:
        fields = set(content.rule(issue.code).fields)
    except KeyError:
        fields = set()
    fields.add(issue.field)
    return fields | {a for f in fields if content.has_factor(f)
                     for a in content.aliases_of(f)}


def _without(content: Content, data: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """The input with these fields emptied (a core field becomes "not yet known")."""
    out = dict(data)
    for field_id in fields:
        factor = content.factor(field_id) if content.has_factor(field_id) else None
        if factor is not None and factor.core and not factor.alias_of:
            out[field_id] = None
        else:
            out.pop(field_id, None)
    return out


def _derived(factors: PatientFactors, content: Content) -> Derived:
    return facts_and_derived(factors.values, factors.unknown, content)[1]


def issue_words(content: Content, issue: Issue, values: dict[str, Any],
                lang: str = LANG) -> str:
    """An issue in a clinician's words (content/ui.toml), never a code or a developer phrase."""
    def s(key: str) -> str:
        return content.string(f"ui.{key}", lang)

    factor = content.factor(issue.field) if content.has_factor(issue.field) else None
    if issue.code == "TYPE" and factor is not None:
        if "comma" in issue.message:
            return s("error_comma")
        if factor.kind in ("integer", "count"):
            return s("error_whole")
        return s("error_number")
    if issue.code == "RANGE" and factor is not None:
        return s("error_range").format(low=_num(factor.minimum), high=_num(factor.maximum),
                                       unit=factor.unit).strip()
    if issue.code == "W6":
        return unit_warning(content, values, lang) or text_in(content.rule("W6").clinician, lang)
    try:
        return text_in(content.rule(issue.code).clinician, lang)
    except KeyError:
        return issue.message


def unit_warning(content: Content, values: dict[str, Any], lang: str = LANG) -> str:
    """What was typed and what it may have meant: "1.2 µmol/L looks like mg/dL: 1.2 mg/dL is
    21 µmol/L" (the W6 plausibility warning, for a value with a unit switch)."""
    fields = content.rule("W6").fields
    for field_id in sorted(fields, key=lambda f: not content.factor(f).alias_of):  # typed first
        factor = content.factor(field_id) if content.has_factor(field_id) else None
        typed = values.get(field_id)
        if factor is None or not isinstance(typed, (int, float)) or isinstance(typed, bool):
            continue
        if factor.alias_of:  # typed in the other unit: it may be the base unit's number
            base = content.factor(factor.alias_of)
            other, converted = base.unit, f"{typed / factor.alias_factor:.1f} {factor.unit}"
        else:
            alias = next((content.factor(a) for a in content.aliases_of(factor.id)), None)
            if alias is None:
                continue
            other = alias.unit
            converted = f"{convert(typed, alias.alias_factor, alias.alias_round):g} {factor.unit}"
        return content.string("ui.unit_warning", lang).format(
            typed=f"{typed:g} {factor.unit}", other=other, meant=f"{typed:g} {other}",
            converted=converted)
    return ""


def _num(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


# --------------------------------------------------------------------------- the chart note


def chart_note(content: Content, assessment: Assessment, selected: tuple[str, ...], *,
               today: date, patient_name: str = "", with_goal: bool = True,
               lang: str = LANG) -> str:
    """A plain-text consultation note for the record: date, the options discussed with their
    verdict and deciding reason, what the patient wants (if asked for), content version and
    check code. The patient's name appears only when the clinician entered one."""
    lines = [words(content, "note_heading", lang, date=today.isoformat())]
    if patient_name.strip():
        lines.append(words(content, "note_patient", lang,
                           name=" ".join(patient_name.split())))
    lines.append(recurrence_label(assessment, content, lang))
    chosen = selected or tuple(r.option_id for r in assessment.results)
    lines.append(words(content, "note_discussed" if selected else "note_shown", lang))
    for option_id in chosen:
        result = assessment.result(option_id)
        verdict = verdict_words(result.verdict, content, lang)
        reason = card_reason(content, result.main_finding, lang)
        lines.append(f"- {content.option(option_id).name(lang)}: {verdict}. {reason}")
    goal = content.factor("patient_goal")
    if with_goal and assessment.factors is not None:
        lines.append(words(content, "note_goal", lang, goal=format_value(
            content, goal, assessment.factors.values.get(goal.id), lang)))
    lines.append(words(content, "note_footer", lang, version=content.version,
                       code=assessment.fingerprint))
    return "\n".join(lines)
