"""PDF adapter (fpdf2): the discussion sheet renderer and the bundled fonts.

    fonts.py     which font draws which script; pre-flight of every string; registration
    table.py     table geometry and pagination from a measuring function (no fpdf2)
    document.py  DiscussionSheet -> PDF bytes
"""

from __future__ import annotations

from .document import count_pages, render, render_counted, shared_measurements
from .fonts import UnprintableText, load_fonts, printable

__all__ = ["UnprintableText", "count_pages", "load_fonts", "printable", "render",
           "render_counted", "shared_measurements"]
