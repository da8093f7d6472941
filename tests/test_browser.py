"""The real thing: Chromium drives the dashboard from an empty form to a downloaded sheet."""

from __future__ import annotations

import io
import re

import pytest

from dashboard.core.engine import assess
from tests.browser_support import (
    download_sheet,
    enter_factors,
    prepare_sheet,
    wait_for_app,
    wait_for_check_code,
)
from tests.conftest import make_factors

pytestmark = pytest.mark.browser

WORDS = {"applicable": "May be discussed", "caution": "Consider with caution",
         "not_applicable": "Not applicable now"}
# Disease outside the liver only, with painful bone metastases; bilirubin given in mg/dL.
SCENARIO = make_factors(recurrence_site="extrahepatic_only", liver_tumour_count=0,
                        largest_tumour_cm=0, painful_bone_metastases=True, ecog=1,
                        bilirubin_umol_l=None, bilirubin_mg_dl=0.7)
NAME = "Zoë O’Brien-Nguyễn"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(server.url)
    wait_for_app(page)
    yield page
    context.close()


def test_a_clinician_goes_from_an_empty_form_to_a_downloaded_sheet(page, content):
    from pypdf import PdfReader

    expected = assess(SCENARIO, content)
    enter_factors(page, content, SCENARIO)
    wait_for_check_code(page, expected.fingerprint)  # every value has reached the server

    for result in expected.results:
        card = page.locator(f".st-key-card_{result.option_id}")
        assert WORDS[result.verdict.value] in card.inner_text(), result.option_id

    prepare_sheet(page, name=NAME)
    data, download = download_sheet(page)

    assert data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert NAME in text
    assert "Zo" not in download.suggested_filename
    assert download.suggested_filename.endswith(".pdf")
    summary = page.get_by_text("Check code").first.inner_text()
    check_code = re.search(r"\b[0-9A-F]{4}-[0-9A-F]{4}\b", summary).group(0)
    assert check_code in text


@pytest.mark.hazard("H17")
def test_the_url_never_carries_patient_values(page, content):
    enter_factors(page, content, SCENARIO)

    assert "?" not in page.url and "extrahepatic" not in page.url
