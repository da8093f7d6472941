"""The reviewer's rule table (review-report): every rule, read back from the HTML, as written."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from dashboard.adapters.review_report import review_report, rule_ids
from dashboard.core.content import Compare, text_in
from dashboard.core.explain import condition_sentence, verdict_words
from tests.conftest import ROOT, make_factors


class _Rows(HTMLParser):
    """The report's rule rows: (section, data-rule) -> {data-field: cell text}; every data-file.

    A section is an option id (data-option), "global" or "validation" (data-section)."""

    def __init__(self) -> None:
        super().__init__()
        self.rules: dict[tuple[str, str], dict[str, str]] = {}
        self.files: list[str] = []
        self._section = ""
        self._rule: tuple[str, str] | None = None
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self._section = found.get("data-option") or found.get("data-section") or ""
        if tag == "tr" and found.get("data-rule"):
            self._rule = (self._section, found["data-rule"] or "")
            assert self._rule not in self.rules, f"{self._rule} shown twice"
            self.rules[self._rule] = {}
        if tag == "tr" and found.get("data-file"):
            self.files.append(found["data-file"] or "")
        if tag == "td" and self._rule and found.get("data-field"):
            self._field = found["data-field"]
            self.rules[self._rule][self._field] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._field = None
        if tag == "tr":
            self._rule = None

    def handle_data(self, data: str) -> None:
        if self._rule and self._field:
            self.rules[self._rule][self._field] += data


def _read(html: str) -> _Rows:
    rows = _Rows()
    rows.feed(html)
    return rows


@pytest.fixture(scope="module")
def report(content) -> str:
    return review_report(content)


def test_the_report_shows_every_rule_of_every_option_once(content, report):
    everything = [(o.id, r.id) for o in content.options for r in (o.default, *o.rules, *o.notes)]
    everything += [("global", r.id) for r in content.global_rules]
    everything += [("validation", r.id) for r in content.validation]

    shown = _read(report).rules

    assert sorted(rule_ids(content)) == sorted(everything)
    assert sorted(shown) == sorted(everything)


def test_each_rule_reads_as_its_condition_verdict_reasons_sources_and_tag(content, report):
    shown = _read(report).rules
    rows = [((o.id, r.id), r) for o in content.options for r in (*o.rules, *o.notes)]
    rows += [(("global", r.id), r) for r in content.global_rules]
    for key, rule in rows:
        row = shown[key]
        assert row["when"] == condition_sentence(rule.when, content), key
        assert row["verdict"] == (verdict_words(rule.verdict, content) if rule.verdict
                                  else "(no verdict: a note)")
        assert row["clinician"] == text_in(rule.clinician, "en")
        assert row["patient"] == (text_in(rule.patient, "en") if rule.patient else "")
        assert row["sources"] == ", ".join(rule.sources)
        assert row["tag"] == rule.tag and row["track"] == rule.track
    for code in content.validation:
        row = shown[("validation", code.id)]
        assert row["when"] == condition_sentence(code.when, content)
        assert row["severity"] == code.severity
        assert row["clinician"] == text_in(code.clinician, "en")


def test_a_default_reason_shows_the_verdict_the_engine_gives_when_no_rule_applies(
        content, report, run):
    shown = _read(report).rules
    defaults = {f.rule_id: f.verdict for r in run(make_factors()).results for f in r.findings
                if f.default}
    assert defaults, "the baseline patient shows some option's default reason"
    for option in content.options:
        row = shown[(option.id, option.default.id)]
        assert row["clinician"] == text_in(option.default.clinician, "en")
        if option.default.id in defaults:
            assert row["verdict"] == verdict_words(defaults[option.default.id], content)


def test_no_condition_is_shown_as_code(content, report):
    """Sentences, not TOML or Python: no operator symbols or field ids in the conditions."""
    ids = {f.id for f in content.factors if "_" in f.id}
    for key, row in _read(report).rules.items():
        when = row["when"]
        assert not any(sym in when for sym in ("==", "!=", ">=", "<=", "{", "}")), key
        assert [i for i in ids if i in when] == [], key


def test_a_number_in_a_condition_carries_its_unit(content):
    compare = Compare("largest_tumour_cm", "gt", 3)

    assert condition_sentence(compare, content).endswith(
        f"3 {content.factor('largest_tumour_cm').unit}")
    assert content.factor("largest_tumour_cm").unit == "cm"


def test_every_content_file_has_its_review_fields_in_the_report(content, report):
    assert _read(report).files == [r.path for r in content.reviews]
    for option in content.options:
        assert option.reviewed_by in report and option.next_review.isoformat() in report


def test_text_from_content_is_escaped(content):
    option = content.options[0]
    rule = dataclasses.replace(option.rules[0], clinician={"en": "<script>alert(1)</script>"})
    changed = dataclasses.replace(
        content, options=(dataclasses.replace(option, rules=(rule, *option.rules[1:])),
                          *content.options[1:]))

    html = review_report(changed)

    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _read(html).rules[(option.id, rule.id)]["clinician"] == "<script>alert(1)</script>"


def test_draft_content_says_so_at_the_top(content, report):
    assert ('class="draft"' in report) == content.draft


@pytest.mark.slow
def test_the_command_writes_the_report_and_refuses_an_unknown_language(tmp_path):
    out = tmp_path / "report.html"

    done = subprocess.run([sys.executable, "-m", "dashboard", "review-report", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    refused = subprocess.run([sys.executable, "-m", "dashboard", "review-report", "-o",
                              str(tmp_path / "x.html"), "--lang", "xx"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "rules of" in done.stderr
    assert refused.returncode == 2 and "no language 'xx'" in refused.stderr
    assert not (tmp_path / "x.html").exists()
