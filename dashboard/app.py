"""The consultation screen (`streamlit run dashboard/app.py`): a pipeline of ui.* steps.

load content (cached, shared, immutable) -> factor form -> assess -> messages -> results -> sheet
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

# `streamlit run` adds only this folder to sys.path; add the repo root so
# `import dashboard...` works here exactly as it does under pytest.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402 (after the path bootstrap)

from dashboard import selftest, ui  # noqa: E402
from dashboard.core.engine import assess  # noqa: E402
from dashboard.core.loader import ContentError, load_content  # noqa: E402

st.set_page_config(page_title=ui.TITLE, page_icon="🩺",
                   layout="wide")


@st.cache_resource(show_spinner=False)
def _content():
    """Static content, validated once per process and shared by every session (immutable)."""
    return load_content()


@st.cache_resource(show_spinner=False)
def _font_problems() -> tuple[str, ...]:
    """Start-up self-test of the sheet's fonts, once per process (no patient data)."""
    return tuple(selftest.font_problems())


def main() -> None:
    ui.sweep_after_reset()  # just after "New patient": one more run releases the old sheet
    if not ui.signed_in():  # server mode: nothing clinical before sign-in
        st.stop()
    problems = _font_problems()
    if problems:
        ui.start_up_error(problems)
        st.stop()
    try:
        content = _content()
    except ContentError as exc:
        ui.content_error(exc)
        st.stop()

    ui.header(content, today=date.today())
    form = ui.factor_form(content)
    if form.data is None:
        ui.show_waiting()
        st.stop()
    assessment = assess(form.data, content)
    ui.show_issues(content, form, assessment)
    if assessment.ok and ui.values_confirmed(content, assessment):
        ui.show_results(content, assessment)
        ui.sheet_panel(content, assessment)


try:
    main()
except Exception as exc:  # noqa: BLE001 - st.stop()/st.rerun() are not Exceptions
    ui.unexpected_error(exc)
