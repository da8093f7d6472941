"""The assessment (criteria.md section 8.1): validate, derive, classify every option, explain.

Pure and deterministic: the same factors and content always give the same Assessment, and no
per-patient state is kept between calls.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

from .assessment import Assessment, Derived, Finding, Issue, OptionResult, PatientFactors, Verdict
from .conditions import Unknown
from .content import Content, Option, Rule, Variant, text_in
from .derive import facts_and_derived
from .factors import parse_factors

_ORDER = (Verdict.APPLICABLE, Verdict.CAUTION, Verdict.NOT_APPLICABLE)


def assess(data: Any, content: Content) -> Assessment:
    """Assess one patient-factors object (as decoded from JSON) against the content."""
    factors, errors, range_errors = parse_factors(data, content)
    if factors is None:
        return _refused(content, errors + range_errors, factors)
    facts, derived = facts_and_derived(factors.values, factors.unknown, content)
    codes_errors, warnings = _validation(content, facts, derived)
    named = {f for issue in codes_errors for f in _fields_of(issue, content)}
    errors = codes_errors + [e for e in range_errors if e.field not in named]
    if errors:
        return _refused(content, errors, factors, warnings)
    results = _classify(content, facts)
    return Assessment(content_version=content.version, results=results,
                      warnings=tuple(warnings), errors=(), derived=derived,
                      fingerprint=fingerprint(factors, content), factors=factors, facts=facts)


def assess_many(items: list[Any], content: Content) -> list[Assessment]:
    """Assess a list of patients (a command-line array, a clinic day) in order.

    The cyclic garbage collector is paused meanwhile: assessments hold no reference cycles, and
    its repeated scans of the growing result list cost about a third of the time for 10,000.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return [assess(item, content) for item in items]
    finally:
        if was_enabled:
            gc.enable()


def fingerprint(factors: PatientFactors, content: Content) -> str:
    """A short check code of the clinical inputs and content version (shown on screen and sheet).

    It is built from the factors only, never from names or notes.
    """
    values = {key: float(value) if type(value) in (int, float) else value
              for key, value in factors.values.items()}  # 12 and 12.0 are the same value
    payload = json.dumps({"values": values, "unknown": sorted(factors.unknown),
                          "content": content.version}, sort_keys=True, default=str)
    digest = hashlib.sha256(payload.encode()).hexdigest()[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"


def _refused(content: Content, errors: list[Issue], factors: PatientFactors | None,
             warnings: Sequence[Issue] = ()) -> Assessment:
    return Assessment(content_version=content.version, results=(), warnings=tuple(warnings),
                      errors=tuple(errors), derived=None, fingerprint="", factors=factors)


def _fields_of(issue: Issue, content: Content) -> set[str]:
    """The fields an issue covers, including unit aliases of those fields."""
    fields = set(content.rule(issue.code).fields) if issue.code in _code_ids(content) else {
        issue.field}
    return fields | {f.id for f in content.factors if f.alias_of in fields}


def _code_ids(content: Content) -> set[str]:
    return {code.id for code in content.validation}


def _validation(content: Content, facts: Mapping[str, Any],
                derived: Derived) -> tuple[list[Issue], list[Issue]]:
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for code in content.validation:
        if code.test(facts) is True:
            issue = Issue(code.id, code.fields[0] if code.fields else "",
                          _message(text_in(code.clinician, "en"), derived))
            (errors if code.severity == "error" else warnings).append(issue)
    return errors, warnings


def _message(text: str, derived: Derived) -> str:
    """A validation message with the Child-Pugh score the rules used filled in (8.3 R1):
    {cp_score}, {cp_entered}, {cp_labs}, {cp_floor}."""
    if "{" not in text:
        return text
    values = {"cp_score": derived.child_pugh_score, "cp_entered": derived.child_pugh_entered,
              "cp_labs": derived.child_pugh_labs, "cp_floor": derived.child_pugh_floor}
    return text.format_map({k: "unknown" if v is None else v for k, v in values.items()})


def _classify(content: Content, facts: dict[str, Any]) -> tuple[OptionResult, ...]:
    """Phases in order (8.1 step 4); each phase may read the base verdicts of earlier phases."""
    results: dict[str, OptionResult] = {}
    for phase_options in _plan(content):
        for option, tracks, rules in phase_options:
            results[option.id] = _base_result(option, facts, content, tracks, rules)
        for option, _tracks, _rules in phase_options:
            facts[f"verdict.{option.id}"] = _verdict_fact(results[option.id], option)
    # the global rules read the same facts for every active option: applied once per patient
    global_findings = [f for rule in content.global_rules if (f := _apply(rule, facts))]
    return tuple(_final_result(results[o.id], o, content, facts, global_findings)
                 for o in content.options)


_Step = tuple[Option, tuple[str, ...], tuple[tuple[Any, str, Verdict, str], ...]]
_PLANS: dict[int, tuple[Content, tuple[tuple[_Step, ...], ...]]] = {}


def _plan(content: Content) -> tuple[tuple[_Step, ...], ...]:
    """The options of each phase, in phase order, with the tracks each option combines and its
    rules as (test, id, verdict, track) (the same for every patient: worked out once per
    content, not once per patient)."""
    known = _PLANS.get(id(content))
    if known is not None and known[0] is content:
        return known[1]
    plan = tuple(tuple((o, _tracks(o), _rule_steps(o)) for o in content.options
                       if o.phase == phase)
                 for phase in sorted({o.phase for o in content.options}))
    if len(_PLANS) >= 8:  # a few contents at most (tests load variants); never grows without end
        _PLANS.clear()
    _PLANS[id(content)] = (content, plan)  # holding the content keeps its id from being reused
    return plan


def _rule_steps(option: Option) -> tuple[tuple[Any, str, Verdict, str], ...]:
    return tuple((rule.test, rule.id, _verdict(rule), rule.track) for rule in option.rules)


def _tracks(option: Option) -> tuple[str, ...]:
    return tuple(sorted({rule.track for rule in option.rules} | {option.default.track})) \
        if option.combine == "best_of_tracks" else ("main",)


def _not_entered(option: Option, track: str, facts: Mapping[str, Any],
                 content: Content) -> tuple[str, ...]:
    """Optional fields the option's rules (of this track) read that were left empty (8.3 T2):
    its "nothing ruled it out" reason must say so rather than claim their values."""
    return tuple(f for f in content.optional_reads(option.id, track) if _empty(f, facts))


def _empty(field: str, facts: Mapping[str, Any]) -> bool:
    if field == "albi_grade":  # an ALBI grade computed from the labs counts as known
        return facts.get("albi") is None
    return facts.get(field) is None


def _with_variants(findings: list[Finding], content: Content,
                   facts: Mapping[str, Any]) -> list[Finding]:
    """Each finding with the index of the rule text variant that holds for this patient, and
    the earlier options whose "applicable" verdict it read (to name them, 8.3 T3)."""
    naming = _naming(content)
    out = []
    for finding in findings:
        named_by = naming.get(finding.rule_id, _UNSEEN)
        if named_by is _UNSEEN:  # not a rule of the plan: look it up as ever
            rule = content.rule(finding.rule_id)
            reads = content.verdict_reads(finding.rule_id)
            named_by = (rule.variants, reads) if rule.variants or reads else None
        if named_by is None:
            out.append(finding)
            continue
        variants, reads = named_by
        index = first_variant(variants, facts)
        options = () if finding.unknown or finding.default else tuple(
            fact[8:] for fact in reads if _surely_applicable(facts.get(fact)))
        named = replace(finding, variant=index, options=options) \
            if index >= 0 or options else finding
        out.append(named)
    return out


_UNSEEN = object()
_NAMING: dict[int, tuple[Content, dict[str, Any]]] = {}


def _naming(content: Content) -> dict[str, Any]:
    """For every rule that can make a finding (options' rules and defaults, global rules): its
    text variants and the verdicts it reads, or None when it has neither (most rules), looked
    up once per content rather than once per finding."""
    known = _NAMING.get(id(content))
    if known is not None and known[0] is content:
        return known[1]
    rules = [*(r for o in content.options for r in (*o.rules, o.default)),
             *content.global_rules]
    naming: dict[str, Any] = {}
    for rule_id in dict.fromkeys(r.id for r in rules):
        variants, reads = content.rule(rule_id).variants, content.verdict_reads(rule_id)
        naming[rule_id] = (variants, reads) if variants or reads else None
    if len(_NAMING) >= 8:
        _NAMING.clear()
    _NAMING[id(content)] = (content, naming)
    return naming


def _surely_applicable(value: Any) -> bool:
    """An earlier verdict that is applicable, or can be nothing else whatever is unknown."""
    if isinstance(value, Unknown):
        return value.possible == frozenset({Verdict.APPLICABLE.value})
    return bool(value == Verdict.APPLICABLE.value)


def first_variant(variants: tuple[Variant, ...], facts: Mapping[str, Any],
                  key: str | None = None) -> int:
    """The index of the first variant (for `key`, when given) whose condition is True; -1."""
    for index, variant in enumerate(variants):
        if (key is None or variant.key == key) and variant.test(facts) is True:
            return index
    return -1


def _base_result(option: Option, facts: Mapping[str, Any], content: Content,
                 tracks: tuple[str, ...] | None = None,
                 rules: tuple[tuple[Any, str, Verdict, str], ...] | None = None) -> OptionResult:
    findings = []
    for test, rule_id, rule_verdict, track in (  # the hot loop: _apply inlined
            _rule_steps(option) if rules is None else rules):
        outcome = test(facts)
        if outcome is True:
            findings.append(Finding(rule_id, rule_verdict, track))
        elif outcome is not False:
            findings.append(Finding(rule_id, Verdict.CAUTION, track,
                                    unknown=tuple(sorted(outcome.fields))))
    tracks = _tracks(option) if tracks is None else tracks
    track_verdicts = {}
    for track in tracks:
        in_track = [f for f in findings if f.track == track or option.combine == "worst"]
        if not in_track:
            default = Finding(option.default.id, Verdict.APPLICABLE, track, default=True,
                              not_entered=_not_entered(option, track, facts, content))
            findings.append(default)
            in_track = [default]
        track_verdicts[track] = Verdict.worst([f.verdict for f in in_track])
    combine = Verdict.best if option.combine == "best_of_tracks" else Verdict.worst
    verdict = combine(list(track_verdicts.values()))
    return OptionResult(option.id, verdict, tuple(findings), verdict,
                        track_verdicts=track_verdicts if len(tracks) > 1 else {})


def _apply(rule: Rule, facts: Mapping[str, Any]) -> Finding | None:
    """The finding of a rule: its verdict if it holds, caution if it cannot be decided yet."""
    outcome = rule.test(facts)
    if outcome is True:
        return Finding(rule.id, _verdict(rule), rule.track)
    if isinstance(outcome, Unknown):
        return Finding(rule.id, Verdict.CAUTION, rule.track, unknown=tuple(sorted(outcome.fields)))
    return None


def _verdict_fact(result: OptionResult, option: Option) -> Any:
    """An earlier option's verdict as a fact; Unknown (with what it could still be) when unknown
    values could change it, so a later rule never treats a guess as settled."""
    unsettled = [f for f in result.findings if f.unknown]
    if not unsettled or option.combine != "worst":
        return result.verdict.value if not unsettled else Unknown(
            frozenset().union(*(f.unknown for f in unsettled)))
    settled = Verdict.worst([f.verdict for f in result.findings if not f.unknown])
    ceiling = Verdict.worst([settled] + [option_rule_verdict(option, f.rule_id)
                                         for f in unsettled])
    possible = frozenset(v.value for v in _ORDER
                         if settled.severity <= v.severity <= ceiling.severity)
    return Unknown(frozenset().union(*(f.unknown for f in unsettled)), possible)


def _verdict(rule: Rule) -> Verdict:
    """The verdict of an option's (or a global) rule: the loader requires one for every such
    rule; only validation codes, defaults and notes have none, and they never reach here."""
    return cast(Verdict, rule.verdict)


def option_rule_verdict(option: Option, rule_id: str) -> Verdict:
    return next(_verdict(rule) for rule in option.rules if rule.id == rule_id)


def _final_result(base: OptionResult, option: Option, content: Content,
                  facts: Mapping[str, Any], global_findings: list[Finding]) -> OptionResult:
    """The preference step (8.1 step 5) for active options, then agent notes and line of therapy.
    `global_findings`: the global rules applied to these facts (the same for every option)."""
    findings = list(base.findings)
    if option.active:
        findings += global_findings
    verdict = Verdict.worst([base.verdict] + [f.verdict for f in findings[len(base.findings):]])
    notes = tuple(note.id for note in option.notes if note.test(facts) is True)
    line = ""
    if option.lines:  # derived.toml `second_line` says when the second-line list applies
        line = "second" if facts.get("second_line") is True and "second" in option.lines \
            else "first"
    texts = {}
    for key in dict.fromkeys(v.key for v in option.variants):
        index = first_variant(option.variants, facts, key)
        if index >= 0:
            texts[key] = index
    return OptionResult(option.id, verdict, tuple(_with_variants(findings, content, facts)),
                        base.verdict, notes, line, base.track_verdicts, texts)

