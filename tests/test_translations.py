"""The loader refuses a patient-facing text without its French, or with French equal to English."""

from __future__ import annotations

import pytest

from dashboard.core.translations import SAME_MESSAGE as SAME
from dashboard.core.translations import translation_problems

LANGS = ("en", "fr")


@pytest.mark.hazard("H100")
def test_a_patient_text_without_french_is_refused_with_its_place():
    docs = {"options/pei.toml": {"name": {"en": "Alcohol injection"},
                                 "rules": [{"patient": {"en": "Too large.", "fr": "Trop gros."}},
                                           {"patient": {"en": "Too small."}}]}}

    problems = translation_problems(docs, LANGS)

    assert problems == ["options/pei.toml -> name.fr: text is missing or empty",
                        "options/pei.toml -> rules -> 1 -> patient.fr: text is missing or empty"]


@pytest.mark.hazard("H101")
def test_french_equal_to_english_is_refused_unless_declared_the_same_in_every_language():
    docs = {"options/tace.toml": {"name": {"en": "TACE [S1]", "fr": "TACE"},
                                  "summary": {"en": "Tiny beads.", "fr": "tiny  beads."}}}

    problems = translation_problems(docs, LANGS, same_ok=frozenset({"TACE"}))

    assert problems == [f"options/tace.toml -> summary.fr: {SAME}"]


def test_the_clinicians_own_words_need_english_only():
    docs = {"options/rfa.toml": {"clinical_name": {"en": "RFA"},
                                 "rules": [{"clinician": {"en": "ECOG 2"}}]},
            "factors.toml": {"fields": [{"label": {"en": "ECOG"}, "help": {"en": "0-4"},
                                         "value_labels": {"yes": {"en": "Yes"}}}]},
            "ui.toml": {"en": {"verdict_caution": "Consider with caution"}}}

    assert translation_problems(docs, LANGS) == []


@pytest.mark.hazard("H100")
def test_lists_need_as_many_french_items_each_translated():
    docs = {"options/sbrt.toml": {"questions": {"en": ["Why?", "How?"], "fr": ["Pourquoi?"]},
                                  "checks": {"en": ["Scans", "Labs"], "fr": ["Examens", "Labs"]}}}

    problems = translation_problems(docs, LANGS)

    assert problems == [
        "options/sbrt.toml -> questions.fr: expected 2 items like the English list",
        f"options/sbrt.toml -> checks.fr -> 1: {SAME}"]


@pytest.mark.hazard("H100")
def test_string_files_compare_their_french_table_key_by_key_including_glossary_entries():
    docs = {"sheet.toml": {"schema_version": 1,
                           "en": {"title": "Your options", "row_header": "",
                                  "glossary": [{"term": "liver", "definition": "An organ."}]},
                           "fr": {"row_header": "",
                                  "glossary": [{"term": "foie", "definition": "An organ."}]}}}

    problems = translation_problems(docs, LANGS)

    assert problems[0] == "sheet.toml -> fr.title: text is missing or empty"
    assert problems[1].startswith("sheet.toml -> fr.glossary -> 0 -> definition: same as")
    assert len(problems) == 2


def test_with_english_only_nothing_is_asked():
    docs = {"options/pei.toml": {"name": {"en": "Alcohol injection"}}}

    assert translation_problems(docs, ("en",)) == []


@pytest.mark.hazard("H101")
def test_a_mark_may_be_a_space_but_a_sentence_may_not_be_blank():
    docs = {"locale.toml": {"en": {"thousands_mark": ",", "name": "English"},
                            "fr": {"thousands_mark": "\u00a0", "name": " "}}}

    assert translation_problems(docs, LANGS) == [
        "locale.toml -> fr.name: text is missing or empty"]
