"""Dependency audit for CI (SEC-10): pip-audit over the lock file, every installed package.

`requirements-dev.lock` pins (with hashes) everything `make test` installs, the runtime lock
being a subset, so auditing it audits every package exactly at its locked version, without
pip-audit resolving or installing anything (`--disable-pip`, allowed for hashed files).

Outcomes, each printed on one final line starting with "ci:":
  * a known vulnerability            -> exit 1 (CI fails);
  * every package audited, none found -> exit 0, "dependency audit passed";
  * the audit could not run, or some packages could not be audited (advisory service
    unreachable, pip-audit missing, timeout) -> exit 0 with "DEPENDENCY AUDIT NOT RUN" or
    "DEPENDENCY AUDIT INCOMPLETE", so the gap is reported, never hidden behind a pass.
    Set AUDIT_REQUIRED=1 (e.g. for a release build) to make these fail too.

Why not trust pip-audit's exit code alone: when PyPI's vulnerability data cannot be reached for a
package, pip-audit skips it ("Dependency not found on PyPI and could not be audited"), still
prints "No known vulnerabilities found" and exits 0. On a machine without access to the advisory
service every package is skipped that way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300

_VULNERABLE = re.compile(r"found \d+ known vulnerabilit", re.IGNORECASE)
# Both the skip table and --strict's error line end "could not be audited: <name> (<version>)".
_SKIPPED = re.compile(r"could not be audited: (\S+) \(")
_CLEAN = re.compile(r"no known vulnerabilities found", re.IGNORECASE)


def classify(returncode: int, output: str) -> tuple[str, str]:
    """("vulnerable" | "passed" | "incomplete" | "not_run", message) for one pip-audit run."""
    if _VULNERABLE.search(output):
        return "vulnerable", "ci: dependency audit found known vulnerabilities"
    skipped = sorted(set(_SKIPPED.findall(output)))
    if returncode == 0 and _CLEAN.search(output) and not skipped:
        return "passed", "ci: dependency audit passed"
    if _CLEAN.search(output) and skipped:
        return "incomplete", (
            f"ci: DEPENDENCY AUDIT INCOMPLETE: {len(skipped)} package(s) could not be audited "
            f"(advisory data unreachable?): {', '.join(skipped[:8])}"
            + (" …" if len(skipped) > 8 else ""))
    reason = f"exit {returncode}"
    if "No module named pip_audit" in output:
        reason = "pip-audit is not installed"
    elif returncode == 124:
        reason = f"timed out after {TIMEOUT_S} s"
    elif skipped:
        reason = f"{len(skipped)} package(s) could not be audited"
    return "not_run", f"ci: DEPENDENCY AUDIT NOT RUN: {reason}"


LOCK = ROOT / "requirements-dev.lock"


def audit_command(python: str, lock: Path = LOCK) -> list[str]:
    return [python, "-m", "pip_audit", "-r", str(lock), "--disable-pip", "--require-hashes",
            "--progress-spinner", "off"]


def run_pip_audit(python: str, lock: Path = LOCK) -> tuple[int, str]:
    try:
        done = subprocess.run(audit_command(python, lock), capture_output=True, text=True,
                              timeout=TIMEOUT_S, cwd=ROOT)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        return 124, output or ""
    return done.returncode, done.stdout + done.stderr


def main(argv: list[str]) -> int:
    python = argv[1] if len(argv) > 1 else sys.executable
    returncode, output = run_pip_audit(python)
    print("\n".join(output.strip().splitlines()[-20:]))
    outcome, message = classify(returncode, output)
    print(message)
    if outcome == "vulnerable":
        return 1
    if outcome != "passed" and os.environ.get("AUDIT_REQUIRED") == "1":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
