"""Words for findings and results, for clinicians and for patients, in any content language."""

from __future__ import annotations

from typing import Any

from .assessment import Assessment, Finding, Issue, Verdict
from .content import Content, text_in


def finding_text(finding: Finding, content: Content, lang: str = "en",
                 audience: str = "clinician") -> str:
    """The reason a finding gives: the rule's reason, or "not yet known: …" for unknown values."""
    if finding.unknown:
        label_kind = "label" if audience == "clinician" else "patient_label"
        names = ", ".join(text_in(getattr(content.factor(f), label_kind), lang)
                          for f in finding.unknown)
        key = "ui.unknown_clinician" if audience == "clinician" else "sheet.unknown_patient"
        return content.string(key, lang).format(fields=names)
    rule = content.rule(finding.rule_id)
    return text_in(rule.clinician if audience == "clinician" else rule.patient, lang)


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
    return content.string(f"ui.label_{key}", lang)


def verdict_words(verdict: Verdict, content: Content, lang: str = "en") -> str:
    """The screen's words for a verdict ("May be discussed", ...)."""
    return content.string(f"ui.verdict_{verdict.value}", lang)


def issue_record(issue: Issue) -> dict[str, str]:
    return {"code": issue.code, "field": issue.field, "message": issue.message}


def assessment_record(assessment: Assessment, content: Content, lang: str = "en") -> dict:
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
        record["notes"] = {r.option_id: {"line": r.line, "agent_notes": [
            {"rule": n, "text": text_in(content.rule(n).clinician, lang)} for n in r.notes]}
            for r in assessment.results if r.line or r.notes}
    return record


def _derived_record(assessment: Assessment) -> dict[str, Any]:
    d = assessment.derived
    return {"child_pugh_score": d.child_pugh_score, "child_pugh_class": d.child_pugh_class,
            "child_pugh_from_labs": d.child_pugh_from_labs,
            "child_pugh_points": dict(d.child_pugh_points), "albi_score": d.albi_score,
            "albi_grade": d.albi_grade, "albi_from_labs": d.albi_from_labs,
            "bilirubin_umol_l": d.bilirubin_umol_l, "milan": d.milan}
