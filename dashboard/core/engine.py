"""The assessment (criteria.md section 8.1): validate, derive, classify every option, explain.

Pure and deterministic: the same factors and content always give the same Assessment, and no
per-patient state is kept between calls.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, cast

from . import jsontext
from .assessment import (
    Assessment,
    Derived,
    Finding,
    Issue,
    OptionResult,
    PatientFactors,
    Verdict,
    built,
)
from .compiled import Rules, compiled_rules, compiled_test
from .conditions import Unknown
from .content import Content, Option, Rule, Variant, text_in
from .derive import facts_and_derived
from .factors import parse_factors

_ORDER = (Verdict.APPLICABLE, Verdict.CAUTION, Verdict.NOT_APPLICABLE)
_APPLICABLE, _CAUTION, _NOT_APPLICABLE = _ORDER


def _worst(verdicts: list[Verdict]) -> Verdict:
    """`Verdict.worst` without looking the members up on the class at each call."""
    if _NOT_APPLICABLE in verdicts:
        return _NOT_APPLICABLE
    return _CAUTION if _CAUTION in verdicts else _APPLICABLE


def assess(data: Any, content: Content, *, reference: bool = False) -> Assessment:
    """Assess one patient-factors object (as decoded from JSON) against the content.

    The conditions of the rules run compiled to Python source (core/compiled.py), each
    option's rules as one function; `reference=True` runs each condition as core/conditions.py
    evaluates it, one rule at a time, instead, which is what tests/test_compiled.py and
    tests/test_assess_differential.py compare the compiled engine with."""
    checked = _checked(data, content, reference)
    if isinstance(checked, _Refusal):
        return _refused(content, checked.errors, checked.factors, checked.warnings)
    factors, facts, derived, warnings = checked
    results = _classify(content, facts, reference)
    return built(Assessment, content_version=content.version, results=results,
                 warnings=tuple(warnings), errors=(), derived=derived,
                 fingerprint=fingerprint(factors, content), factors=factors, facts=facts)


class Verdicts(NamedTuple):
    """An assessment's verdicts without any text, for output that prints no reason, variant or
    note (`assess --format csv`): `assess_verdicts` makes only this, the same pipeline as
    `assess` up to the verdicts, so nothing it leaves out can be printed from it by mistake."""

    content_version: str
    fingerprint: str  # "" when refused
    # per option, in content order: (option id, verdict, ids of the findings that carry the
    # verdict, in rule order); empty when refused
    results: tuple[tuple[str, Verdict, tuple[str, ...]], ...]
    warnings: tuple[Issue, ...]
    errors: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def verdicts_of(assessment: Assessment) -> Verdicts:
    """The `Verdicts` of a whole assessment (what `assess_verdicts` gives for the same input)."""
    return Verdicts(assessment.content_version, assessment.fingerprint,
                    tuple((r.option_id, r.verdict,
                           tuple(f.rule_id for f in r.findings if f.verdict is r.verdict))
                          for r in assessment.results),
                    assessment.warnings, assessment.errors)


def assess_verdicts(items: list[Any], content: Content) -> list[Verdicts]:
    """`verdicts_of(assess(item))` for each item, in order, without making what it leaves out
    (reason texts are never made by the engine; here also no text variants, agent notes, line
    of therapy or shared option results)."""
    return _paused_gc(_verdicts, items, content)


def _verdicts(item: Any, content: Content) -> Verdicts:
    checked = _checked(item, content, False)
    if isinstance(checked, _Refusal):
        return Verdicts(content.version, "", (), tuple(checked.warnings), tuple(checked.errors))
    factors, facts, _, warnings = checked
    return Verdicts(content.version, fingerprint(factors, content),
                    _classify_verdicts(content, facts), tuple(warnings), ())


class _Refusal(NamedTuple):
    errors: list[Issue]
    factors: PatientFactors | None
    warnings: list[Issue]


def _checked(data: Any, content: Content, reference: bool) -> (
        tuple[PatientFactors, dict[str, Any], Derived, list[Issue]] | _Refusal):
    """Validated factors, the facts the rules read, the derived values and the warnings; or
    the refusal (its errors)."""
    factors, errors, range_errors = parse_factors(data, content)
    if factors is None:
        return _Refusal(errors + range_errors, factors, [])
    facts, derived = facts_and_derived(factors.values, factors.unknown, content)
    codes_errors, warnings = _validation(content, facts, derived, reference)
    named = {f for issue in codes_errors for f in _fields_of(issue, content)}
    errors = codes_errors + [e for e in range_errors if e.field not in named]
    if errors:
        return _Refusal(errors, factors, warnings)
    return factors, facts, derived, warnings


def assess_many(items: list[Any], content: Content) -> list[Assessment]:
    """Assess a list of patients (a command-line array, a clinic day) in order."""
    return _paused_gc(assess, items, content)


def _paused_gc(each: Any, items: list[Any], content: Content) -> list[Any]:
    """`each(item, content)` for every item, in order. The cyclic garbage collector is paused
    meanwhile: assessments hold no reference cycles, and its repeated scans of the growing
    result list cost about a third of the time for 10,000."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return [each(item, content) for item in items]
    finally:
        if was_enabled:
            gc.enable()


# json.dumps(..., sort_keys=True, default=str), with the C encoder made once (core/jsontext)
_FINGERPRINT_JSON = jsontext.encoder(sort_keys=True, default=str)


def fingerprint(factors: PatientFactors, content: Content) -> str:
    """A short check code of the clinical inputs and content version (shown on screen and sheet).

    It is built from the factors only, never from names or notes: the first 8 hex digits of
    the SHA-256 of `_FINGERPRINT_JSON({"values": values, "unknown": sorted(unknown),
    "content": version})`, whole numbers written as floats (12 and 12.0 are the same value).
    That text is written by `_check_code_json`, from pieces the same encoder wrote."""
    payload = _check_code_json(factors.values, factors.unknown, content.version)
    digest = hashlib.sha256(payload.encode()).hexdigest()[:8].upper()
    return f"{digest[:4]}-{digest[4:]}"


def check_code_json_reference(values: Mapping[str, Any], unknown: frozenset[str],
                              version: str) -> str:
    """The check code's JSON as one call of the encoder (what `_check_code_json` writes)."""
    converted = {key: float(value) if value.__class__ is int else value
                 for key, value in values.items()}
    return _FINGERPRINT_JSON({"values": converted, "unknown": sorted(unknown),
                              "content": version})


# The pieces of the check code's JSON: (field ids in input order) -> the same, sorted; (field
# id, class, value) -> '"id": value' as the encoder writes the pair. Field ids and values only
# (a number, a yes/no, a choice of the content), never a combination of a patient's values.
_SORTED: dict[tuple[str, ...], tuple[str, ...]] = {}
_PAIRS: dict[tuple[str, type, Any], str] = {}
_PIECES_MOST = 20_000  # cleared beyond this: memory stays bounded whatever the input


def _check_code_json(values: Mapping[str, Any], unknown: frozenset[str], version: str) -> str:
    """`check_code_json_reference(values, unknown, version)`, without encoding every pair anew.

    The encoder writes a dict with sorted keys as '{' + its pairs '"key": value' in key order,
    joined by ', ', + '}' (keys are unique, so the order is that of the keys alone); each pair
    here is the encoder's own text for that pair, cached by the field id and the value with its
    class (True and 1.0 are equal, and encode differently). Zero is not cached (0.0 and -0.0
    are equal and encode differently), nor any value of another class than None, bool, str
    and float (a str() of an equal value could differ). Field ids that are not all text: the
    reference itself."""
    keys = tuple(values)
    order = _SORTED.get(keys)
    if order is None:
        if not all(key.__class__ is str for key in keys):
            return check_code_json_reference(values, unknown, version)
        if len(_SORTED) >= _PIECES_MOST:
            _SORTED.clear()
        order = _SORTED[keys] = tuple(sorted(keys))
    pairs = []
    for key in order:
        value = values[key]
        kind = value.__class__
        if kind is int:
            value, kind = float(value), float
        piece = _PAIRS.get((key, kind, value))
        if piece is None:
            piece = _FINGERPRINT_JSON({key: value})[1:-1]
            if kind in _CACHED and not (kind is float and value == 0.0):
                if len(_PAIRS) >= _PIECES_MOST:
                    _PAIRS.clear()
                _PAIRS[(key, kind, value)] = piece
        pairs.append(piece)
    listed = _FINGERPRINT_JSON(sorted(unknown)) if unknown else "[]"
    return (f'{{"content": {_FINGERPRINT_JSON(version)}, "unknown": {listed}, '
            f'"values": {{{", ".join(pairs)}}}}}')


_CACHED = frozenset({type(None), bool, str, float})


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


def _validation(content: Content, facts: Mapping[str, Any], derived: Derived,
                reference: bool = False) -> tuple[list[Issue], list[Issue]]:
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for code in _plan(content, reference).validation(facts):  # the codes whose test is True
        issue = Issue(code.id, code.fields[0] if code.fields else "",
                      validation_message(code, derived))
        (errors if code.severity == "error" else warnings).append(issue)
    return errors, warnings


def validation_message(code: Rule, derived: Derived, lang: str = "en") -> str:
    """A validation code's message (E1..., W1...) in `lang`, English where it has none. The
    engine's issues carry the English one; the tumour-board list of a French day asks for
    French."""
    return _message(text_in(code.clinician, lang), derived)


def _message(text: str, derived: Derived) -> str:
    """A validation message with the Child-Pugh score the rules used filled in (8.3 R1):
    {cp_score}, {cp_entered}, {cp_labs}, {cp_floor}."""
    if "{" not in text:
        return text
    values = {"cp_score": derived.child_pugh_score, "cp_entered": derived.child_pugh_entered,
              "cp_labs": derived.child_pugh_labs, "cp_floor": derived.child_pugh_floor}
    return text.format_map({k: "unknown" if v is None else v for k, v in values.items()})


def _classify(content: Content, facts: dict[str, Any],
              reference: bool = False) -> tuple[OptionResult, ...]:
    """Phases in order (8.1 step 4), then the preference step, notes and texts per option."""
    plan = _plan(content, reference)
    results, global_findings = _base_results(plan, facts)
    return tuple(_final_result(results[step.option.id], step, plan, facts, global_findings)
                 for step in plan.steps)


def _classify_verdicts(content: Content, facts: dict[str, Any]) -> tuple[
        tuple[str, Verdict, tuple[str, ...]], ...]:
    """`_classify` up to the verdicts (as `Verdicts.results`): the same phases, global rules
    and preference step, without the final result's texts, notes and sharing."""
    plan = _plan(content)
    results, global_findings = _base_results(plan, facts)
    out = []
    for step in plan.steps:
        findings, verdict = _preferred(results[step.option.id], step, global_findings)
        out.append((step.option.id, verdict,
                    tuple([f.rule_id for f in findings if f.verdict is verdict])))
    return tuple(out)


def _base_results(plan: _Plan, facts: dict[str, Any]) -> tuple[dict[str, _Base], list[Finding]]:
    """Each option's result before the preference step, phase by phase (each phase may read the
    base verdicts of earlier phases, put into `facts`), and the global rules' findings."""
    results: dict[str, _Base] = {}
    for phase_steps in plan.phases:
        for step in phase_steps:
            results[step.option.id] = _base_result(step, facts)
        for step in phase_steps:
            facts[f"verdict.{step.option.id}"] = _verdict_fact(results[step.option.id], step)
    # the global rules read the same facts for every active option: applied once per patient
    return results, [f for rule in plan.global_rules if (f := rule.finding(facts))]


class _RuleStep:
    """A rule of the plan: its test, and its findings made once and shared (findings are
    immutable): the one when it holds, one per set of unknown fields when it cannot be
    decided."""

    __slots__ = ("holds", "rule_id", "test", "track", "unknowns")

    def __init__(self, test: Any, rule_id: str, verdict: Verdict, track: str):
        self.test, self.rule_id, self.track = test, rule_id, track
        self.holds = Finding(rule_id, verdict, track)
        self.unknowns: dict[frozenset[str], Finding] = {}

    def finding(self, facts: Mapping[str, Any]) -> Finding | None:
        """The finding of the rule: its verdict if it holds, caution if it cannot be decided
        yet (as `_apply`)."""
        outcome = self.test(facts)
        if outcome is True:
            return self.holds
        if outcome is False:
            return None
        return self.unknown(outcome)

    def unknown(self, outcome: Unknown) -> Finding:
        found = self.unknowns.get(outcome.fields)
        if found is None:
            found = Finding(self.rule_id, Verdict.CAUTION, self.track,
                            unknown=tuple(sorted(outcome.fields)))
            if len(self.unknowns) < _SHARED_MOST:
                self.unknowns[outcome.fields] = found
        return found


class _OptionStep:
    """An option of the plan: its rules, tracks, default reason per track, notes and text
    variants, each test compiled once per content (the same for every patient)."""

    __slots__ = ("defaults", "named", "notes", "option", "results", "rule_verdicts", "rules",
                 "run", "texts", "tracks", "worst")

    def __init__(self, option: Option, content: Content, test_of: Any, reference: bool):
        self.option = option
        # compiled, the rules run only as the one function `run` (their own tests unused)
        self.rules = tuple(_RuleStep(test_of(rule) if reference else None, rule.id,
                                     _verdict(rule), rule.track) for rule in option.rules)
        # facts -> the findings of the option's rules, in rule order: the rules' conditions
        # compiled into one function (core/compiled.py), or each rule's test in a loop
        self.run: Rules = _each_rule(self.rules) if reference else compiled_rules(
            [(rule.when, step.holds, step.unknown) for rule, step in zip(option.rules,
                                                                        self.rules)])
        self.tracks = _tracks(option)
        # rule id -> its verdict (`option_rule_verdict`: the first rule of that id)
        self.rule_verdicts: dict[str, Verdict] = {}
        for rule in option.rules:
            self.rule_verdicts.setdefault(rule.id, _verdict(rule))
        self.worst = option.combine != "best_of_tracks"
        # track -> (optional fields read, not-entered tuple -> the default finding)
        self.defaults: dict[str, tuple[tuple[str, ...], dict[tuple[str, ...], Finding]]] = {
            track: (content.optional_reads(option.id, track), {}) for track in self.tracks}
        # facts -> the ids of the agent notes whose condition is True, in content order
        # (None: the option has none)
        self.notes: Rules | None = _holding(
            [(note, note.id) for note in option.notes], test_of, reference)
        # facts -> (text key, index among the option's variants) of every variant whose
        # condition is True, grouped by key in the order the keys first appear: the first pair
        # of each key is the variant used for this patient (None: the option has none)
        keys = list(dict.fromkeys(v.key for v in option.variants))
        self.texts: Rules | None = _holding(
            sorted(((v, (v.key, i)) for i, v in enumerate(option.variants)),
                   key=lambda item: keys.index(item[1][0])), test_of, reference)
        # the rule ids of the option (its rules, its default, the global rules) whose findings
        # name a text variant or earlier options (set by the plan: `_Plan.naming`)
        self.named: frozenset[str] = frozenset()
        # the option's results made so far, by everything they are made of (see _final_result)
        self.results: dict[tuple[Any, ...], OptionResult] = {}

    def default(self, track: str, facts: Mapping[str, Any]) -> Finding:
        """The option's "no rule applied" reason for a track, naming the optional fields its
        rules read that were left empty (8.3 T2)."""
        reads, made = self.defaults[track]
        not_entered = tuple(f for f in reads if _empty(f, facts))
        found = made.get(not_entered)
        if found is None:
            found = Finding(self.option.default.id, Verdict.APPLICABLE, track, default=True,
                            not_entered=not_entered)
            if len(made) < _SHARED_MOST:
                made[not_entered] = found
        return found


class _Plan:
    """Everything about the content the classification needs, worked out once per content."""

    def __init__(self, content: Content, reference: bool):
        # reference: each condition as core/conditions.py evaluates it (the loader's closures);
        # otherwise compiled to Python source (core/compiled.py), proven equal by tests
        test_of = (lambda item: item.test) if reference else (
            lambda item: compiled_test(item.when))
        self.steps = tuple(_OptionStep(o, content, test_of, reference)
                           for o in content.options)
        self.phases = tuple(tuple(s for s in self.steps if s.option.phase == phase)
                            for phase in sorted({o.phase for o in content.options}))
        self.global_rules = tuple(_RuleStep(test_of(r), r.id, _verdict(r), r.track)
                                  for r in content.global_rules)
        # facts -> the validation codes whose condition is True, in content order
        if reference:
            codes = tuple((code, test_of(code)) for code in content.validation)
            self.validation: Rules = lambda facts: [code for code, test in codes
                                                    if test(facts) is True]
        else:
            self.validation = compiled_rules([(c.when, c, None) for c in content.validation])
        # rule id -> (tests of its text variants, verdict facts it reads), or None (most rules)
        rules = [*(r for o in content.options for r in (*o.rules, o.default)),
                 *content.global_rules]
        self.naming: dict[str, Any] = {}
        for rule_id in dict.fromkeys(r.id for r in rules):
            variants, reads = content.rule(rule_id).variants, content.verdict_reads(rule_id)
            self.naming[rule_id] = (tuple(test_of(v) for v in variants), reads) \
                if variants or reads else None
        for step in self.steps:
            step.named = frozenset(
                r.id for r in (*step.option.rules, step.option.default, *content.global_rules)
                if self.naming[r.id] is not None)
        # (id of a finding, variant index, options named) -> (the finding, the named finding)
        self.named: dict[tuple[int, int, tuple[str, ...]], tuple[Finding, Finding]] = {}


_SHARED_MOST = 4096  # findings kept per rule or default (a bound: they depend on content only)
_PLANS: dict[tuple[int, bool], tuple[Content, _Plan]] = {}


def _plan(content: Content, reference: bool = False) -> _Plan:
    known = _PLANS.get((id(content), reference))
    if known is not None and known[0] is content:
        return known[1]
    plan = _Plan(content, reference)
    if len(_PLANS) >= 8:  # a few contents at most (tests load variants); never grows without end
        _PLANS.clear()
    _PLANS[(id(content), reference)] = (content, plan)  # holding the content keeps its id
    return plan


def _holding(items: list[tuple[Any, Any]], test_of: Any, reference: bool) -> Rules | None:
    """facts -> the values of `items` (condition-holding item, value) whose condition is True,
    in order: compiled into one function (core/compiled.py), or each test in a loop (the
    reference); None when there are no items."""
    if not items:
        return None
    if reference:
        tests = tuple((test_of(item), value) for item, value in items)
        return lambda facts: [value for test, value in tests if test(facts) is True]
    return compiled_rules([(item.when, value, None) for item, value in items])


def _tracks(option: Option) -> tuple[str, ...]:
    return tuple(sorted({rule.track for rule in option.rules} | {option.default.track})) \
        if option.combine == "best_of_tracks" else ("main",)


def _empty(field: str, facts: Mapping[str, Any]) -> bool:
    if field == "albi_grade":  # an ALBI grade computed from the labs counts as known
        return facts.get("albi") is None
    return facts.get(field) is None


def _with_variants(findings: Sequence[Finding], plan: _Plan,
                   facts: Mapping[str, Any]) -> list[Finding]:
    """Each finding with the index of the rule text variant that holds for this patient, and
    the earlier options whose "applicable" verdict it read (to name them, 8.3 T3)."""
    naming = plan.naming
    out = []
    for finding in findings:
        named_by = naming.get(finding.rule_id)  # every finding's rule is in the plan
        if named_by is None:
            out.append(finding)
            continue
        tests, reads = named_by
        index = _first(tests, facts)
        options = () if finding.unknown or finding.default else tuple(
            fact[8:] for fact in reads if _surely_applicable(facts.get(fact)))
        if index >= 0 or options:
            # by the finding's identity (hashing the dataclass runs Python code per field);
            # each entry holds its finding, so no other object can take its id meanwhile
            key = (id(finding), index, options)
            known = plan.named.get(key)
            if known is None:
                known = (finding, replace(finding, variant=index, options=options))
                if len(plan.named) < _SHARED_MOST:
                    plan.named[key] = known
            out.append(known[1])
            continue
        out.append(finding)
    return out


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


def _first(tests: tuple[Any, ...], facts: Mapping[str, Any]) -> int:
    """`first_variant` over the (compiled) tests of a rule's variants."""
    for index, test in enumerate(tests):
        if test(facts) is True:
            return index
    return -1


class _Base(NamedTuple):
    """An option's result before the preference step (only the engine sees it)."""

    verdict: Verdict
    findings: tuple[Finding, ...]
    track_verdicts: dict[str, Verdict]


# _Base(verdict, findings, track_verdicts) without the Python-level __new__ of a NamedTuple
_new_base = tuple.__new__


def _each_rule(rules: tuple[_RuleStep, ...]) -> Rules:
    """The findings of rules in order, each rule's test called in turn (the reference's way;
    `compiled_rules` is the same loop written out as one function)."""

    def run(facts: Mapping[str, Any]) -> list[Finding]:
        findings = []
        for rule in rules:  # _RuleStep.finding inlined
            outcome = rule.test(facts)
            if outcome is True:
                findings.append(rule.holds)
            elif outcome is not False:
                findings.append(rule.unknown(outcome))
        return findings

    return run


def _base_result(step: _OptionStep, facts: Mapping[str, Any]) -> _Base:
    findings = step.run(facts)
    tracks = step.tracks
    if step.worst:  # one track ("main"), every finding in it: the verdict is the worst
        if not findings:
            findings.append(step.default(tracks[0], facts))
        return _new_base(_Base, (_worst([f.verdict for f in findings]), tuple(findings), {}))
    track_verdicts = {}
    for track in tracks:
        in_track = findings if step.worst else [f for f in findings if f.track == track]
        if not in_track:
            default = step.default(track, facts)
            findings.append(default)
            in_track = [default]
        track_verdicts[track] = Verdict.worst([f.verdict for f in in_track])
    combine = Verdict.worst if step.worst else Verdict.best
    verdict = combine(list(track_verdicts.values()))
    return _Base(verdict, tuple(findings), track_verdicts if len(tracks) > 1 else {})


def _apply(rule: Rule, facts: Mapping[str, Any]) -> Finding | None:
    """The finding of a rule: its verdict if it holds, caution if it cannot be decided yet."""
    outcome = rule.test(facts)
    if outcome is True:
        return Finding(rule.id, _verdict(rule), rule.track)
    if isinstance(outcome, Unknown):
        return Finding(rule.id, Verdict.CAUTION, rule.track, unknown=tuple(sorted(outcome.fields)))
    return None


def _verdict_fact(result: _Base, step: _OptionStep) -> Any:
    """An earlier option's verdict as a fact; Unknown (with what it could still be) when unknown
    values could change it, so a later rule never treats a guess as settled."""
    unsettled = [f for f in result.findings if f.unknown]
    if not unsettled:
        return result.verdict._value_
    fields = frozenset().union(*[f.unknown for f in unsettled])
    if step.option.combine != "worst":
        return Unknown(fields)
    settled = _worst([f.verdict for f in result.findings if not f.unknown])
    verdict_of = step.rule_verdicts  # option_rule_verdict, looked up once per content
    ceiling = _worst([settled, *[verdict_of[f.rule_id] for f in unsettled]])
    return Unknown(fields, _possible(settled, ceiling))


_POSSIBLE: dict[tuple[Verdict, Verdict], frozenset[str]] = {}


def _possible(settled: Verdict, ceiling: Verdict) -> frozenset[str]:
    """The verdicts (values) from `settled` to `ceiling` in severity (nine pairs at most)."""
    known = _POSSIBLE.get((settled, ceiling))
    if known is None:
        known = _POSSIBLE[settled, ceiling] = frozenset(
            v.value for v in _ORDER if settled.severity <= v.severity <= ceiling.severity)
    return known


def _verdict(rule: Rule) -> Verdict:
    """The verdict of an option's (or a global) rule: the loader requires one for every such
    rule; only validation codes, defaults and notes have none, and they never reach here."""
    return cast(Verdict, rule.verdict)


def option_rule_verdict(option: Option, rule_id: str) -> Verdict:
    return next(_verdict(rule) for rule in option.rules if rule.id == rule_id)


def _preferred(base: _Base, step: _OptionStep,
               global_findings: list[Finding]) -> tuple[tuple[Finding, ...], Verdict]:
    """The preference step (8.1 step 5): an active option's findings and verdict with the
    global rules' findings (the same for every option) added."""
    if step.option.active and global_findings:
        return ((*base.findings, *global_findings),
                _worst([base.verdict, *[f.verdict for f in global_findings]]))
    return base.findings, base.verdict


def _final_result(base: _Base, step: _OptionStep, plan: _Plan,
                  facts: Mapping[str, Any], global_findings: list[Finding]) -> OptionResult:
    """The preference step (8.1 step 5) for active options, then agent notes and line of therapy.
    `global_findings`: the global rules applied to these facts (the same for every option)."""
    option = step.option
    findings, verdict = _preferred(base, step, global_findings)
    notes = tuple(step.notes(facts)) if step.notes is not None else ()
    line = ""
    if option.lines:  # derived.toml `second_line` says when the second-line list applies
        line = "second" if facts.get("second_line") is True and "second" in option.lines \
            else "first"
    texts: dict[str, int] = {}
    if step.texts is not None:
        for key, index in step.texts(facts):  # the first variant of each key that holds
            if key not in texts:
                texts[key] = index
    named_ids = step.named
    for finding in findings:
        if finding.rule_id in named_ids:
            named = tuple(_with_variants(findings, plan, facts))
            break
    else:  # no finding names a variant or an option (most options, most patients)
        named = tuple(findings)  # itself: a tuple
    # The same result is made once and shared (it is immutable, as its findings are, and holds
    # rule ids, never a patient's values): keyed by everything it is made of, its findings by
    # identity (each is held by the result kept, so no other object can take its id). One flat
    # tuple: the findings' ids are its only integers, after the other parts.
    made_of = (verdict._value_, base.verdict._value_, notes, line, tuple(texts.items()),
               tuple([(t, v._value_) for t, v in base.track_verdicts.items()])
               if base.track_verdicts else (), *map(id, named))
    known = step.results.get(made_of)
    if known is None:
        known = OptionResult(option.id, verdict, named, base.verdict, notes, line,
                             base.track_verdicts, texts)
        if len(step.results) < _SHARED_MOST:
            step.results[made_of] = known
    return known
