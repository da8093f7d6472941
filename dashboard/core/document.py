"""The discussion sheet as blocks: what a renderer receives, every string in print order.

The renderer (dashboard/adapters/pdf/) draws these blocks and decides nothing: wording, order and
selection are settled in core/sheet.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 section heading, 2 sub-heading


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: Literal["body", "small", "lead"] = "body"
    user_field: str = ""  # set when the text was typed by a user: named in unprintable-text errors


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class LabelledValue:
    """A header line such as "Name: ___"; an empty value prints a line to write on."""

    label: str
    value: str
    user_field: str = ""
    half: bool = False  # two half-width values in a row are printed side by side


@dataclass(frozen=True)
class OptionTable:
    """The Option Grid: one column per option (at most 4 per table), one row per question."""

    row_header: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (aspect label, one cell per column)
    short_columns: tuple[str, ...] = ()  # the options' short names, for a continued grid


@dataclass(frozen=True)
class WriteLines:
    count: int


@dataclass(frozen=True)
class TickBoxes:
    items: tuple[str, ...]
    per_line: int = 1  # 2: short items side by side


@dataclass(frozen=True)
class Glossary:
    entries: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PageBreak:
    """Start a new page (before the optional "More about each option" pages)."""


Block = (Heading | Paragraph | Bullets | LabelledValue | OptionTable | WriteLines | TickBoxes
         | Glossary | PageBreak)


@dataclass(frozen=True)
class DiscussionSheet:
    title: str  # printed at the top of page 1
    metadata_title: str  # PDF document title: never the patient's name
    lang: str  # document language, e.g. "en-CA"
    footer_lines: tuple[str, ...]  # printed on every page: the disclaimer line
    page_label: str  # last footer line, e.g. "Page {page} of {pages} · Check code …"
    blocks: tuple[Block, ...]
    large_print: bool = False
    paper: Literal["a4", "letter"] = "letter"
    fit_pages: int = 0  # the page target (0: none); the renderer tightens spacing to meet it
    file_name: str = "discussion-sheet.pdf"  # generic: never the patient's name
