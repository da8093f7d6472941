"""Writing output files safely: sheets, clinic-day folders, archives (issue #12 items 1, 3, 4, 9).

The API, for every command that writes a file:

- `check_target(path)` before any work: refuses a target that exists and is not a regular file
  (a device such as /dev/null or /dev/full, a folder, a symlink to either), and a PDF meant for
  standard output when standard output is a terminal.
- `write_file(path, data)` writes bytes; `atomic_writer(path)` is the same as a context manager
  for output written piece by piece (a ZIP archive). The data goes to a new temporary file made
  with `tempfile.mkstemp` in the target's own folder (exclusive create: a planted file or
  symlink is never opened), is flushed to disk, and only then renamed over the target with
  `os.replace`. A failure at any point removes the temporary file and leaves any earlier target
  untouched, so nobody ever prints half a sheet. `-` means standard output.
- `empty_folder(path)` for a batch: creates the folder, or accepts an existing empty one, and
  refuses a folder that already holds files, so today's sheets never sit beside yesterday's.

Every failure is an `OutputError` whose message is one plain line (the disk is full, permission
denied, …) naming the path the user typed and never any content of the file.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

STDOUT = "-"
_TEMP_PREFIX = ".dashboard-"
_TEMP_SUFFIX = ".part"

# errno -> the words a person reads (anything else: the system's own short description).
_PLAIN = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EEXIST: "a file of that name appeared meanwhile",
}


class OutputError(Exception):
    """A file could not be written; str() is one line for the user."""


def describe(exc: OSError) -> str:
    """Plain words for an operating-system error (never the class name alone)."""
    return _PLAIN.get(exc.errno or 0) or (exc.strerror or exc.__class__.__name__).lower()


def is_stdout(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path) == STDOUT


def check_target(path: str | os.PathLike[str], *, binary: bool = True) -> None:
    """Refuse, before any work, a target that must not be written (see the module docstring)."""
    if is_stdout(path):
        if binary and _stdout_is_terminal():
            raise OutputError("refusing to write a PDF to the terminal: redirect it to a file "
                              "(-o - > sheet.pdf) or give a file name with -o")
        return
    target = Path(path)
    try:
        info = target.stat()  # follows a symlink: a link to /dev/null is a device
    except FileNotFoundError:
        _check_folder(target.parent, path)
        return
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {describe(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {path}: it is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"cannot write {path}: it exists and is not a regular file "
                          "(a device or other special file); choose another name")


def _check_folder(folder: Path, path: str | os.PathLike[str]) -> None:
    if not folder.exists():
        raise OutputError(f"cannot write {path}: the folder does not exist")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: part of the path is not a folder")


def write_file(path: str | os.PathLike[str], data: bytes, *, replace: bool = True) -> None:
    """Write `data` to `path` all or nothing; `-` writes to standard output.

    `replace=False` refuses an existing file instead of replacing it (a batch folder).
    """
    with atomic_writer(path, replace=replace) as out:
        out.write(data)


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, replace: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write into; on leaving the block it becomes `path`, all or nothing."""
    if is_stdout(path):
        out = sys.stdout.buffer
        yield out
        _flush_stdout(out)
        return
    check_target(path)
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX,
                                    dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {describe(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        _put_in_place(temp, target, replace)
    except OSError as exc:
        _remove(temp)
        raise OutputError(f"cannot write {path}: {describe(exc)}; nothing was written") from None
    except BaseException:
        _remove(temp)
        raise


def _put_in_place(temp: str, target: Path, replace: bool) -> None:
    check_target(target)  # still not a device or folder just before the rename
    if replace:
        os.replace(temp, target)
    else:
        os.link(temp, target)  # fails with EEXIST instead of replacing
        os.unlink(temp)


def _remove(temp: str) -> None:
    try:
        os.unlink(temp)
    except OSError:
        pass


def _flush_stdout(out: BinaryIO) -> None:
    try:
        out.flush()
    except OSError as exc:
        if exc.errno == errno.EPIPE or isinstance(exc, BrokenPipeError):
            raise
        raise OutputError(f"cannot write to standard output: {describe(exc)}") from None


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def empty_folder(path: str | os.PathLike[str]) -> Path:
    """The folder for a batch: created if missing; refused if it exists and holds anything."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"cannot use {path} as a folder: it exists and is not a folder") \
            from None
    except OSError as exc:
        raise OutputError(f"cannot create the folder {path}: {describe(exc)}") from None
    try:
        held = next(folder.iterdir(), None)
    except OSError as exc:
        raise OutputError(f"cannot read the folder {path}: {describe(exc)}") from None
    if held is not None:
        raise OutputError(f"the folder {path} already holds files (perhaps earlier sheets): "
                          "give a new or empty folder, so sheets of different days never mix")
    return folder
