"""A reader that stops early (`assess … | head`, `sheet -o - | head`) ends the command quietly
with exit status 0: no BrokenPipeError traceback (issue #12 item 6, hazard H74)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, make_factors


def _closed_early(args: list[str], stdin: bytes, cwd) -> subprocess.CompletedProcess:
    """Run the command and close its standard output after reading a few bytes, like `| head`."""
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", *args], cwd=cwd,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    # the smallest pipe Linux allows (one page), so even a small PDF fills it and the writer
    # meets the closed pipe
    fcntl.fcntl(proc.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)
    proc.stdin.write(stdin)
    proc.stdin.close()
    first = proc.stdout.read(5)
    proc.stdout.close()  # the reader goes away with most of the output unread
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, first, err)


@pytest.mark.hazard("H74")
def test_assess_piped_into_head_ends_quietly_with_status_0(tmp_path):
    many = json.dumps([make_factors()] * 400).encode()  # megabytes of output: the pipe fills
    done = _closed_early(["assess", "-"], many, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stderr == ""


@pytest.mark.hazard("H74")
def test_sheet_to_standard_output_piped_into_head_ends_quietly_with_status_0(tmp_path):
    done = _closed_early(["sheet", "-", "-o", "-"], json.dumps(make_factors()).encode(),
                         tmp_path)
    assert done.stdout == b"%PDF-"
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
