"""French sheets (issue #14): every page in French, no English sentence left, readable.

Each scenario makes a real PDF through the service (the pipeline of the screen and the command
line) and reads its text back with pypdf, so the tests see what the patient sees.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from functools import cache

import pytest
import textstat

from dashboard.core.engine import assess
from dashboard.core.explain import finding_text
from dashboard.core.localise import date_in_words, locale_for
from dashboard.core.translations import patient_texts, same_as_english
from dashboard.service import Choices, PatientDetails, prepare_sheet
from tests.conftest import ROOT, make_factors
from tests.safety_support import pdf_pages

CREATED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # the 1st: « 1er décembre 2026 »
PATIENT = PatientDetails(name="Jeanne Tremblay", clinician="Dre Roy", team_phone="514 555-0100")
# (name, factors, options ticked): a range of patients and of verdicts
SCENARIOS = {
    "small_single_tumour": (make_factors(), ("resection", "rfa", "transplant")),
    "vein_invasion_unknown_activity": (make_factors(ecog=None, portal_vein_invasion="segmental"),
                                       ("tace", "tare", "systemic")),
    "spread_outside_the_liver": (make_factors(recurrence_site="liver_and_extrahepatic",
                                              months_since_last_curative_treatment=10),
                                 ("systemic", "sbrt", "supportive_care")),
    "poor_liver_declines_treatment": (make_factors(child_pugh_score=10, ecog=3,
                                                   patient_goal="declines_active"),
                                      ("supportive_care", "clinical_trial")),
}


def _sheet(content, name: str, lang: str) -> list[str]:
    factors, selected = SCENARIOS[name]
    outcome = prepare_sheet(factors, Choices(selected=selected, language=lang), content,
                            patient=PATIENT, created=CREATED)
    assert outcome.ok, outcome.errors
    return pdf_pages(outcome.pdf)


@cache
def _pdf(name: str, lang: str) -> tuple[str, ...]:
    from dashboard.core.loader import load_content
    return tuple(_sheet(load_content(), name, lang))


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold()


def _without_citations(text: str, content) -> str:
    """The flat text less the titles of the sources (English documents keep their own titles)."""
    for reference in content.references:
        text = text.replace(_flat(reference.citation), " ")
    return re.sub(r"https?://\S+", " ", text)


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.hazard("H104")
def test_every_page_carries_the_french_footer_and_page_n_de_m(content, name):
    pages = _pdf(name, "fr")
    words = lambda key: content.string(f"sheet.{key}", "fr")  # noqa: E731

    for number, page in enumerate(pages, start=1):
        flat = _flat(page)
        assert f"page {number} de {len(pages)}" in flat
        assert _flat(words("footer_disclaimer")) in flat
        assert content.version.split("+")[0] in flat
    assert "1er décembre 2026" in _flat(" ".join(pages))


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.hazard("H104")
def test_option_names_and_personal_reasons_are_printed_in_french(content, name):
    factors, selected = SCENARIOS[name]
    text = _without_citations(_flat(" ".join(_pdf(name, "fr"))), content)
    assessment = assess(factors, content)

    for option_id in selected:
        option = content.option(option_id)
        assert _flat(option.name("fr")) in text
        assert _flat(option.name("en")) not in text
        for finding in assessment.result(option_id).findings:
            reason = finding_text(finding, content, "fr", audience="patient")
            english = finding_text(finding, content, "en", audience="patient")
            assert not same_as_english(reason, english)


def _sentences(english, french) -> list[str]:
    """The sentences (three words or more) of an English text whose French differs from it."""
    if isinstance(english, list):
        others = french if isinstance(french, list) else [None] * len(english)
        return [s for e, f in zip(english, others) for s in _sentences(e, f)]
    if isinstance(english, dict):  # a glossary entry
        return _sentences(english.get("definition"), (french or {}).get("definition"))
    if not isinstance(english, str) or (isinstance(french, str)
                                        and same_as_english(french, english)):
        return []
    parts = (p.strip(" .,:;()") for p in re.split(r"(?<=[.?!:])\s+|\{\w+\}|\[S\d+\]", english))
    return [p for p in parts if len(p.split()) >= 3]


def _english_sentences() -> set[str]:
    """Every sentence (three words or more) of every patient-facing English text in content/."""
    out: set[str] = set()
    for path in sorted((ROOT / "content").rglob("*.toml")):
        name = path.relative_to(ROOT / "content").as_posix()
        if name == "ui.toml":
            continue
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for _, text in patient_texts(doc, [name]):
            out |= {_flat(s) for s in _sentences(text.get("en"), text.get("fr"))}
    return out


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.hazard("H104")
def test_no_english_patient_sentence_remains_on_a_french_sheet(name):
    text = _flat(" ".join(_pdf(name, "fr")))
    sentences = _english_sentences()

    assert len(sentences) > 300  # the check reads the real content
    assert sorted(s for s in sentences if s in text) == []


def _prose(pages: tuple[str, ...], content, lang: str) -> str:
    """The sheet's text without footers, page labels and check codes."""
    footer = {_flat(content.string(f"sheet.{k}", lang)) for k in ("footer_disclaimer",)}
    lines = [line for page in pages for line in page.splitlines()
             if not re.search(r"\d+ (of|de) \d+|[A-F0-9]{4}-[A-F0-9]{4}", line)
             and _flat(line) not in footer]
    return "\n".join(lines)


@pytest.mark.parametrize("name", SCENARIOS)
def test_french_reads_as_easily_as_the_english_sheet(content, name):
    english = _prose(_pdf(name, "en"), content, "en")
    french = _prose(_pdf(name, "fr"), content, "fr")

    textstat.set_lang("en")
    english_ease = textstat.flesch_reading_ease(english)
    textstat.set_lang("fr")  # Kandel & Moles: 207 - 1.015 words/sentence - 73.6 syllables/word
    french_ease = textstat.flesch_reading_ease(french)
    textstat.set_lang("en")

    assert french_ease >= 60  # "standard" or easier on the Kandel-Moles scale
    assert french_ease >= english_ease - 10


def test_the_pdf_declares_its_language(content):
    import io

    from pypdf import PdfReader

    factors, selected = SCENARIOS["small_single_tumour"]
    for lang, tag in (("fr", "fr-CA"), ("en", "en-CA")):
        outcome = prepare_sheet(factors, Choices(selected=selected, language=lang), content,
                                created=CREATED)
        assert PdfReader(io.BytesIO(outcome.pdf)).trailer["/Root"]["/Lang"] == tag


@pytest.mark.hazard("H108")
def test_dates_follow_the_sheet_language(content):
    fr, en = locale_for(content, "fr"), locale_for(content, "en")

    assert date_in_words(CREATED.date(), fr) == "1er décembre 2026"
    assert date_in_words(CREATED.date(), en) != date_in_words(CREATED.date(), fr)


@pytest.mark.hazard("H104")
def test_a_clinic_day_list_with_mixed_languages_gives_each_patient_their_own(content):
    from dashboard.adapters import clinic_csv
    from dashboard.core import intake
    from dashboard.service import prepare_clinic_day

    columns = intake.template_columns(content)
    base = dict(clinic_csv.EXAMPLE, name="")
    rows = [dict(base, id="A1", language="fr"), dict(base, id="B2", language="en"),
            dict(base, id="C3", language="")]
    text = "\n".join([",".join(columns)] + [",".join(r.get(c, "") for c in columns)
                                             for r in rows]) + "\n"
    patients = intake.read_csv(text.encode("utf-8"), content)
    assert patients.ok, patients.problems

    day = prepare_clinic_day(patients, Choices(selected=("resection",), language="fr"),
                             content, created=CREATED)

    assert [p.language for p in day.patients] == ["fr", "en", "fr"]
    for patient in day.patients:
        assert patient.ok, patient.errors
        first = _flat(pdf_pages(patient.sheet.pdf)[0])
        french = _flat(content.string("sheet.footer_disclaimer", "fr")) in first
        english = _flat(content.string("sheet.footer_disclaimer", "en")) in first
        assert (french, english) == (patient.language == "fr", patient.language == "en")
    summary = clinic_csv.summary_csv(day, content).decode("utf-8-sig").splitlines()
    assert [line.split(",")[5] for line in summary] == ["language", "fr", "en", "fr"]


# English words that a French sentence never needs: one of them on a French sheet is English
# text that fell back or was glued in by code (" and " joining option names once did).
ENGLISH_WORDS = ("and", "the", "of", "with", "or", "you", "your", "is", "are", "not", "for",
                 "may", "be")


@pytest.mark.hazard("H104")
@pytest.mark.parametrize("overrides", [
    {}, dict(liver_tumour_count=2, cirrhosis=True, child_pugh_score=6),
    dict(recurrence_site="liver_and_extrahepatic", ecog=1),
    dict(prior_liver_transplant=True, transplant_candidate=False, liver_tumour_count=3),
    dict(child_pugh_score=11, cirrhosis=True, ecog=3), dict(ecog=None, afp_ng_ml=None),
])
def test_no_english_word_is_glued_into_a_french_sheet(content, overrides):
    """Every string of the French sheet with every option and section, less the sources' own
    titles (English documents keep them) and web addresses, has no English function word."""
    from dashboard.core.sheet import SheetChoices, build_sheet
    from tests.test_patient_texts import _block_strings

    choices = SheetChoices(selected=tuple(o.id for o in content.options),
                           include_not_fitting=True, more_about_options=True, full_sources=True)
    sheet = build_sheet(assess(make_factors(**overrides), content), content, choices,
                        today=CREATED.date(), lang="fr")
    strings = [t for block in sheet.blocks for t in _block_strings(block)]
    strings += [*sheet.footer_lines, sheet.page_label]
    # less web addresses, the check code and the content version's hash (hex: "7735-BE24")
    prose = [re.sub(r"https?://\S+|\b[A-F0-9]{4}-[A-F0-9]{4}\b|\+[0-9a-f]{8}\b", " ", t)
             for t in strings if not t.startswith("[S")]
    words = {w for t in prose for w in re.findall(r"[a-z]+", t.casefold())}

    assert len(prose) > 50
    assert sorted(words & set(ENGLISH_WORDS)) == []


@pytest.mark.hazard("H108")
@pytest.mark.parametrize("lang, printed", [("fr", "8 décembre 2026"), ("en", "December 8, 2026")])
def test_an_appointment_given_as_a_date_prints_in_words_in_the_sheet_language(content, lang,
                                                                           printed):
    """The screen and the clinic-day list pass the appointment as an ISO date (2026-12-08, read
    as 12 August by some): the sheet prints it in words, in the sheet's language."""
    from dashboard.core.document import LabelledValue
    from dashboard.core.sheet import SheetChoices, build_sheet

    choices = SheetChoices(selected=("resection",), appointment_date="2026-12-08")
    sheet = build_sheet(assess(make_factors(), content), content, choices,
                        today=CREATED.date(), lang=lang)
    values = {b.value for b in sheet.blocks if isinstance(b, LabelledValue)}

    assert printed in values and "2026-12-08" not in values
    assert date_in_words(CREATED.date(), locale_for(content, lang)) in values  # prepared on
