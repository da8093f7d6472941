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

# (column title, option text key) in display order.
ASPECTS = (
    ("Goal", "goal_text"),
    ("How it is done", "involves"),
    ("Time in hospital", "hospital_stay"),
    ("Recovery", "recovery"),
    ("Common side effects", "side_effects"),
    ("When it fits", "fits_when"),
)
OPTION_COLUMN = "Option"
VERDICT_COLUMN = "Verdict"


def comparison_frame(content: Content, assessment: Assessment,
                     option_ids: Iterable[str] | None = None, lang: str = "en") -> pd.DataFrame:
    """The chosen options (all when `option_ids` is None) side by side on each aspect."""
    wanted = None if option_ids is None else set(option_ids)
    rows = []
    for option in content.options:
        if wanted is not None and option.id not in wanted:
            continue
        result = assessment.result(option.id)
        row = {OPTION_COLUMN: option.name(lang),
               VERDICT_COLUMN: verdict_words(result.verdict, content, lang)}
        for title, key in ASPECTS:
            row[title] = _cell(option_text(content, assessment, option.id, key, lang))
        rows.append(row)
    columns = [OPTION_COLUMN, VERDICT_COLUMN, *(title for title, _ in ASPECTS)]
    frame = pd.DataFrame(rows, columns=columns, dtype="str")
    return frame.set_index(OPTION_COLUMN)


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()) or "–"
