"""Sources on French sheets: the Société canadienne du cancer's own French pages (issue #14).

A source with a French page (content/references.toml -> `fr`) is cited on a French sheet with
that page's own title and address; a source without one keeps its English title and address,
never a title translated by us. Addresses not yet opened by a reviewer say so in `review`.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from dashboard.core.engine import assess
from dashboard.core.loader import ContentError, load_content
from dashboard.core.sheet import SheetChoices, build_sheet
from tests.conftest import ROOT, make_factors
from tests.test_patient_texts import _block_strings

TODAY = date(2026, 12, 3)


def _sheet_strings(content, lang: str, full_sources: bool) -> list[str]:
    choices = SheetChoices(selected=("resection", "tace", "systemic"), full_sources=full_sources)
    sheet = build_sheet(assess(make_factors(), content), content, choices, today=TODAY, lang=lang)
    return [t for block in sheet.blocks for t in _block_strings(block)]


@pytest.mark.hazard("H107")
def test_a_french_sheet_cites_the_french_page_of_a_source_that_has_one(content):
    lines = _sheet_strings(content, "fr", full_sources=True)
    surgery = next(line for line in lines if line.startswith("[S2] "))
    english = content.reference("S2")

    assert surgery.startswith("[S2] Société canadienne du cancer. Chirurgie du cancer du foie.")
    assert "https://cancer.ca/fr/" in surgery
    assert english.citation not in surgery and english.url not in surgery
    assert not any(line.startswith("[S2] Canadian Cancer Society") for line in lines)


@pytest.mark.hazard("H107")
def test_a_source_without_a_french_page_keeps_its_english_title_and_address(content):
    lines = _sheet_strings(content, "fr", full_sources=True)
    targeted = content.reference("S5")

    assert targeted.localised == ()  # no French page was found for it (see references.toml)
    assert f"[S5] {targeted.citation} {targeted.url}" in lines


def test_the_english_sheet_keeps_the_english_sources(content):
    lines = _sheet_strings(content, "en", full_sources=True)

    assert not any("Société canadienne" in line for line in lines)
    assert any(line.startswith("[S2] Canadian Cancer Society. Surgery") for line in lines)


@pytest.mark.hazard("H107")
def test_the_short_source_line_names_the_french_page_the_sheet_is_built_on(content):
    text = " ".join(_sheet_strings(content, "fr", full_sources=False))

    assert "«\u00a0Traitements du cancer du foie récidivant\u00a0»" in text
    assert "Treatments for recurrent liver cancer" not in text


def test_every_french_source_address_is_a_cancer_ca_french_page_marked_for_review(content):
    """The French addresses came from stored copies of cancer.ca, not a live check: each is a
    French cancer.ca address and says what a reviewer must still check."""
    french = [(r.id, t) for r in content.references for t in r.localised if t.lang == "fr"]

    assert len(french) >= 6
    for ref_id, text in french:
        assert text.citation.startswith("Société canadienne du cancer. "), ref_id
        assert "cancer.ca/fr" in text.url, ref_id
        assert text.review, f"{ref_id}: no reviewer has opened this address yet"


@pytest.mark.parametrize("entry, problem", [
    ('fr = { citation = "Société canadienne du cancer. X. cancer.ca", url = "cancer.ca/fr/x" }',
     "references -> 1 -> fr -> url: expected a web address"),
    ('fr = { citation = "Société canadienne du cancer. X. cancer.ca", adresse = "x" }',
     "references -> 1 -> fr -> adresse: unknown key"),
])
def test_the_loader_refuses_a_malformed_french_source(tmp_path, entry, problem):
    root = tmp_path / "content"
    shutil.copytree(ROOT / "content", root)
    path = root / "references.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('id = "S2"')
    end = text.index("\nfr = {", start)
    line_end = text.index("\n", end + 1)
    path.write_text(text[:end + 1] + entry + text[line_end:], encoding="utf-8")

    with pytest.raises(ContentError) as error:
        load_content(root)
    assert any(problem in p for p in error.value.problems), error.value.problems


@pytest.mark.hazard("H107")
def test_the_reviewers_report_shows_each_french_page_and_what_is_left_to_check(content):
    """The reviewer sees the French title and address beside the English ones, and the note
    saying what is not yet checked, so an address nobody has opened is not taken as checked."""
    import re

    from dashboard.adapters.review_report import review_report

    html = review_report(content)
    row = re.search(r'<tr id="ref-S2">.*?</tr>', html, re.S).group(0)
    surgery = next(t for t in content.reference("S2").localised if t.lang == "fr")

    assert '<span lang="fr">Société canadienne du cancer. Chirurgie du cancer du foie.' in row
    assert surgery.url in row and f"To check: {surgery.review}" in row
    assert 'lang="fr"' not in re.search(r'<tr id="ref-S5">.*?</tr>', html, re.S).group(0)
