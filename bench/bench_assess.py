"""Benchmark: assess 10,000 random valid profiles from one JSON array, side by side with a bare
json.loads of the same file, in one run. Prints profiles per second and the cost ratio.

Run: .venv/bin/python bench/bench_assess.py   (aim: all 10,000 in under 2 s; content loaded once)
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.core.engine import assess, assess_many  # noqa: E402
from dashboard.core.loader import load_content  # noqa: E402

N = 10_000


def random_profile(rng: random.Random) -> dict:
    site = rng.choice(["liver_only", "extrahepatic_only", "liver_and_extrahepatic"])
    liver = site != "extrahepatic_only"
    profile = {
        "recurrence_site": site,
        "liver_tumour_count": rng.choice([1, 2, 3, 4, 6, "diffuse"]) if liver else 0,
        "largest_tumour_cm": round(rng.uniform(0.5, 12), 1) if liver else 0,
        "portal_vein_invasion": rng.choice(["none", "none", "segmental", "lobar", "main"]) if liver else "none",
        "child_pugh_score": rng.randint(5, 12), "ecog": rng.randint(0, 4),
        "cirrhosis": rng.random() < 0.6, "portal_hypertension": rng.random() < 0.3,
        "bilirubin_umol_l": rng.randint(5, 90), "prior_liver_transplant": rng.random() < 0.1,
        "fit_for_major_surgery": rng.random() < 0.7, "transplant_candidate": rng.random() < 0.5,
        "remnant_adequate": rng.choice(["yes", "no", "unknown"]),
        "completely_resectable": rng.choice(["yes", "no", "unknown"]),
        "patient_goal": rng.choice(["wants_active", "unsure", "declines_active"]),
        "months_since_last_curative_treatment": rng.randint(1, 120),
        "afp_ng_ml": rng.choice([None, 5, 450, 1500]),
    }
    if rng.random() < 0.2:
        profile[rng.choice(["ecog", "child_pugh_score", "bilirubin_umol_l"])] = None
    if site != "liver_only":
        profile["painful_bone_metastases"] = rng.random() < 0.3
    return profile


def main() -> None:
    rng = random.Random(2026)
    text = json.dumps([random_profile(rng) for _ in range(N)])

    t0 = time.perf_counter()
    content = load_content()
    load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    json.loads(text)
    parse_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    results = assess_many(json.loads(text), content)
    total_s = time.perf_counter() - t0
    assert all(r.ok for r in results), "benchmark profiles must be valid"
    del results

    t0 = time.perf_counter()
    singles = [assess(p, content) for p in json.loads(text)]
    single_s = time.perf_counter() - t0
    del singles
    print(f"content load (once per process): {load_s * 1000:.1f} ms")
    print(f"json.loads of {N} profiles:        {parse_s * 1000:.1f} ms")
    print(f"json.loads + assess_many {N}:      {total_s * 1000:.1f} ms "
          f"({N / total_s:,.0f} profiles/s; aim: under 2000 ms)")
    print(f"per-profile cost relative to bare json.loads: {total_s / parse_s:.0f}x")
    print(f"the same with assess() one by one, collector running: {single_s * 1000:.1f} ms "
          f"({single_s / total_s:.2f}x of assess_many)")


if __name__ == "__main__":
    main()
