"""The clinic-day page in a real Chromium: upload a list, prepare, download the ZIP (#13)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from dashboard.core import intake
from tests.browser_support import chromium, full_page_screenshot, running_app, wait_for_app
from tests.conftest import BASELINE, require_browser
from tests.safety_support import new_marker, pdf_text

pytestmark = pytest.mark.browser


def day_list(content, marker: str) -> bytes:
    """Four patients, one with a decimal comma (no sheet)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, intake.template_columns(content), restval="")
    writer.writeheader()
    words = {True: "yes", False: "no", None: ""}
    base = {k: words[v] if isinstance(v, bool) or v is None else str(v)
            for k, v in BASELINE.items()}
    writer.writerow({**base, "id": "MRN-1001", "name": f"Ann {marker}A"})
    writer.writerow({**base, "name": f"Bo {marker}B", "portal_vein_invasion": "main"})
    writer.writerow({**base, "name": f"Cy {marker}C", "largest_tumour_cm": "2,5"})
    writer.writerow({**base, "id": "MRN-1004", "name": "NA", "cirrhosis": ""})
    return out.getvalue().encode("utf-8")


def prepare_day(page, url: str, data: bytes, folder: Path) -> bytes:
    """Open the page, upload the list, prepare, and return the downloaded ZIP."""
    page.goto(f"{url}/clinic_day")
    wait_for_app(page)
    path = folder / "day.csv"
    path.write_bytes(data)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.get_by_role("button", name="Prepare the sheets").click(timeout=60_000)
    button = page.get_by_role("button", name="Download all sheets (ZIP)")
    button.wait_for(timeout=300_000)
    wait_for_app(page, timeout=120_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    return Path(download.value.path()).read_bytes()


def test_a_nurse_uploads_a_list_and_downloads_every_sheet(content, tmp_path):
    executable = require_browser()
    marker = new_marker("Web")
    with running_app() as server, chromium(executable) as browser:
        context = browser.new_context(accept_downloads=True,
                                      viewport={"width": 1440, "height": 900})
        page = context.new_page()
        data = prepare_day(page, server.url, day_list(content, marker), tmp_path)
        page.get_by_text("largest_tumour_cm").first.wait_for(timeout=60_000)
        text = page.locator('[data-testid="stMain"]').inner_text()
        full_page_screenshot(page, tmp_path / "clinic-day.png", width=1440)
        context.close()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["002-MRN-1001.pdf", "003-BW.pdf", "005-MRN-1004.pdf",
                                  "summary.csv", "tumour-board-list.pdf"]
    assert f"{marker}B" in pdf_text(archive.read("003-BW.pdf"))
    assert f"{marker}A" not in pdf_text(archive.read("003-BW.pdf"))
    assert "Rows with problems" in text and "largest_tumour_cm" in text
    assert marker not in text  # the page names patients by id or initials only
