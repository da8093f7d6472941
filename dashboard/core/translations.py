"""Every patient-facing text of the content files exists in every sheet language, translated.

The loader calls `translation_problems` with the parsed TOML documents. A patient-facing text is
any `key.en = ...` (text or list of texts) and any `[en]` table of a string file, except the
clinician's own words (SCREEN_ONLY keys, and ui.toml, the clinician's screen), which need English
only. For every other language of the manifest, each such text must be present, not empty, have
as many items as the English list, and differ from the English: a French sentence equal to the
English one is an untranslated one. Names written the same in both languages (drugs, trials,
abbreviations such as TACE) are declared in locale.toml -> same_in_every_language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

DEFAULT_LANG = "en"
# Text keys that only the clinician's screen shows (the screen may stay in English).
SCREEN_ONLY = frozenset({"clinician", "help", "label", "clinical_name", "value_labels",
                         "abbreviation", "meaning"})
SCREEN_FILES = frozenset({"ui.toml", "clinic_day.toml",  # clinic_day: care-team pages
                          "input.toml"})  # refused input: command line and clinic day
# Keys that are per-language but not translations of each other: a claim's phrases (claims.toml)
# are what each language's sentences say, as many as that language needs (checked by the loader).
NOT_TRANSLATIONS = frozenset({"phrases"})
SAME_MESSAGE = ("same as the English text (translate it; a name that is the same in every language "
                "goes in locale.toml -> same_in_every_language)")
_MARKERS = re.compile(r"\[S\d+\]")


def translation_problems(docs: dict[str, dict[str, Any]], languages: tuple[str, ...],
                         same_ok: frozenset[str] = frozenset()) -> list[str]:
    """`file -> key -> index: message` for each missing or untranslated patient-facing text."""
    others = [lang for lang in languages if lang != DEFAULT_LANG]
    if not others:
        return []
    allowed = {_normal(s) for s in same_ok}
    problems: list[str] = []
    for name, doc in sorted(docs.items()):
        if name in SCREEN_FILES:
            continue
        for where, text in patient_texts(doc, [name]):
            for lang in others:
                problems += _check(where, text, lang, allowed)
    return problems


def same_as_english(text: str, english: str) -> bool:
    """Equal once source markers, spacing and case are set aside."""
    return _normal(text) == _normal(english)


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _normal(text: str) -> str:
    return " ".join(_MARKERS.sub(" ", text).split()).casefold()


def patient_texts(node: Any, path: list[str]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(path, {lang: value}) for each localised patient-facing text under `node`."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from patient_texts(item, [*path, str(i)])
        return
    if not isinstance(node, dict):
        return
    if len(path) == 1 and isinstance(node.get(DEFAULT_LANG), dict):
        # a string file's language tables: [en] key = ..., [fr] key = ...
        tables = {lang: table for lang, table in node.items() if isinstance(table, dict)}
        for key in tables[DEFAULT_LANG]:
            yield [*path, f"{{lang}}.{key}"], {lang: t.get(key) for lang, t in tables.items()}
        return
    for key, value in node.items():
        if key in SCREEN_ONLY or key in NOT_TRANSLATIONS:
            continue
        if isinstance(value, dict) and isinstance(value.get(DEFAULT_LANG), (str, list)):
            yield [*path, f"{key}.{{lang}}"], value
        else:
            yield from patient_texts(value, [*path, key])


def _check(where: list[str], text: dict[str, Any], lang: str,
           allowed: set[str]) -> list[str]:
    at = " -> ".join(where).replace("{lang}", lang)
    english, other = text.get(DEFAULT_LANG), text.get(lang)
    if isinstance(english, list):
        if not isinstance(other, list) or len(other) != len(english):
            return [f"{at}: expected {len(english)} items like the English list"]
        problems = []
        for i, (e, o) in enumerate(zip(english, other)):
            problems += _check_one(f"{at} -> {i}", e, o, allowed)
        return problems
    return _check_one(at, english, other, allowed)


def _check_one(at: str, english: Any, other: Any, allowed: set[str]) -> list[str]:
    if isinstance(english, dict):  # a table inside a list (a glossary entry)
        if not isinstance(other, dict):
            return [f"{at}: expected a table like the English one"]
        return [p for key in english
                for p in _check_one(f"{at} -> {key}", english[key], other.get(key), allowed)]
    if not isinstance(english, str) or not english.strip():
        return []
    if not isinstance(other, str) or not (other.strip() or (other and not _has_words(english))):
        return [f"{at}: text is missing or empty"]
    if same_as_english(other, english) and _normal(english) not in allowed:
        return [f"{at}: {SAME_MESSAGE}"]
    return []
