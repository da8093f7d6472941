"""pandas adapter: content and an Assessment -> the comparison DataFrame (no Streamlit here).

One row per option in the fixed content order; every cell is a plain string built here, so the
table can never show NaN, "nan" or "None" (pandas 3 infers the `str` dtype for these columns).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dashboard.core.assessment import Assessment
from dashboard.core.content import Content
from dashboard.core.explain import option_text, verdict_words

OPTION_COLUMN = "Option"
VERDICT_COLUMN = "Verdict"


def comparison_frame(content: Content, assessment: Assessment,
                     option_ids: Iterable[str] | None = None, lang: str = "en") -> pd.DataFrame:
    """The chosen options (all when `option_ids` is None) side by side on each aspect."""
    wanted = None if option_ids is None else set(option_ids)
    aspects = comparison_aspects(content, lang)
    rows = []
    for option in content.options:
        if wanted is not None and option.id not in wanted:
            continue
        result = assessment.result(option.id)
        row = {OPTION_COLUMN: option.name(lang),
               VERDICT_COLUMN: verdict_words(result.verdict, content, lang)}
        for title, keys in aspects:
            row[title] = _cell(" ".join(option_text(content, assessment, option.id, key, lang)
                                        or "" for key in keys))
        rows.append(row)
    columns = [OPTION_COLUMN, VERDICT_COLUMN, *(title for title, _ in aspects)]
    frame = pd.DataFrame(rows, columns=columns, dtype="str")
    return frame.set_index(OPTION_COLUMN)


def comparison_aspects(content: Content, lang: str = "en") -> list[tuple[str, tuple[str, ...]]]:
    """(column title, option text keys) in display order: the aspects the sheet compares on
    (content/sheet.toml [[aspects]], the same list), then when each option fits."""
    return [*((content.string(f"sheet.more_{a.id}", lang), a.detail) for a in content.aspects),
            (content.string("ui.compare_fits", "en"), ("fits_when",))]


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()) or "–"
