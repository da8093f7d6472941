"""Regenerate docs/screenshot.png: the dashboard with a filled scenario and a prepared sheet.

Run: .venv/bin/python docs/screenshot.py   (needs Chromium: apt-get install chromium)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageChops  # noqa: E402

from dashboard.core.loader import load_content  # noqa: E402
from tests.browser_support import (  # noqa: E402
    chromium,
    enter_factors,
    full_page_screenshot,
    prepare_sheet,
    running_app,
    wait_for_app,
)
from tests.conftest import make_factors  # noqa: E402

OUT = ROOT / "docs" / "screenshot.png"
WIDTH = 1400
# Two small liver tumours 14 months after surgery; Child-Pugh computed from labs in US units.
SCENARIO = make_factors(liver_tumour_count=2, largest_tumour_cm=2.8, ecog=1, cirrhosis=True,
                        child_pugh_score=None, bilirubin_umol_l=None, bilirubin_mg_dl=1.2,
                        albumin_g_dl=3.4, inr=1.2, ascites="none", encephalopathy="none",
                        remnant_adequate="unknown", months_since_last_curative_treatment=14)


def main() -> None:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    raw = OUT.with_suffix(".raw.png")
    with running_app() as server, chromium(executable) as browser:
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(server.url)
        wait_for_app(page)
        enter_factors(page, load_content(), SCENARIO)
        page.locator(".st-key-card_resection").get_by_text("Why?").click()
        prepare_sheet(page, name="Alex Example")
        page.mouse.move(0, 0)
        full_page_screenshot(page, raw, width=WIDTH)
    _trim_and_compress(raw, OUT)
    raw.unlink()
    print(f"wrote {OUT.relative_to(ROOT)}")


def _trim_and_compress(source: Path, target: Path) -> None:
    """Cut the empty margin below the page and store a 256-colour PNG (a few hundred kB)."""
    image = Image.open(source).convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    if box:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + 40)))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


if __name__ == "__main__":
    main()
