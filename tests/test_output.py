"""Output files (issue #12 items 1, 3, 4, 9): atomic, exclusive, never a device, `-` is stdout.

Each test here failed on the code before dashboard/adapters/output.py (hazards H70–H73).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from dashboard import cli
from dashboard.adapters import output
from dashboard.adapters.output import OutputError
from tests.conftest import ROOT, make_factors


def _payload(tmp_path, data) -> str:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --------------------------------------------------------------------------- the adapter


@pytest.mark.hazard("H72")
def test_write_file_replaces_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    output.write_file(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


@pytest.mark.hazard("H72")
def test_a_symlink_planted_at_the_old_temporary_name_is_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "out.pdf.part").symlink_to(victim)
    output.write_file(tmp_path / "out.pdf", b"%PDF-sheet")
    assert victim.read_text() == "keep me"
    assert (tmp_path / "out.pdf").read_bytes() == b"%PDF-sheet"
    assert (tmp_path / "out.pdf.part").is_symlink()


@pytest.mark.hazard("H72")
def test_the_temporary_file_is_created_exclusively_in_the_target_folder(tmp_path, monkeypatch):
    seen = []
    real = output.tempfile.mkstemp

    def recording(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        seen.append((kwargs.get("dir"), name))
        return fd, name

    monkeypatch.setattr(output.tempfile, "mkstemp", recording)
    output.write_file(tmp_path / "out.pdf", b"x")
    assert len(seen) == 1 and seen[0][0] == tmp_path and seen[0][1].startswith(str(tmp_path))


@pytest.mark.hazard("H71")
@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink_to_dev_null", "symlink_to_folder"])
def test_an_existing_target_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    target = tmp_path / "out.pdf"
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink_to_dev_null":
        target.symlink_to("/dev/null")
    else:
        (tmp_path / "d").mkdir()
        target.symlink_to(tmp_path / "d")
    with pytest.raises(OutputError, match="cannot write"):
        output.write_file(target, b"x")
    assert not stat.S_ISREG(os.lstat(target).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.hazard("H71")
@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_copy_of_a_character_device_is_refused_and_stays_a_device(tmp_path):
    target = tmp_path / "full"
    os.mknod(target, stat.S_IFCHR | 0o666, os.stat("/dev/full").st_rdev)
    with pytest.raises(OutputError, match="not a regular file"):
        output.write_file(target, b"x")
    assert stat.S_ISCHR(os.lstat(target).st_mode)


@pytest.mark.hazard("H73")
def test_a_full_disk_is_one_plain_line_and_leaves_nothing(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "out.pdf"
    target.write_bytes(b"yesterday")
    monkeypatch.setattr(output.os, "fsync", full)
    with pytest.raises(OutputError) as caught:
        output.write_file(target, b"today")
    assert "disk is full" in str(caught.value) and "\n" not in str(caught.value)
    assert "OSError" not in str(caught.value)
    assert target.read_bytes() == b"yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


@pytest.mark.hazard("H73")
def test_a_failure_while_writing_piece_by_piece_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), output.atomic_writer(tmp_path / "day.zip") as out:
        out.write(b"PK")
        raise RuntimeError("simulated archive failure")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.hazard("H70")
def test_replace_false_never_replaces_an_existing_file(tmp_path):
    target = tmp_path / "sheet-001.pdf"
    target.write_bytes(b"earlier patient")
    with pytest.raises(OutputError):
        output.write_file(target, b"new", replace=False)
    assert target.read_bytes() == b"earlier patient"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet-001.pdf"]


@pytest.mark.hazard("H70")
def test_empty_folder_creates_accepts_empty_and_refuses_one_with_files(tmp_path):
    assert output.empty_folder(tmp_path / "new").is_dir()
    assert output.empty_folder(tmp_path / "new").is_dir()  # still empty: accepted
    (tmp_path / "new" / "sheet-001.pdf").write_bytes(b"old")
    with pytest.raises(OutputError, match="already holds files"):
        output.empty_folder(tmp_path / "new")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        output.empty_folder(tmp_path / "file")


# --------------------------------------------------------------------------- the sheet command


@pytest.mark.hazard("H71")
def test_sheet_refuses_a_symlink_to_dev_null_before_any_work(tmp_path, capsys, monkeypatch):
    import dashboard.sheet_cli as sheet_cli

    target = tmp_path / "out.pdf"
    target.symlink_to("/dev/null")
    monkeypatch.setattr(sheet_cli, "prepare_sheet", lambda *a, **k: pytest.fail("prepared anyway"))
    code = cli.main(["sheet", _payload(tmp_path, make_factors()), "-o", str(target)])
    assert code == 2
    assert "not a regular file" in _one_line_error(capsys.readouterr().err)
    assert os.readlink(target) == "/dev/null"


@pytest.mark.hazard("H73")
def test_sheet_reports_a_full_disk_in_plain_words(tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", full)
    code = cli.main(["sheet", _payload(tmp_path, make_factors()), "-o", str(tmp_path / "s.pdf"),
                     "--select", "resection"])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2 and "disk is full" in line and "OSError" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.json"]


@pytest.mark.hazard("H73")
def test_sheet_dash_writes_the_pdf_to_standard_output_and_no_file_named_dash(tmp_path):
    data = json.dumps(make_factors())
    out = subprocess.run([sys.executable, "-m", "dashboard", "sheet", "-", "-o", "-",
                          "--select", "resection"], cwd=tmp_path, input=data.encode(),
                         capture_output=True, timeout=120, env={**os.environ,
                                                                 "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"%PDF-") and out.stdout.rstrip().endswith(b"%%EOF")
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) == []
    assert b"wrote -" in out.stderr


@pytest.mark.hazard("H70")
def test_sheet_for_a_list_refuses_a_folder_holding_earlier_sheets(tmp_path, capsys):
    day = tmp_path / "day"
    day.mkdir()
    (day / "sheet-004.pdf").write_bytes(b"yesterday's patient")
    code = cli.main(["sheet", _payload(tmp_path, [make_factors(), make_factors()]),
                     "-o", str(day)])
    assert code == 2
    assert "already holds files" in _one_line_error(capsys.readouterr().err)
    assert sorted(p.name for p in day.iterdir()) == ["sheet-004.pdf"]
    assert (day / "sheet-004.pdf").read_bytes() == b"yesterday's patient"


def test_sheet_for_a_list_refuses_standard_output(tmp_path, capsys):
    code = cli.main(["sheet", _payload(tmp_path, [make_factors()]), "-o", "-"])
    assert code == 2 and "folder" in _one_line_error(capsys.readouterr().err)


def _on_a_terminal(tmp_path, args: list[str], stdin: bytes) -> tuple[int, bytes, bytes]:
    """Run the command with standard output on a pseudo-terminal, as a user at a prompt."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", *args], cwd=tmp_path,
                            stdin=subprocess.PIPE, stdout=follower, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    pieces: list[bytes] = []

    def read_terminal() -> None:  # read while the command writes, so the terminal never fills
        while True:
            try:
                piece = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                return
            if not piece:
                return
            pieces.append(piece)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    _, err = proc.communicate(stdin, timeout=120)
    reader.join(timeout=30)
    shown = b"".join(pieces)
    os.close(leader)
    return proc.returncode, shown, err


@pytest.mark.hazard("H73")
def test_a_pdf_is_never_written_to_a_terminal(tmp_path):
    code, shown, err = _on_a_terminal(tmp_path, ["sheet", "-", "-o", "-"],
                                      json.dumps(make_factors()).encode())
    assert code == 2 and b"%PDF" not in shown
    assert b"refusing to write a PDF to the terminal" in err and b"Traceback" not in err


def test_assess_on_a_terminal_is_indented_and_in_a_pipe_compact(tmp_path):
    data = json.dumps(make_factors()).encode()
    code, shown, _ = _on_a_terminal(tmp_path, ["assess", "-"], data)
    assert code == 0 and shown.count(b"\n") > 50 and b'\n  "verdicts": {' in shown
    piped = subprocess.run([sys.executable, "-m", "dashboard", "assess", "-"], cwd=tmp_path,
                           input=data, capture_output=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert piped.stdout.count(b"\n") == 1
    assert json.loads(piped.stdout) == json.loads(shown.replace(b"\r\n", b"\n"))
