"""The only reader of content/: TOML -> validated, immutable `Content`, or one ContentError.

Every problem is collected and reported at once as `file -> key -> index: message`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tomllib
from _pickle import Unpickler, UnpicklingError  # the C reader alone (pickle: 2 ms to import)
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from .assessment import Verdict
from .conditions import FactSpec, compile_condition, parse_condition
from .content import (
    Always,
    Aspect,
    Claim,
    Condition,
    Content,
    DerivedFact,
    Factor,
    FileReview,
    Option,
    Reference,
    Rule,
    SourceText,
    Variant,
    claim_form,
)
from .derive import COMPUTED_FACTS, CONTENT_FACTS
from .localise import Typography, typeset_tree
from .translations import DEFAULT_LANG, translation_problems

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"

FACTOR_KINDS = ("choice", "integer", "number", "yes_no", "count")
GOALS = ("curative", "control", "comfort")
COMBINES = ("worst", "best_of_tracks")
TAGS = ("CCS", "GL")
REFERENCE_KINDS = ("CCS", "guideline", "trial", "patient_info", "other")
OPTION_TEXTS = ("name", "clinical_name", "summary", "involves", "hospital_stay", "recovery",
                "side_effects", "goal_text", "fits_when")
OPTION_LISTS = ("questions", "checks")
# The `[grid]` table (last in each option file): short texts for the sheet's Option Grid cells,
# stored in Option.text as "grid.<key>".
STRING_FILES = ("sheet", "ui", "locale", "clinic_day", "input")
# Optional short names, used where a reason names options ({options}, 8.3 T3):
# short_name for patients, abbreviation for clinicians.
OPTION_SHORT_TEXTS = ("short_name", "abbreviation")
# Review fields any content file may carry (phase 2 of issue #8 makes them required).
REVIEW_FIELDS = ("reviewed_by", "checked_by", "last_reviewed", "next_review")


class ContentError(Exception):
    """Content failed validation; `problems` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("content is invalid:\n" + "\n".join(f"  {p}" for p in problems))


def load_content(root: Path | str = CONTENT_DIR, *, cache: bool = True) -> Content:
    """Read and check every content file under `root`; raise ContentError listing all problems.

    The parsed TOML of the files is kept in a cache file in `root` itself (`CACHE_DIR`, next
    to the content and as protected as it; ignored by git), named by the SHA-256 of every
    file's path and bytes: any change of any file gives another name, so a cache never gives
    old content. Only plain data and dates are read back (`_CacheReader`); anything else, a
    damaged file, or a folder that cannot be written, and the files are parsed as without it.
    `cache=False` parses them (tests/test_loader.py compares the two)."""
    root = Path(root)
    problems: list[str] = []
    files = sorted(root.rglob("*.toml"))
    raw = [(path.relative_to(root).as_posix(), path.read_bytes()) for path in files]
    key = hashlib.sha256(b"".join(name.encode() + data for name, data in raw)).hexdigest()
    docs = _cached_documents(root, key) if cache else None
    if docs is None:
        docs = {path.relative_to(root).as_posix(): _read(path, root, problems) for path in files}
        if cache and not problems:
            _store_documents(root, key, docs)
    for required in ("manifest.toml", "factors.toml", "validation.toml", "references.toml",
                     "global.toml", "derived.toml", "claims.toml",
                     *(f"{name}.toml" for name in STRING_FILES)):
        if required not in docs:
            problems.append(f"{required}: file is missing")
    if problems:
        raise ContentError(problems)
    content = _build(docs, problems, key[:8])
    if problems:
        raise ContentError(problems)
    return content


CACHE_DIR = ".parsed"  # in the content folder: .gitignore names it
_CACHE_FORMAT = f"1-{sys.version_info[0]}.{sys.version_info[1]}"  # pickle and tomllib


class _CacheReader(Unpickler):
    """Plain data only: dicts, lists, texts, numbers, yes/no and dates (what TOML gives); a
    cache file naming any other class is refused, never run."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("datetime", "date"):
            return date
        raise UnpicklingError(f"not content: {module}.{name}")


def _cache_file(root: Path, key: str) -> Path:
    return root / CACHE_DIR / f"{_CACHE_FORMAT}-{key}.pickle"


def _cached_documents(root: Path, key: str) -> dict[str, Any] | None:
    """The parsed files of this very content (by `key`), or None (no cache, or not usable)."""
    try:
        with open(_cache_file(root, key), "rb") as f:
            stored = _CacheReader(f).load()
    except Exception:  # noqa: BLE001 - missing, unreadable, damaged, refused: parse instead
        return None
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key
            and isinstance(stored[1], dict)):
        return None
    docs: dict[str, Any] = stored[1]
    return docs


def _store_documents(root: Path, key: str, docs: dict[str, Any]) -> None:
    """Keep the parsed files for the next process (best effort: a read-only content folder,
    a full disk or any other failure only means the next process parses them too). Written
    to a new temporary file renamed into place, so a reader never sees half a file; cache
    files of other versions of the content are removed."""
    import pickle  # only when the cache is written (a content change): not at every start
    import tempfile

    target = _cache_file(root, key)
    try:
        target.parent.mkdir(exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((key, docs), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
        for old in target.parent.glob("*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        pass


def _read(path: Path, root: Path, problems: list[str]) -> dict[str, Any]:
    name = path.relative_to(root).as_posix()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: not valid TOML: {exc}")
        return {}


class _Checker:
    """Typed access to one TOML table that records a problem for anything missing or wrong."""

    def __init__(self, table: Any, where: str, problems: list[str], languages: tuple[str, ...]):
        self.table = table if isinstance(table, dict) else {}
        self.where, self.problems, self.languages = where, problems, languages
        if not isinstance(table, dict):
            self.fail("", f"expected a table, got {type(table).__name__}")

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}{' -> ' + key if key else ''}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...,
            choices: tuple[Any, ...] = ()) -> Any:
        if key not in self.table:
            if default is ...:
                self.fail(key, "required key is missing")
                return None
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
            self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
            return None
        if choices and value not in choices:
            self.fail(key, f"expected one of {', '.join(map(str, choices))}, got {value!r}")
            return None
        return value

    def text(self, key: str, required: bool = True) -> dict[str, str]:
        value = self.table.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "required text is missing (write it as key.en = \"...\")")
            return {}
        # English here; every other language of a patient-facing text: translations.py
        if not isinstance(value.get(DEFAULT_LANG), str) or not value[DEFAULT_LANG].strip():
            self.fail(f"{key}.{DEFAULT_LANG}", "text is missing or empty")
        return dict(value)

    def text_list(self, key: str) -> dict[str, tuple[str, ...]]:
        value = self.table.get(key)
        if not isinstance(value, dict):
            self.fail(key, "required list is missing (write it as key.en = [\"...\"])")
            return {}
        items = value.get(DEFAULT_LANG)
        if not isinstance(items, list) or not items or not all(
                isinstance(i, str) and i.strip() for i in items):
            self.fail(f"{key}.{DEFAULT_LANG}", "expected a non-empty list of sentences")
        return {lang: tuple(items) for lang, items in value.items() if isinstance(items, list)}

    def unknown_keys(self, allowed: set[str]) -> None:
        for key in sorted(set(self.table) - allowed):
            self.fail(key, "unknown key (typo?)")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({str: "text", int: "an integer", float: "a number", bool: "true/false",
                        list: "a list", dict: "a table", date: "a date"}.get(k, k.__name__)
                       for k in kinds)


def _build(docs: dict[str, dict[str, Any]], problems: list[str], digest: str) -> Content:
    manifest = _Checker(docs["manifest.toml"], "manifest.toml", problems, ())
    manifest.unknown_keys({"schema_version", "version", "label", "languages", "owner",
                           *REVIEW_FIELDS})
    languages = tuple(manifest.get("languages", list) or ["en"])
    if "en" not in languages:
        manifest.fail("languages", "must include 'en' (the default language)")
    docs = _typeset(docs, languages)
    references = _references(docs["references.toml"], problems, languages)
    ref_ids = {r.id for r in references}
    factors = _factors(docs["factors.toml"], problems, languages)
    field_facts = {f.id: FactSpec(f.kind, f.values) for f in factors} | COMPUTED_FACTS
    guards = _guards(docs["derived.toml"], set(field_facts) | set(CONTENT_FACTS), problems)
    field_facts |= guards
    derived_facts, floor = _derived(docs["derived.toml"], field_facts, ref_ids, problems,
                                    languages)
    facts = field_facts | CONTENT_FACTS
    # Text variants and claims are resolved after every option has its verdict: they may read
    # the verdict of any option.
    every_verdict = dict(facts) | {
        f"verdict.{doc.get('id')}": FactSpec("verdict", tuple(v.value for v in Verdict))
        for name, doc in docs.items() if name.startswith("options/") and doc.get("id")}
    rule_ids: dict[str, str] = {}
    make_rule = _rule_maker(facts, ref_ids, rule_ids, problems, languages, every_verdict)
    validation = _validation(docs["validation.toml"], make_rule, problems, languages, facts)
    global_doc = _Checker(docs["global.toml"], "global.toml", problems, languages)
    global_doc.unknown_keys({"schema_version", "rules", *REVIEW_FIELDS})
    global_rules = tuple(make_rule(raw, f"global.toml -> rules -> {i}", verdict=True)
                         for i, raw in enumerate(global_doc.get("rules", list, [])))
    rule_sets = {name.removeprefix("rule_sets/").removesuffix(".toml"): doc
                 for name, doc in docs.items() if name.startswith("rule_sets/")}
    aspects = _aspects(docs["sheet.toml"], problems)
    options = _options(docs, rule_sets, make_rule, facts, ref_ids, problems, languages,
                       every_verdict, tuple(a.id for a in aspects))
    strings = _strings(docs, problems, languages)
    problems += [f"sheet.toml -> {lang}: aspect '{a.id}' needs its label {key}"
                 for a in aspects for key in (f"row_{a.id}", f"more_{a.id}")
                 for lang in languages if f"sheet.{key}" not in strings[lang]]
    locale = _Checker(docs["locale.toml"], "locale.toml", problems, languages)
    same_ok = locale.get("same_in_every_language", list, []) or []
    problems += translation_problems(docs, languages, frozenset(map(str, same_ok)))
    claims = _claims(docs["claims.toml"], every_verdict, problems, languages)
    for name in guards:  # a guard is checked once where it is written, even if unused
        parse_condition(guards[name].values[0], every_verdict, f"derived.toml -> guards -> {name}",
                        problems)
    return Content(
        version=f"{manifest.get('version', str) or '0'}+{digest}",
        label=manifest.get("label", str) or "",
        languages=languages,
        factors=factors,
        options=options,
        validation=validation,
        global_rules=global_rules,
        references=references,
        strings=strings,
        groups=_groups(docs["factors.toml"], problems, languages),
        derived_facts=derived_facts,
        claims=claims,
        aspects=aspects,
        child_pugh_floor=floor,
        reviews=_reviews(docs, problems),
    )


def _typeset(docs: dict[str, dict[str, Any]],
             languages: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Every text of a language with typography rules (locale.toml), typeset once, here: the one
    place French punctuation spacing is applied (localise.typeset). locale.toml itself holds the
    rules and is left as written."""
    locale_doc = docs.get("locale.toml", {})
    rules = {lang: Typography.from_mapping(table) for lang in languages
             if isinstance(table := locale_doc.get(lang), dict)}
    rules = {lang: r for lang, r in rules.items() if r != Typography()}
    if not rules:
        return docs
    return {name: doc if name == "locale.toml" else typeset_tree(doc, rules)
            for name, doc in docs.items()}


def _source_texts(c: _Checker, languages: tuple[str, ...]) -> tuple[SourceText, ...]:
    """`fr = { citation = "...", url = "...", review = "..." }` of a reference: the source's own
    page in that language. `url` may be left out (the English address is then printed); `review`
    says what a reviewer still has to check."""
    out = []
    for lang in languages:
        if lang == "en" or lang not in c.table:
            continue
        own = _Checker(c.table[lang], f"{c.where} -> {lang}", c.problems, languages)
        own.unknown_keys({"citation", "url", "review"})
        url = own.get("url", str, "") or ""
        if url and not url.startswith(("https://", "http://")):
            own.fail("url", "expected a web address starting with https://")
        out.append(SourceText(lang, own.get("citation", str) or "", url,
                              own.get("review", str, "") or ""))
    return tuple(out)


def _reviews(docs: dict[str, dict[str, Any]], problems: list[str]) -> tuple[FileReview, ...]:
    """The review fields every content file carries: who reviewed it (clinically), who checked
    it (a second reader), when, and when it is next due. A placeholder `reviewed_by`
    ("Pending clinical review ...") marks the file, and so the content, as a draft."""
    out = []
    for name, doc in sorted(docs.items()):
        c = _Checker(doc, name, problems, ())
        reviewed_by, checked_by = c.get("reviewed_by", str), c.get("checked_by", str)
        last, following = c.get("last_reviewed", date), c.get("next_review", date)
        if last and following and last >= following:
            c.fail("next_review", "must be after last_reviewed")
        out.append(FileReview(name, reviewed_by or "", checked_by or "", last, following))
    return tuple(out)


def _derived(doc: dict[str, Any], facts: dict[str, FactSpec], ref_ids: set[str],
             problems: list[str],
             languages: tuple[str, ...]) -> tuple[tuple[DerivedFact, ...], tuple[Any, ...]]:
    """derived.toml: the named clinical facts, each a condition on the fields (and on the facts
    defined before it), and the bilirubin floor of the Child-Pugh score."""
    top = _Checker(doc, "derived.toml", problems, languages)
    top.unknown_keys({"schema_version", "facts", "guards", "child_pugh_floor", *REVIEW_FIELDS})
    visible = dict(facts)
    out = []
    for i, raw in enumerate(top.get("facts", list, [])):
        where = f"derived.toml -> facts -> {i}"
        c = _Checker(raw, where, problems, languages)
        c.unknown_keys({"id", "kind", "when", "sources", "meaning"})
        fact_id = c.get("id", str) or "?"
        c.get("kind", str, choices=("yes_no",))
        if fact_id not in CONTENT_FACTS:
            c.fail("id", f"unknown derived fact {fact_id!r} (expected one of "
                         f"{', '.join(CONTENT_FACTS)})")
        when = parse_condition(c.get("when", (str, list, dict)) or [], visible, f"{where} -> when",
                               problems)
        sources = _sources(c, ref_ids)
        out.append(DerivedFact(fact_id, "yes_no", when, sources, c.text("meaning"),
                               test=compile_condition(when)))
        visible[fact_id] = CONTENT_FACTS.get(fact_id, FactSpec("yes_no"))
    missing = [f for f in CONTENT_FACTS if f not in {d.id for d in out}]
    if missing:
        top.fail("facts", f"no definition for {', '.join(missing)}")
    floor = []
    for i, raw in enumerate(top.get("child_pugh_floor", list, [])):
        where = f"derived.toml -> child_pugh_floor -> {i}"
        c = _Checker(raw, where, problems, languages)
        c.unknown_keys({"when", "at_least", "sources"})
        when = parse_condition(c.get("when", (str, list, dict)) or [], facts, f"{where} -> when",
                               problems)
        _sources(c, ref_ids)
        floor.append((compile_condition(when), c.get("at_least", int) or 5))
    return tuple(out), tuple(floor)


def _guards(doc: dict[str, Any], names: set[str], problems: list[str]) -> dict[str, FactSpec]:
    """derived.toml [guards]: named parts of conditions (written text), used by name in rules."""
    raw = doc.get("guards", {})
    if not isinstance(raw, dict):
        problems.append("derived.toml -> guards: expected a table of name = \"condition\"")
        return {}
    out = {}
    for name, text in raw.items():
        if not isinstance(text, str) or not text.strip():
            problems.append(f"derived.toml -> guards -> {name}: expected a written condition")
        elif name in names:
            problems.append(f"derived.toml -> guards -> {name}: this name is already a fact")
        else:
            out[name] = FactSpec("guard", (text,))
    return out


def _sources(c: _Checker, ref_ids: set[str]) -> tuple[str, ...]:
    sources = tuple(c.get("sources", list, []) or ())
    for source in sources:
        if source not in ref_ids:
            c.fail("sources", f"unknown reference {source!r}")
    return sources


def _claims(doc: dict[str, Any], facts: dict[str, FactSpec], problems: list[str],
            languages: tuple[str, ...]) -> tuple[Claim, ...]:
    """claims.toml: what a sentence may assert about the patient, and when that is true."""
    top = _Checker(doc, "claims.toml", problems, languages)
    top.unknown_keys({"schema_version", "claims", *REVIEW_FIELDS})
    out = []
    for i, raw in enumerate(top.get("claims", list, [])):
        where = f"claims.toml -> claims -> {i}"
        c = _Checker(raw, where, problems, languages)
        c.unknown_keys({"id", "phrases", "when", "meaning"})
        table = c.get("phrases", dict, {}) or {}
        localised = []
        for lang in languages:  # every sheet language says the claim its own way
            phrases = table.get(lang)
            if not isinstance(phrases, list) or not phrases or not all(
                    isinstance(p, str) and p.strip() for p in phrases):
                c.fail(f"phrases.{lang}", "a claim needs a non-empty list of phrases in every "
                                          "sheet language (write it as phrases.fr = [\"...\"])")
                phrases = []
            localised.append((lang, tuple(claim_form(p) for p in phrases)))
        when = parse_condition(c.get("when", (str, list, dict)) or [], facts, f"{where} -> when",
                               problems)
        out.append(Claim(c.get("id", str) or "?", dict(localised).get("en", ()), when,
                         c.text("meaning"), test=compile_condition(when),
                         localised=tuple(localised)))
    return tuple(out)


def _variant_tables(raw: Any, where: str, problems: list[str],
                    languages: tuple[str, ...]) -> Iterator[tuple[str, _Checker]]:
    """Each table of a list of variant tables, with its place and a checker for it."""
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(f"{where}: expected a list of variant tables")
        return
    for i, item in enumerate(raw):
        yield f"{where} -> {i}", _Checker(item, f"{where} -> {i}", problems, languages)


def _rule_variants(raw: Any, where: str, facts: dict[str, FactSpec], problems: list[str],
                   languages: tuple[str, ...]) -> tuple[Variant, ...]:
    """`[[rules.variants]]` of a rule: when, patient.<lang> and optionally clinician.<lang>."""
    out = []
    for place, c in _variant_tables(raw, where, problems, languages):
        c.unknown_keys({"when", "patient", "clinician"})
        when = parse_condition(c.get("when", (str, list, dict)) or [], facts,
                               f"{place} -> when", problems)
        out.append(Variant("rule", when, c.text("patient"),
                           clinician=c.text("clinician", required=False),
                           test=compile_condition(when)))
    return tuple(out)


def _variants(raw: Any, where: str, facts: dict[str, FactSpec], keys: tuple[str, ...],
              lists: tuple[str, ...], problems: list[str],
              languages: tuple[str, ...]) -> tuple[Variant, ...]:
    """`[[variants]]` of an option, or `variants` of a rule: key, when, text.<lang>."""
    out = []
    for place, c in _variant_tables(raw, where, problems, languages):
        c.unknown_keys({"key", "when", "text"})
        key = c.get("key", str, choices=keys)
        when = parse_condition(c.get("when", (str, list, dict)) or [], facts,
                               f"{place} -> when", problems)
        text = c.text_list("text") if key in lists else c.text("text")
        out.append(Variant(key or "?", when, text, test=compile_condition(when)))
    return tuple(out)


def _groups(doc: dict[str, Any], problems: list[str],
            languages: tuple[str, ...]) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The factor groups of factors.toml, in form order: (id, label)."""
    out = []
    for i, raw in enumerate(doc.get("groups", []) if isinstance(doc.get("groups"), list) else []):
        c = _Checker(raw, f"factors.toml -> groups -> {i}", problems, languages)
        c.unknown_keys({"id", "label"})
        out.append((c.get("id", str), c.text("label")))
    return tuple(out)


def _references(doc: dict[str, Any], problems: list[str],
                languages: tuple[str, ...]) -> tuple[Reference, ...]:
    out, seen = [], set()
    for i, raw in enumerate(doc.get("references", [])):
        c = _Checker(raw, f"references.toml -> references -> {i}", problems, languages)
        c.unknown_keys({"id", "citation", "url", "year", "kind", *languages} - {"en"})
        ref = Reference(c.get("id", str), c.get("citation", str), c.get("url", str, ""),
                        str(c.get("year", (str, int), "")), c.get("kind", str, "other",
                                                                   REFERENCE_KINDS),
                        _source_texts(c, languages))
        if ref.id in seen:
            c.fail("id", f"duplicate reference id {ref.id!r}")
        seen.add(ref.id)
        out.append(ref)
    if not out:
        problems.append("references.toml -> references: no references")
    return tuple(out)


def _factors(doc: dict[str, Any], problems: list[str],
             languages: tuple[str, ...]) -> tuple[Factor, ...]:
    out: list[Factor] = []
    top = _Checker(doc, "factors.toml", problems, languages)
    top.unknown_keys({"schema_version", "groups", "fields", *REVIEW_FIELDS})
    groups = {g.get("id") for g in top.get("groups", list, []) if isinstance(g, dict)}
    for i, raw in enumerate(top.get("fields", list, [])):
        c = _Checker(raw, f"factors.toml -> fields -> {i}", problems, languages)
        c.unknown_keys({"id", "group", "core", "kind", "values", "value_labels", "minimum",
                        "maximum", "unit", "label", "patient_label", "help", "default",
                        "alias_of", "alias_factor", "alias_round"})
        kind = c.get("kind", str, choices=FACTOR_KINDS)
        values = tuple(c.get("values", list, []) or ())
        if kind == "choice" and not values:
            c.fail("values", "a choice field needs a list of values")
        if c.get("group", str) not in groups:
            c.fail("group", f"unknown group {c.table.get('group')!r}")
        value_labels = c.get("value_labels", dict, {}) or {}
        for value in values:
            if value not in value_labels:
                c.fail("value_labels", f"no label for value {value!r}")
        minimum = c.get("minimum", (int, float), None)
        maximum = c.get("maximum", (int, float), None)
        if minimum is not None and maximum is not None and minimum > maximum:
            c.fail("minimum", "minimum is above maximum")
        group: Any = c.table.get("group")  # checked above
        out.append(Factor(
            id=c.get("id", str), kind=kind, core=c.get("core", bool), group=group,
            label=c.text("label"), patient_label=c.text("patient_label"), help=c.text("help"),
            unit=c.get("unit", str, ""), values=values, value_labels=value_labels,
            minimum=minimum, maximum=maximum, default=c.table.get("default"),
            alias_of=c.get("alias_of", str, ""),
            alias_factor=c.get("alias_factor", (int, float), 1),
            alias_round=c.get("alias_round", int, None)))
    ids = [f.id for f in out]
    for dup in sorted({x for x in ids if ids.count(x) > 1}):
        problems.append(f"factors.toml -> fields: duplicate field id {dup!r}")
    for f in out:
        if f.alias_of and f.alias_of not in ids:
            problems.append(f"factors.toml -> {f.id} -> alias_of: unknown field {f.alias_of!r}")
    return tuple(out)


def _rule_maker(facts: dict[str, FactSpec], ref_ids: set[str], rule_ids: dict[str, str],
                problems: list[str], languages: tuple[str, ...],
                variant_facts: dict[str, FactSpec]) -> Callable[..., Rule]:
    def make(raw: Any, where: str, *, verdict: bool, extra: frozenset[str] = frozenset(),
             patient: bool = True, rule_facts: dict[str, FactSpec] | None = None,
             needs_when: bool = True) -> Rule:
        c = _Checker(raw, where, problems, languages)
        c.unknown_keys({"id", "when", "verdict", "sources", "tag", "track", "clinician",
                        "patient", "variants"} | set(extra))
        rule_id = c.get("id", str) or "?"
        if rule_id in rule_ids:
            c.fail("id", f"duplicate rule id {rule_id!r} (also in {rule_ids[rule_id]})")
        rule_ids[rule_id] = where
        sources = tuple(c.get("sources", list, []) or ())
        for source in sources:
            if source not in ref_ids:
                c.fail("sources", f"unknown reference {source!r}")
        verdict_value = None
        if verdict:
            raw_verdict = c.get("verdict", str, choices=tuple(v.value for v in Verdict))
            verdict_value = Verdict(raw_verdict) if raw_verdict else None
        elif "verdict" in c.table:
            c.fail("verdict", "this entry cannot set a verdict")
        when: Condition = Always()
        if "when" in c.table:
            when = parse_condition(c.table["when"], rule_facts or facts, f"{where} -> when",
                                   problems)
        elif needs_when:
            c.fail("when", "required key is missing")
        return Rule(id=rule_id, when=when, test=compile_condition(when), verdict=verdict_value,
                    clinician=c.text("clinician"),
                    patient=c.text("patient", required=patient), sources=sources,
                    tag=c.get("tag", str, choices=TAGS), track=c.get("track", str, "main"),
                    fields=tuple(c.get("fields", list, []) or ()),
                    severity=c.table.get("severity", ""),
                    variants=_rule_variants(c.table.get("variants"), f"{where} -> variants",
                                            variant_facts, problems, languages))
    return make


def _validation(doc: dict[str, Any], make_rule: Callable[..., Rule], problems: list[str],
                languages: tuple[str, ...], facts: dict[str, FactSpec]) -> tuple[Rule, ...]:
    top = _Checker(doc, "validation.toml", problems, languages)
    top.unknown_keys({"schema_version", "codes", *REVIEW_FIELDS})
    out = []
    for i, raw in enumerate(top.get("codes", list, [])):
        where = f"validation.toml -> codes -> {i}"
        rule = make_rule(raw, where, verdict=False, extra={"severity", "fields"}, patient=False)
        c = _Checker(raw, where, problems, languages)
        c.get("severity", str, choices=("error", "warning"))
        for field_id in rule.fields:
            if field_id not in facts:
                c.fail("fields", f"unknown field {field_id!r}")
        out.append(rule)
    return tuple(out)


def _options(docs: dict[str, dict[str, Any]], rule_sets: dict[str, dict[str, Any]],
             make_rule: Callable[..., Rule],
             facts: dict[str, FactSpec], ref_ids: set[str], problems: list[str],
             languages: tuple[str, ...], every_verdict: dict[str, FactSpec],
             grid_keys: tuple[str, ...]) -> tuple[Option, ...]:
    raw_options = {name: doc for name, doc in docs.items() if name.startswith("options/")}
    phases = {doc.get("id"): doc.get("phase") for doc in raw_options.values()}
    set_rules = {name: _rule_set(doc, f"rule_sets/{name}.toml", make_rule, problems, languages)
                 for name, doc in sorted(rule_sets.items())}
    out = []
    for name, doc in sorted(raw_options.items()):
        option = _option(name, doc, set_rules, make_rule, facts, phases, ref_ids, problems,
                         languages, every_verdict, grid_keys)
        if option is not None:
            out.append(option)
    orders = [o.order for o in out]
    for dup in sorted({x for x in orders if orders.count(x) > 1}):
        problems.append(f"options: two options share order {dup}")
    if not out:
        problems.append("options: no option files found")
    return tuple(sorted(out, key=lambda o: o.order))


def _rule_set(doc: dict[str, Any], where: str, make_rule: Callable[..., Rule], problems: list[str],
              languages: tuple[str, ...]) -> list[tuple[Rule, tuple[str, ...]]]:
    top = _Checker(doc, where, problems, languages)
    top.unknown_keys({"schema_version", "id", "rules", *REVIEW_FIELDS})
    if top.table.get("id", Path(where).stem) != Path(where).stem:
        top.fail("id", f"must equal the file name {Path(where).stem!r}")
    out = []
    for i, raw in enumerate(top.get("rules", list, [])):
        only = tuple(raw.get("only", [])) if isinstance(raw, dict) else ()
        out.append((make_rule(raw, f"{where} -> rules -> {i}", verdict=True, extra={"only"}),
                    only))
    return out


def _option(name: str, doc: dict[str, Any], set_rules: dict[str, Any],
            make_rule: Callable[..., Rule], facts: dict[str, FactSpec], phases: dict[Any, Any],
            ref_ids: set[str], problems: list[str],
            languages: tuple[str, ...], every_verdict: dict[str, FactSpec],
            grid_keys: tuple[str, ...]) -> Option | None:
    """One option file; `grid_keys` are the aspects' ids: each needs its short grid text."""
    c = _Checker(doc, name, problems, languages)
    c.unknown_keys({"schema_version", "id", "order", "phase", "active", "combine", "goal",
                    "sources", "reviewed_by", "last_reviewed", "next_review", "rule_sets",
                    "default", "rules", "notes", "lines", "variants", "grid", *REVIEW_FIELDS,
                    *OPTION_TEXTS, *OPTION_SHORT_TEXTS, *OPTION_LISTS})
    option_id = c.get("id", str)
    if option_id and option_id != Path(name).stem:
        c.fail("id", f"must equal the file name {Path(name).stem!r}, got {option_id!r}")
    phase = c.get("phase", int)
    combine = c.get("combine", str, "worst", COMBINES)
    # An option may read the verdicts of options of an earlier phase only.
    visible = dict(facts) | {
        f"verdict.{other}": FactSpec("verdict", tuple(v.value for v in Verdict))
        for other, other_phase in phases.items()
        if isinstance(other_phase, int) and phase is not None and other_phase < phase}
    rules = [make_rule(raw, f"{name} -> rules -> {i}", verdict=True, rule_facts=visible)
             for i, raw in enumerate(c.get("rules", list, []))]
    for set_name in c.get("rule_sets", list, []) or []:
        if set_name not in set_rules:
            c.fail("rule_sets", f"unknown rule set {set_name!r}")
            continue
        rules += [rule for rule, only in set_rules[set_name] if not only or option_id in only]
    for rule in rules:
        if combine == "worst" and rule.track != "main":
            c.fail("rules", f"{rule.id}: tracks are only used with combine = 'best_of_tracks'")
    default = make_rule(c.table.get("default"), f"{name} -> default", verdict=False,
                        needs_when=False)
    notes = tuple(make_rule(raw, f"{name} -> notes -> {i}", verdict=False, patient=False)
                  for i, raw in enumerate(c.get("notes", list, [])))
    lines_table = c.get("lines", dict, {}) or {}
    lines_checker = _Checker(lines_table, f"{name} -> lines", problems, languages)
    lines = {key: lines_checker.text(key) for key in lines_table}
    variants = _variants(c.table.get("variants"), f"{name} -> variants", every_verdict,
                         (*OPTION_TEXTS, *OPTION_LISTS, *(f"lines.{k}" for k in lines)),
                         OPTION_LISTS, problems, languages)
    grid = _Checker(c.table.get("grid"), f"{name} -> grid", problems, languages)
    grid.unknown_keys({*grid_keys, "notes"})
    grid_texts = {f"grid.{key}": grid.text(key) for key in grid_keys}
    sheet_notes = tuple(grid.get("notes", list, []) or [])
    for note in sheet_notes:
        if note not in {n.id for n in notes if n is not None}:
            grid.fail("notes", f"{note!r} is not an agent note of this option")
    for source in c.get("sources", list, []) or []:
        if source not in ref_ids:
            c.fail("sources", f"unknown reference {source!r}")
    if any(p.startswith(name) for p in problems):
        return None
    review = c.table  # the review fields are checked for every file by _reviews()
    last_reviewed: Any = review.get("last_reviewed")  # a date: _reviews() checks it
    next_review: Any = review.get("next_review")
    return Option(
        id=option_id, order=c.get("order", int), phase=phase, active=c.get("active", bool),
        combine=combine, goal=c.get("goal", str, choices=GOALS),
        sources=tuple(c.get("sources", list, [])), reviewed_by=review.get("reviewed_by", ""),
        last_reviewed=last_reviewed, next_review=next_review,
        checked_by=review.get("checked_by", ""),
        text={key: c.text(key) for key in OPTION_TEXTS}
        | {key: t for key in OPTION_SHORT_TEXTS if (t := c.text(key, required=False))}
        | grid_texts,
        lists={key: c.text_list(key) for key in OPTION_LISTS},
        default=default, rules=tuple(rules), notes=notes, lines=lines, variants=variants,
        sheet_notes=sheet_notes)


def _aspects(doc: dict[str, Any], problems: list[str]) -> tuple[Aspect, ...]:
    """sheet.toml `[[aspects]]`: what the options are compared on, in order, on sheet and screen
    (each: an id, and the option texts that say it at length)."""
    raw = doc.get("aspects")
    if not isinstance(raw, list) or not raw:
        problems.append("sheet.toml -> aspects: expected a list of aspect tables")
        return ()
    out: list[Aspect] = []
    for i, item in enumerate(raw):
        c = _Checker(item, f"sheet.toml -> aspects -> {i}", problems, ())
        c.unknown_keys({"id", "detail"})
        aspect_id = c.get("id", str) or "?"
        detail = c.get("detail", list) or []
        if not detail or any(key not in OPTION_TEXTS for key in detail):
            c.fail("detail", f"expected a list of option texts among: {', '.join(OPTION_TEXTS)}")
        if aspect_id in {a.id for a in out}:
            c.fail("id", f"aspect '{aspect_id}' is listed twice")
        out.append(Aspect(aspect_id, tuple(str(k) for k in detail)))
    return tuple(out)


def _strings(docs: dict[str, dict[str, Any]], problems: list[str],
             languages: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """sheet.toml, ui.toml and locale.toml: `[lang]` tables, merged as `<file>.<key>`.

    Every other language of the patient-facing files is checked against English by
    translations.py; ui.toml (the clinician's screen) needs English only.
    """
    out: dict[str, dict[str, Any]] = {lang: {} for lang in languages}
    for stem in STRING_FILES:
        doc = docs[f"{stem}.toml"]
        c = _Checker(doc, f"{stem}.toml", problems, languages)
        c.unknown_keys({"schema_version", *REVIEW_FIELDS, *languages}
                       | ({"same_in_every_language"} if stem == "locale" else set())
                       | ({"aspects"} if stem == "sheet" else set()))
        for lang in languages:
            table = c.get(lang, dict, {}) or {}
            for key, value in table.items():
                if not _string_value_ok(value):
                    c.fail(f"{lang}.{key}", "expected text, a list of text, or a list of tables")
                out[lang][f"{stem}.{key}"] = value
    return out


def _string_value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(isinstance(v, (str, dict)) for v in value) and bool(value)
    return False
