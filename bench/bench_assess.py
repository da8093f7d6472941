"""Benchmark: `python -m dashboard assess` as a whole process, as a user runs it (issue #15).

In one run, for 1, 1,000 and 10,000 random valid profiles in one JSON array, prints the
wall-clock time and peak memory of the whole command in each format (json, jsonl, csv),
side by side with a bare `python -c "import json; json.load(...)"` of the same file as the
floor; the marginal cost per profile ((t(10,000) - t(1)) / 9,999); and the engine alone
in-process (assess_many) for reference. Each figure is the best of REPEATS runs.

Run: .venv/bin/python bench/bench_assess.py   (aim: 10,000 in under 2 s in every format,
under 200 MB). Figures are only meaningful on an otherwise idle machine: the load average is
printed first.

`--against OTHER_TREE` instead times this tree's command and the same command in another
checkout (an earlier commit, for example) on the same 10,000-profile file, runs alternating, so
that a change of load hits both alike, and prints each format's ratio (this tree / the other):
the way to measure a change on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.engine import assess, assess_many  # noqa: E402
from dashboard.core.loader import load_content  # noqa: E402

SIZES = (1, 1_000, 10_000)
FORMATS = ("json", "jsonl", "csv")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def random_profile(rng: random.Random) -> dict:
    site = rng.choice(["liver_only", "extrahepatic_only", "liver_and_extrahepatic"])
    liver = site != "extrahepatic_only"
    profile = {
        "recurrence_site": site,
        "liver_tumour_count": rng.choice([1, 2, 3, 4, 6, "diffuse"]) if liver else 0,
        "largest_tumour_cm": round(rng.uniform(0.5, 12), 1) if liver else 0,
        "portal_vein_invasion": (rng.choice(["none", "none", "segmental", "lobar", "main"])
                                 if liver else "none"),
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


def _timed(args: list[str], out: Path) -> tuple[float, float, int, float]:
    """(wall seconds, peak MB of the process and its workers, exit status, CPU seconds of the
    process and its workers), best of REPEATS by wall time."""
    best = (float("inf"), 0.0, 0, 0.0)
    for _ in range(REPEATS):
        run = _timed_once(args, out, ROOT)
        if run[0] < best[0]:
            best = run
    return best


def against(other: Path, repeats: int) -> None:
    """This tree and `other` side by side: runs alternate, best and median of each."""
    print(f"cores usable: {len(os.sched_getaffinity(0))}; load average before: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rng = random.Random(2026)
    profiles = [random_profile(rng) for _ in range(max(SIZES))]
    trees = {"this tree": ROOT, "other": other.resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "profiles.json", Path(tmp) / "out"
        data.write_text(json.dumps(profiles), encoding="utf-8")
        print(f"{max(SIZES):,} profiles, {repeats} alternating runs each: wall seconds and "
              f"CPU seconds (process and workers), best / median; ratios of the medians (this "
              f"tree / {other}). On a busy machine the CPU ratio is the steadier one.")
        for fmt in FORMATS:
            wall: dict[str, list[float]] = {name: [] for name in trees}
            cpu: dict[str, list[float]] = {name: [] for name in trees}
            for _ in range(repeats):
                for name, tree in trees.items():
                    seconds, _, status, used = _timed_once(
                        [sys.executable, "-m", "dashboard", "assess", str(data),
                         "--format", fmt], out, tree)
                    assert status == 0, f"{name}: assess --format {fmt} failed"
                    wall[name].append(seconds)
                    cpu[name].append(used)
            cells = "  ".join(f"{name} {min(wall[name]):.2f} / {statistics.median(wall[name]):.2f}"
                              f" s wall, {min(cpu[name]):.2f} / {statistics.median(cpu[name]):.2f}"
                              f" s CPU" for name in trees)
            print(f"  {fmt:<6} {cells}  ratio wall {_ratio(wall):.2f}, CPU {_ratio(cpu):.2f}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _ratio(times: dict[str, list[float]]) -> float:
    return statistics.median(times["this tree"]) / statistics.median(times["other"])


def _timed_once(args: list[str], out: Path, tree: Path) -> tuple[float, float, int, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with open(out, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.DEVNULL, cwd=tree, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    return (seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status),
            usage.ru_utime + usage.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, metavar="OTHER_TREE",
                        help="time this tree against another checkout, side by side")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if args.against:
        against(args.against, args.repeats)
        return
    print(f"cores usable: {len(os.sched_getaffinity(0))}; load average now: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} (figures need an idle machine)")
    rng = random.Random(2026)
    profiles = [random_profile(rng) for _ in range(max(SIZES))]
    content = load_content()
    assert all(a.ok for a in assess_many(profiles[:1000], content)), "profiles must be valid"
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for n in SIZES:
            files[n] = Path(tmp) / f"profiles-{n}.json"
            files[n].write_text(json.dumps(profiles[:n]), encoding="utf-8")
        out = Path(tmp) / "out"
        floor = {n: _timed([sys.executable, "-c", f"import json; json.load(open({str(f)!r}))"],
                           out)[0] for n, f in files.items()}
        startup = _timed([sys.executable, "-c", "import dashboard.cli"], out)[0]
        rows = {}
        for fmt in FORMATS:
            for n in SIZES:
                rows[fmt, n] = _timed([sys.executable, "-m", "dashboard", "assess",
                                       str(files[n]), "--format", fmt], out)
                assert rows[fmt, n][2] == 0, f"assess --format {fmt} failed on {n} profiles"
    header = "".join(f"{n:>20,}" for n in SIZES)
    print(f"\nwhole process, best of {REPEATS} (wall seconds, CPU seconds of the process and its "
          f"workers, peak MB):\n{'':<34}{header}")
    print(f"{'floor: python -c json.load(...)':<34}" +
          "".join(f"{floor[n]:>19.3f}s" for n in SIZES))
    for fmt in FORMATS:
        cells = "".join(f"{rows[fmt, n][0]:>7.2f}s {rows[fmt, n][3]:>5.2f}c "
                        f"{rows[fmt, n][1]:>3.0f}MB" for n in SIZES)
        print(f"{'assess --format ' + fmt:<34}{cells}")
    print("\nmarginal cost per profile ((t(10,000) - t(1)) / 9,999) and 10,000 against the "
          "floor:")
    big, small = max(SIZES), min(SIZES)
    for fmt in FORMATS:
        marginal = (rows[fmt, big][0] - rows[fmt, small][0]) / (big - small)
        print(f"  {fmt:<6} {marginal * 1e6:8.1f} µs per profile; 10,000 in "
              f"{rows[fmt, big][0]:.2f} s = {rows[fmt, big][0] / floor[big]:.1f}× the floor "
              f"(aim: under 2 s, under 200 MB)")
    print(f"\nimporting the command line alone: {startup:.3f} s")
    start = time.perf_counter()
    assess_many(profiles, content)
    engine_s = time.perf_counter() - start
    print(f"\nengine alone, in-process: assess_many over {big:,} profiles {engine_s:.2f} s "
          f"({engine_s / big * 1e6:.0f} µs per profile, one core)")
    # side by side, interleaved in slices so that a change of load hits both alike
    compiled = reference = 0.0
    for start in range(0, 2000, 100):
        part = profiles[start:start + 100]
        begin = time.perf_counter()
        assess_many(part, content)
        compiled += time.perf_counter() - begin
        begin = time.perf_counter()
        for item in part:
            assess(item, content, reference=True)
        reference += time.perf_counter() - begin
    print(f"engine with compiled code (core/compiled.py: each condition, each option's rules "
          f"as one function) against the reference (reference=True: closures, one rule at a "
          f"time), 2,000 profiles interleaved: {compiled / 2000 * 1e6:.0f} against "
          f"{reference / 2000 * 1e6:.0f} µs per profile ({reference / compiled:.2f}x)")


if __name__ == "__main__":
    main()
