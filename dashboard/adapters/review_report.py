"""The rule table as a document for clinical reviewers (HTML): every rule as a sentence.

`python -m dashboard review-report -o report.html` writes it. For each option, in content order:
its review fields, then every rule with its condition in words (from the parsed condition, with
the operator words of content/ui.toml), its verdict, both reasons, sources and evidence tag;
then the validation codes, the rules applied to every option, the named facts and the
references. Nothing here decides anything: the words come from content and core/explain.py.
Every string is HTML-escaped; the page loads nothing from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from dashboard.core.assessment import Verdict
from dashboard.core.content import Content, Option, Rule, text_in
from dashboard.core.explain import condition_sentence, verdict_words

# The verdict of an option's default reason (core/engine.py gives its default finding this).
DEFAULT_VERDICT = Verdict.APPLICABLE
# Reviewer-facing headings (English chrome, like the screen's; the clinical words are content).
_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 78rem;
       padding: 0 1rem; color: #111; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-top: 2px solid #444;
       padding-top: .8rem; } h3 { margin-top: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #999; padding: .35rem .5rem; vertical-align: top; text-align: left; }
th { background: #eee; } .draft { border: 3px solid #a00; padding: .6rem; font-weight: bold; }
.when { min-width: 18rem; } .id { white-space: nowrap; font-family: monospace; }
.variant td { background: #f6f6f6; font-size: .92em; }
@media print { h2 { break-before: page; } tr { break-inside: avoid; } }
"""


def review_report(content: Content, lang: str = "en") -> str:
    """The whole rule table of `content` as one self-contained HTML page."""
    parts = [_head(content, lang), _reviews(content)]
    for option in content.options:
        parts.append(_option(option, content, lang))
    parts.append(_rule_section("Rules applied to every active option, after its own",
                               "global", content.global_rules, content, lang))
    parts.append(_validation(content, lang))
    parts.append(_named_facts(content, lang))
    parts.append(_references(content))
    return "\n".join(parts) + "\n</body>\n</html>\n"


def rule_ids(content: Content) -> list[tuple[str, str]]:
    """Every rule the report must show, as (section, rule id): each option's default, rules
    and notes (a shared rule set appears under each option using it), then the rules for every
    option ("global") and the validation codes ("validation")."""
    ids = [(o.id, r.id) for o in content.options for r in (o.default, *o.rules, *o.notes)]
    return ids + [("global", r.id) for r in content.global_rules] + [
        ("validation", r.id) for r in content.validation]


# --------------------------------------------------------------------------- sections


def _head(content: Content, lang: str) -> str:
    title = f"Rule table for clinical review: content {content.version}"
    draft = ('<p class="draft">Draft: at least one content file has no named clinical reviewer. '
             "Nothing here is approved for use with patients.</p>" if content.draft else "")
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n<p>{escape(content.label)}</p>\n{draft}\n"
            "<p>How to read a rule: <em>when</em> its condition holds for a patient, the option "
            "gets the rule's verdict and shows its two reasons. A condition that cannot be "
            "decided because a value is not yet known gives <em>caution</em>, naming what is "
            "missing. When no rule of an option applies, its default reason is shown. "
            "Options are combined by the most restrictive verdict unless the option says it "
            "takes the best of its tracks.</p>")


def _reviews(content: Content) -> str:
    rows = [(r.path, r.reviewed_by, r.checked_by, r.last_reviewed.isoformat(),
             r.next_review.isoformat()) for r in content.reviews]
    return "<h2>Review of every content file</h2>\n" + _table(
        ("File", "Reviewed by", "Checked by", "Last reviewed", "Next review"), rows,
        attrs=[{"data-file": r.path} for r in content.reviews])


def _option(option: Option, content: Content, lang: str) -> str:
    name = option.name(lang)
    clinical = text_in(option.text["clinical_name"], lang) if "clinical_name" in option.text \
        else name
    facts = (("Option id", option.id), ("Goal", option.goal),
             ("Verdicts combined by", "the best of its tracks"
              if option.combine == "best_of_tracks" else "the most restrictive rule"),
             ("Sources", _source_list(option.sources)),
             ("Reviewed by", option.reviewed_by), ("Checked by", option.checked_by),
             ("Last reviewed", option.last_reviewed.isoformat()),
             ("Next review", option.next_review.isoformat()))
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v if k == 'Sources' else escape(v)}</td></tr>"
                   for k, v in facts)
    body = [f'<h2 id="option-{escape(option.id)}">{escape(clinical)}</h2>',
            f"<p>Shown to patients as: {escape(name)}</p>", f"<table>{rows}</table>",
            _rule_table((option.default, *option.rules), content, lang, default=option.default)]
    if option.notes:
        body += ["<h3>Notes that never change the verdict</h3>",
                 _rule_table(option.notes, content, lang)]
    return f'<section data-option="{escape(option.id)}">\n' + "\n".join(body) + "\n</section>"


def _rule_section(title: str, key: str, rules: Iterable[Rule], content: Content,
                  lang: str) -> str:
    rules = tuple(rules)
    if not rules:
        return ""
    return (f'<section data-section="{escape(key)}">\n<h3>{escape(title)}</h3>\n'
            + _rule_table(rules, content, lang) + "\n</section>")


_RULE_COLUMNS = ("Rule", "When", "Verdict", "Reason for the clinician", "Reason for the patient",
                 "Sources", "Tag", "Track")


def _rule_table(rules: Iterable[Rule], content: Content, lang: str,
                default: Rule | None = None) -> str:
    out = ["<table>", _header_row(_RULE_COLUMNS)]
    for rule in rules:
        when = ("No rule of this option applies (the default reason)" if rule is default
                else condition_sentence(rule.when, content, lang))
        verdict = DEFAULT_VERDICT if rule is default else rule.verdict
        cells = {"rule": escape(rule.id), "when": escape(when),
                 "verdict": escape(verdict_words(verdict, content, lang) if verdict
                                   else "(no verdict: a note)"),
                 "clinician": escape(text_in(rule.clinician, lang)),
                 "patient": escape(text_in(rule.patient, lang)) if rule.patient else "",
                 "sources": _source_list(rule.sources), "tag": escape(rule.tag),
                 "track": escape(rule.track)}
        out.append(_row(cells, {"data-rule": rule.id}))
        for variant in rule.variants:
            text = variant.text.get(lang) or variant.text.get("en", "")
            out.append(
                f'<tr class="variant" data-variant-of="{escape(rule.id)}"><td></td>'
                f'<td>{escape("Instead, for a patient for whom: ")}'
                f"{escape(condition_sentence(variant.when, content, lang))}</td><td></td>"
                f"<td>{escape(text_in(variant.clinician, lang)) if variant.clinician else ''}"
                f"</td><td>{escape(str(text))}</td><td></td><td></td><td></td></tr>")
    out.append("</table>")
    return "\n".join(out)


def _validation(content: Content, lang: str) -> str:
    out = ['<section data-section="validation">', "<h2>Input checks (validation codes)</h2>",
           "<table>", _header_row(("Code", "When", "Severity", "Message to the clinician",
                                   "Shown beside", "Sources", "Tag"))]
    for code in content.validation:
        cells = {"rule": escape(code.id),
                 "when": escape(condition_sentence(code.when, content, lang)),
                 "severity": escape(code.severity),
                 "clinician": escape(text_in(code.clinician, lang)),
                 "fields": escape(", ".join(_field_label(f, content, lang)
                                            for f in code.fields)),
                 "sources": _source_list(code.sources), "tag": escape(code.tag)}
        out.append(_row(cells, {"data-rule": code.id}))
    return "\n".join([*out, "</table>", "</section>"])


def _named_facts(content: Content, lang: str) -> str:
    if not content.derived_facts:
        return ""
    rows = [(fact.id, text_in(fact.meaning, lang), condition_sentence(fact.when, content, lang))
            for fact in content.derived_facts]
    return ('<section data-section="facts">\n<h2>Named facts used by the rules</h2>\n'
            + _table(("Fact", "Meaning", "Holds when"), rows,
                     attrs=[{"data-fact": f.id} for f in content.derived_facts])
            + "\n</section>")


def _references(content: Content) -> str:
    out = ["<h2>References</h2>", "<table>", _header_row(("Id", "Citation", "Year", "Kind"))]
    for ref in content.references:
        citation = escape(ref.citation) + (f" <span>{escape(ref.url)}</span>" if ref.url else "")
        for own in ref.localised:  # the source's own page in another language, and its check
            citation += (f'<br><span lang="{escape(own.lang)}">{escape(own.citation)}</span>'
                         + (f" <span>{escape(own.url)}</span>" if own.url else "")
                         + (f' <em data-review="{escape(own.lang)}">To check: '
                            f"{escape(own.review)}</em>" if own.review else ""))
        out.append(f'<tr id="ref-{escape(ref.id)}"><td class="id">{escape(ref.id)}</td>'
                   f"<td>{citation}</td><td>{escape(ref.year)}</td><td>{escape(ref.kind)}</td>"
                   "</tr>")
    return "\n".join([*out, "</table>"])


# --------------------------------------------------------------------------- helpers


def _field_label(field_id: str, content: Content, lang: str) -> str:
    return text_in(content.factor(field_id).label, lang) if content.has_factor(field_id) \
        else field_id


def _source_list(ids: Iterable[str]) -> str:
    return ", ".join(f'<a href="#ref-{escape(i)}">{escape(i)}</a>' for i in ids)


def _header_row(titles: Iterable[str]) -> str:
    return "<tr>" + "".join(f"<th>{escape(t)}</th>" for t in titles) + "</tr>"


_CLASSES = {"when": ' class="when"', "rule": ' class="id"'}


def _row(cells: Mapping[str, str], attrs: Mapping[str, str]) -> str:
    """One table row; each cell names its field (data-field), so a test can read it back."""
    attributes = "".join(f' {k}="{escape(v)}"' for k, v in attrs.items())
    tds = "".join(f'<td data-field="{k}"{_CLASSES.get(k, "")}>{v}</td>'
                  for k, v in cells.items())
    return f"<tr{attributes}>{tds}</tr>"


def _table(titles: Iterable[str], rows: Iterable[Iterable[str]],
           attrs: Iterable[Mapping[str, str]]) -> str:
    out = ["<table>", _header_row(titles)]
    for row, attr in zip(rows, attrs):
        out.append(_row({f"c{i}": escape(str(v)) for i, v in enumerate(row)}, attr))
    return "\n".join([*out, "</table>"])
