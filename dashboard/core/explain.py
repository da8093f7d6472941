"""Words for findings and results, for clinicians and for patients, in any content language.

The patient-text API (8.3 T6–T8): every text the screen or the sheet shows about an option for
one patient comes through here, so a text that depends on a factor has its variant chosen by
the engine and cannot be printed for the wrong patient.

- `option_text(content, assessment, option_id, key, lang)`: an option's text ("summary",
  "involves", "hospital_stay", "recovery", "side_effects", "goal_text", "fits_when",
  "clinical_name", "name", or a line of therapy "lines.first" / "lines.second") for this patient.
- `option_items(...)`: an option's list ("questions", "checks") for this patient.
- `patient_reasons(content, assessment, option_id, lang)`: the option's reasons in patient
  words, deciding ones first; for a "not applicable" option only the deciding ones (8.3 T8).
- `also_noted(...)` / `deciding_reasons(...)`: the two groups in clinician words (the screen).
- `line_text(...)`, `agent_notes(...)`: systemic therapy's line of therapy and agent notes.
- `child_pugh_used(assessment, content, lang)`: which Child-Pugh score the rules read, and why.
- `finding_text(finding, content, lang, audience)`: one finding's reason.
- `condition_sentence(condition, content, lang)`: a rule condition in words (review report).
- `date_in_words(day, content, lang)`, `review_words(content, lang)`: dates in words and the
  review status ("draft content, not yet clinically reviewed" while no reviewer signed, T9);
  `content.draft` says whether the content is still a draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from . import localise
from .assessment import Assessment, Finding, Issue, Verdict
from .content import AllOf, Always, AnyOf, Compare, Condition, Content, text_in


def finding_text(finding: Finding, content: Content, lang: str = "en",
                 audience: str = "clinician") -> str:
    """The reason a finding gives: the rule's reason (the variant for this patient, when it
    has one), or "not yet known: …" for unknown values. A clinician's "nothing ruled it out"
    reason also names the optional values that were not entered (8.3 T2)."""
    if finding.unknown:
        label_kind = "label" if audience == "clinician" else "patient_label"
        names = ", ".join(text_in(getattr(content.factor(f), label_kind), lang)
                          for f in finding.unknown)
        key = "ui.unknown_clinician" if audience == "clinician" else "sheet.unknown_patient"
        return _words(content, key, lang).format(fields=names)
    rule = content.rule(finding.rule_id)
    variant = rule.variants[finding.variant] if finding.variant >= 0 else None
    if audience == "clinician":
        text = text_in(variant.clinician if variant and variant.clinician else rule.clinician,
                       lang)
        if finding.not_entered:
            names = ", ".join(text_in(content.factor(f).label, lang) for f in finding.not_entered)
            text += " " + _words(content, "ui.not_entered_clinician", lang).format(fields=names)
    else:
        text = text_in(variant.text if variant else rule.patient, lang)
    if "{options}" in text:
        kind = "abbreviation" if audience == "clinician" else "short_name"
        option_names = [_in_sentence(text_in(content.option(o).text.get(kind)
                                             or content.option(o).text["name"], lang))
                        for o in finding.options]
        text = text.replace("{options}", _and_list(option_names, content, lang))
    return text


def _in_sentence(name: str) -> str:
    """An option's short name inside a sentence: "Liver surgery" -> "liver surgery" (the
    short name is written as a label, capitalised); an abbreviation ("TACE") is kept."""
    first = name.split(" ", 1)[0]
    return name if first.isupper() or len(first) < 2 else name[0].lower() + name[1:]


def _and_list(items: list[str], content: Content, lang: str) -> str:
    """"A", "A and B", "A, B and C" in the content language."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + _words(content, "locale.list_and", lang) + items[-1]


def option_text(content: Content, assessment: Assessment, option_id: str, key: str,
                lang: str = "en") -> str:
    """One text of an option, as it is true for this patient (its variant, when one holds)."""
    option = content.option(option_id)
    index = assessment.result(option_id).text_variants.get(key, -1)
    if index >= 0:
        return text_in(option.variants[index].text, lang)
    if key.startswith("lines."):
        return text_in(option.lines[key[6:]], lang)
    return text_in(option.text[key], lang)


def option_items(content: Content, assessment: Assessment, option_id: str, key: str,
                 lang: str = "en") -> tuple[str, ...]:
    """One list of an option ("questions", "checks"), as it is true for this patient."""
    option = content.option(option_id)
    index = assessment.result(option_id).text_variants.get(key, -1)
    items = option.variants[index].text if index >= 0 else option.lists[key]
    return tuple(items.get(lang) or items["en"])


def patient_reasons(content: Content, assessment: Assessment, option_id: str,
                    lang: str = "en") -> list[str]:
    """The option's reasons in patient words, deciding ones first, without repeats.

    When the option does not fit (not applicable), only the reasons that decided that are
    given: cautions under it are left off the patient's sheet (8.3 T8).
    """
    result = assessment.result(option_id)
    findings = result.deciding if result.verdict is Verdict.NOT_APPLICABLE else result.shown
    return _unique(finding_text(f, content, lang, audience="patient") for f in findings)


def deciding_reasons(content: Content, assessment: Assessment, option_id: str,
                     lang: str = "en") -> list[str]:
    """Clinician reasons that set the option's verdict (the screen shows these first)."""
    result = assessment.result(option_id)
    return _unique(finding_text(f, content, lang) for f in result.deciding)


def also_noted(content: Content, assessment: Assessment, option_id: str,
               lang: str = "en") -> list[str]:
    """Clinician reasons that did not set the verdict ("also noted" on screen, 8.3 T8)."""
    result = assessment.result(option_id)
    return _unique(finding_text(f, content, lang) for f in result.also_noted)


def line_text(content: Content, assessment: Assessment, option_id: str = "systemic",
              lang: str = "en") -> str:
    """The line-of-therapy text for this patient ("" when the option has none)."""
    result = assessment.result(option_id)
    return option_text(content, assessment, option_id, f"lines.{result.line}", lang) \
        if result.line else ""


def agent_notes(content: Content, assessment: Assessment, option_id: str = "systemic",
                lang: str = "en", audience: str = "clinician") -> list[str]:
    """The agent notes that hold for this patient, in content order (the transplant-recipient
    note first), in clinician or patient words."""
    result = assessment.result(option_id)
    return [text_in(getattr(content.rule(n), audience), lang) for n in result.notes]


def child_pugh_used(assessment: Assessment, content: Content, lang: str = "en") -> str:
    """Which Child-Pugh score every rule read, and why (8.3 R1), in clinician words."""
    d = assessment.derived
    if d is None:
        return ""
    if d.child_pugh_score is None:
        key = ("cp_unknown_floor" if d.child_pugh_floor else
               "cp_unknown_bilirubin" if d.child_pugh_entered or d.child_pugh_labs else
               "cp_unknown")
    else:
        key = f"cp_used_{d.child_pugh_source}"
    values = {"score": d.child_pugh_score, "cls": d.child_pugh_class,
              "entered": d.child_pugh_entered, "labs": d.child_pugh_labs,
              "floor": d.child_pugh_floor}
    return _words(content, f"ui.{key}", lang).format_map(
        {k: "–" if v is None else v for k, v in values.items()})


def date_in_words(day: date, content: Content, lang: str = "en") -> str:
    """A date as the sheet and screen print it, in words (8.3 T9), in `lang` (core/localise)."""
    return localise.date_in_words(day, localise.locale_for(content, lang))


def review_words(content: Content, lang: str = "en") -> str:
    """The review status in words for the screen: draft, or who reviewed it and when."""
    last, following = content.review_dates
    if content.draft:
        return _words(content, "ui.review_draft", lang).format(
            date=date_in_words(last, content, lang))
    return _words(content, "ui.review_signed", lang).format(
        date=date_in_words(last, content, lang), next=date_in_words(following, content, lang))


def condition_sentence(condition: Condition, content: Content, lang: str = "en") -> str:
    """A rule condition as words ("ECOG performance status is at least 2 and …"), built from
    the parsed condition with the operator words of content/ui.toml and the field labels."""
    def words(key: str) -> str:
        return _words(content, f"ui.cond_{key}", lang)

    def name(fact: str) -> str:
        if fact.startswith("verdict."):
            return content.option(fact[8:]).name(lang)
        if content.has_factor(fact):
            return text_in(content.factor(fact).label, lang)
        key = f"ui.derived_{fact}"
        return _words(content, key, lang) if key in content.strings.get("en", {}) else fact

    def value(fact: str, item: Any) -> str:
        if content.has_factor(fact) and str(item) in content.factor(fact).value_labels:
            return text_in(content.factor(fact).value_labels[str(item)], lang)
        unit = content.factor(fact).unit if content.has_factor(fact) else ""
        if unit and isinstance(item, (int, float)) and not isinstance(item, bool):
            return f"{item} {unit}"  # "above 3 cm": a reviewer must not guess the unit
        return str(item).replace("_", " ")

    def say(c: Condition) -> str:
        if isinstance(c, Always):
            return words("always")
        if isinstance(c, Compare):
            if c.op in ("is_true", "is_false"):
                return f"{name(c.fact)} {words(c.op)}"
            shown = ", ".join(value(c.fact, v) for v in c.value) if c.op in ("in", "not_in") \
                else value(c.fact, c.value)
            return f"{name(c.fact)} {words(c.op)} {shown}"
        parts = [say(item) for item in c.items]
        if isinstance(c, AllOf):
            return f" {words('and')} ".join(parts) if len(parts) > 1 else parts[0]
        if isinstance(c, AnyOf):
            return f"{words('any')} ({'; '.join(parts)})"
        return f"{words('none')} ({'; '.join(parts)})"

    return say(condition)


def _words(content: Content, key: str, lang: str) -> str:
    """A text of content/ (a sentence, never a list)."""
    text: str = content.string(key, lang)
    return text


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def finding_record(finding: Finding, content: Content, lang: str = "en") -> dict[str, Any]:
    """A finding as plain data (command line JSON, screen tables)."""
    rule = content.rule(finding.rule_id)
    record = {"rule": finding.rule_id, "verdict": finding.verdict.value,
              "text": finding_text(finding, content, lang), "sources": list(rule.sources),
              "tag": rule.tag}
    if finding.unknown:
        record["unknown"] = list(finding.unknown)
    if finding.track != "main":
        record["track"] = finding.track
    return record


def recurrence_label(assessment: Assessment, content: Content, lang: str = "en") -> str:
    key = assessment.derived.recurrence_label if assessment.derived else "unknown"
    return _words(content, f"ui.label_{key}", lang)


def verdict_words(verdict: Verdict, content: Content, lang: str = "en") -> str:
    """The screen's words for a verdict ("May be discussed", ...)."""
    return _words(content, f"ui.verdict_{verdict.value}", lang)


def issue_record(issue: Issue) -> dict[str, str]:
    return {"code": issue.code, "field": issue.field, "message": issue.message}


def assessment_record(assessment: Assessment, content: Content,
                      lang: str = "en") -> dict[str, Any]:
    """The command line's JSON for one assessment (issue #2 format, plus derived values)."""
    record: dict[str, Any] = {
        "content_version": assessment.content_version,
        "verdicts": {r.option_id: r.verdict.value for r in assessment.results},
        "reasons": {r.option_id: [finding_record(f, content, lang) for f in r.findings]
                    for r in assessment.results},
        "warnings": [{"code": w.code, "message": w.message} for w in assessment.warnings],
        "errors": [issue_record(e) for e in assessment.errors],
        "labels": [],
    }
    if assessment.ok:
        record["labels"] = [recurrence_label(assessment, content, lang)]
        record["fingerprint"] = assessment.fingerprint
        record["derived"] = _derived_record(assessment)
        record["child_pugh_used"] = child_pugh_used(assessment, content, lang)
        record["deciding"] = {r.option_id: [f.rule_id for f in r.deciding]
                              for r in assessment.results}
        record["also_noted"] = {r.option_id: [f.rule_id for f in r.also_noted]
                                for r in assessment.results if r.also_noted}
        record["notes"] = {r.option_id: {"line": r.line, "agent_notes": [
            {"rule": n, "text": text_in(content.rule(n).clinician, lang)} for n in r.notes]}
            for r in assessment.results if r.line or r.notes}
    return record


def _derived_record(assessment: Assessment) -> dict[str, Any]:
    d = assessment.derived
    if d is None:  # only an assessment with errors has none, and it has no record of them
        return {}
    return {"child_pugh_score": d.child_pugh_score, "child_pugh_class": d.child_pugh_class,
            "child_pugh_from_labs": d.child_pugh_from_labs,
            "child_pugh_points": dict(d.child_pugh_points), "albi_score": d.albi_score,
            "albi_grade": d.albi_grade, "albi_from_labs": d.albi_from_labs,
            "bilirubin_umol_l": d.bilirubin_umol_l, "milan": d.milan,
            "child_pugh_source": d.child_pugh_source, "child_pugh_entered": d.child_pugh_entered,
            "child_pugh_labs": d.child_pugh_labs, "child_pugh_floor": d.child_pugh_floor}
