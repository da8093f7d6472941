"""Helpers for the safety tests (bad inputs, privacy sweeps): sheets, PDF text, isolated runs.

Nothing here decides a result: every helper returns raw data (bytes, text, file lists) for the
test to assert on.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader

from dashboard.core.content import Content
from dashboard.core.document import DiscussionSheet
from dashboard.core.engine import assess
from dashboard.core.sheet import SheetChoices, build_sheet, default_selection
from tests.conftest import ROOT, make_factors

TODAY = date(2026, 11, 26)
CREATED = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
# The fields a clinician can type free text into, on the sheet (SheetChoices) and in the
# command line's "patient" object.
SHEET_TEXT_FIELDS = ("patient_name", "appointment_date", "clinician", "team_phone", "notes")
CLI_TEXT_FIELDS = {"patient_name": "name", "appointment_date": "appointment_date",
                   "clinician": "clinician", "team_phone": "team_phone", "notes": "notes"}


def new_marker(prefix: str = "Canary") -> str:
    """A marker unique to this run, so a hit can only come from this run (never from source)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def sheet_for(content: Content, factors: dict | None = None, *, selected=None,
              **choices) -> DiscussionSheet:
    assessment = assess(factors if factors is not None else make_factors(), content)
    if selected is None:
        selected = default_selection(assessment)
    return build_sheet(assessment, content, SheetChoices(selected=tuple(selected), **choices),
                       today=TODAY)


def pdf_for(content: Content, factors: dict | None = None, **choices) -> bytes:
    from dashboard.adapters.pdf import render  # fpdf2 only where a PDF is made

    choices.setdefault("selected", ("resection",))  # one option keeps each sheet quick
    return render(sheet_for(content, factors, **choices), created=CREATED)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))


def labelled_line(text: str, label: str) -> str:
    """The first line of extracted text that starts with `label:` (e.g. the name line)."""
    for line in text.splitlines():
        if line.startswith(f"{label}:"):
            return line
    raise AssertionError(f"no line starting with {label!r}:\n{text[:600]}")


def _header_labels() -> tuple[str, ...]:
    """Every header label of the sheet, in every language (content/sheet.toml label_*)."""
    import tomllib

    def walk(table: dict) -> list[str]:
        found = [v for k, v in table.items() if k.startswith("label_") and isinstance(v, str)]
        return found + [x for v in table.values() if isinstance(v, dict) for x in walk(v)]

    with open(ROOT / "content" / "sheet.toml", "rb") as handle:
        return tuple(walk(tomllib.load(handle)))


def label_value(text: str, label: str) -> str:
    """The value after `label:` on its line, up to the next header label on the same line (the
    header sets two labelled values side by side: "Name: …  Appointment: …")."""
    value = labelled_line(text, label)[len(label) + 1:]
    ends = [value.find(f" {other}:") for other in _header_labels() if other != label]
    return value[:min([e for e in ends if e >= 0], default=len(value))].strip()


def pdf_metadata_strings(data: bytes) -> list[str]:
    """Everything a viewer shows besides the page text: Info dictionary, XMP, outline titles."""
    reader = PdfReader(io.BytesIO(data))
    out = [str(v) for v in (reader.metadata or {}).values()]
    xmp = reader.xmp_metadata
    if xmp is not None:
        out.append(xmp.stream.get_data().decode("utf-8", "replace"))
    out += _outline_titles(reader.outline)
    return out


def _outline_titles(outline) -> list[str]:
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles += _outline_titles(item)
        else:
            titles.append(str(item.title))
    return titles


def text_chunks(data: bytes, page: int = 0) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text-showing operation on a page, as placed on the page."""
    chunks: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            chunks.append((tm[4], tm[5], text))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return chunks


# --------------------------------------------------------------------------- isolated runs


@dataclass
class Sandbox:
    """Private HOME, TMPDIR, caches and working folder for a subprocess."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def make(self) -> Sandbox:
        for path in (self.home, self.tmp, self.work):
            path.mkdir(parents=True, exist_ok=True)
        return self

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTEST_", "STREAMLIT_"))}
        env.update(HOME=str(self.home), TMPDIR=str(self.tmp), TEMP=str(self.tmp),
                   TMP=str(self.tmp), XDG_CACHE_HOME=str(self.home / ".cache"),
                   XDG_CONFIG_HOME=str(self.home / ".config"), PYTHONPATH=str(ROOT),
                   PYTHONDONTWRITEBYTECODE="1")
        return env

    def run_cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=self.work,
                              env=self.env(), input=stdin, capture_output=True, text=True,
                              timeout=120)


def files_under(roots: Iterable[Path]) -> list[Path]:
    out = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in (".git", ".venv")]
            out += [Path(dirpath) / name for name in filenames]
            out += [Path(dirpath) / name for name in dirnames]
    return out


def encodings_of(needle: str) -> list[bytes]:
    return [needle.encode("utf-8"), needle.encode("utf-16-le"), needle.encode("utf-16-be")]


def hits(roots: Iterable[Path], needle: str, *, skip: Iterable[Path] = ()) -> list[str]:
    """Files (or folders) whose path or content holds `needle` (UTF-8 or UTF-16)."""
    skip = {Path(p).resolve() for p in skip}
    patterns = encodings_of(needle)
    found = []
    for path in files_under(roots):
        if needle in str(path):
            found.append(f"name: {path}")
        if path.resolve() in skip or not path.is_file() or path.is_symlink():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(p in data for p in patterns):
            found.append(f"content: {path}")
    return found
