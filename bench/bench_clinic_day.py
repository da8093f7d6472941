"""Clinic day speed: a patient list to a ZIP with `batch`, against one `sheet` process per patient.

Both are measured in this run, side by side, on the same machine: N single-sheet commands (each
a new process that loads Python, the content and the fonts, then draws one sheet), then `batch`
for 50 and for 200 patients (content and fonts loaded once, sheets drawn by up to 2 worker
processes). Printed: seconds, sheets per second, and how many times faster `batch` is per sheet
than one process per sheet, by the clock and by CPU time (user + system of the command and its
workers: less disturbed than the clock when others share the machine). The aim (issue #13): at
least 5x, and 50 patients in under 5 s.

    python bench/bench_clinic_day.py [--singles N] [--workers W]

The load average is printed first: clock figures are only meaningful on a quiet machine.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core import intake  # noqa: E402
from dashboard.core.loader import load_content  # noqa: E402
from tests.conftest import BASELINE  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1796112000"}
VARIANTS = [{}, {"ecog": 1}, {"portal_vein_invasion": "main"}, {"child_pugh_score": 8},
            {"recurrence_site": "liver_and_extrahepatic"}, {"liver_tumour_count": 4},
            {"cirrhosis": None}, {"patient_goal": "declines_active"}]


def _patient(i: int) -> dict:
    return {**BASELINE, **VARIANTS[i % len(VARIANTS)]}


def _write_list(path: Path, rows: int) -> None:
    content = load_content()
    out = io.StringIO()
    writer = csv.DictWriter(out, intake.template_columns(content), restval="")
    writer.writeheader()
    for i in range(rows):
        cells = {k: ("yes" if v is True else "no" if v is False else "" if v is None else str(v))
                 for k, v in _patient(i).items()}
        writer.writerow({**cells, "name": f"Bench Patient {i + 1}", "id": f"B{i + 1:04d}"})
    path.write_text(out.getvalue(), encoding="utf-8")


def _run(*args: str, cwd: Path) -> tuple[float, float]:
    """(clock seconds, CPU seconds of the command and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=cwd, env=ENV, check=False,
                   capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--singles", type=int, default=5,
                        help="single-sheet processes to time (their mean is scaled to 200)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
          + ("  (a shared machine: trust the CPU-time ratios)" if os.getloadavg()[0] > 1 else ""))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        singles = []
        for i in range(args.singles):
            (work / "p.json").write_text(json.dumps({**_patient(i), "patient": {
                "name": f"Bench Patient {i + 1}"}}), encoding="utf-8")
            singles.append(_run("sheet", "p.json", "-o", f"s{i}.pdf", cwd=work))
        per_process = sum(s for s, _ in singles) / len(singles)
        cpu_process = sum(c for _, c in singles) / len(singles)
        print(f"single sheet command: {per_process:.2f} s per sheet, {cpu_process:.2f} CPU s "
              f"(mean of {len(singles)} processes); 200 of them would take "
              f"{200 * per_process:.0f} s")
        for rows in (50, 200):
            _write_list(work / f"day{rows}.csv", rows)
            seconds, cpu = _run("batch", f"day{rows}.csv", "-o", f"day{rows}.zip", "--workers",
                                str(args.workers), cwd=work)
            print(f"batch {rows:>3} patients: {seconds:6.1f} s, {rows / seconds:5.1f} sheets/s, "
                  f"{per_process * rows / seconds:4.1f}x faster per sheet than one process per "
                  f"sheet by the clock; {cpu:6.1f} CPU s, {cpu_process * rows / cpu:4.1f}x less "
                  f"CPU per sheet ({args.workers} workers)")

if __name__ == "__main__":
    main()
