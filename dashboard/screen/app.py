"""The dashboard's entry point (`streamlit run dashboard/screen/app.py`): frame, then the page.

The frame (sign-in, self-test, content) runs on every rerun of every page; `st.navigation`
then runs the page the clinician chose. Each page reads as a pipeline of steps.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

# `streamlit run` adds only this folder to sys.path; add the repo root so
# `import dashboard...` works here exactly as it does under pytest.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from dashboard.core.engine import assess
from dashboard.screen import form, frame, results, sheet_panel, view

st.set_page_config(page_title=frame.TITLE, page_icon="🩺", layout="wide")


def consultation() -> None:
    """One patient: factor form beside the options (live) -> messages -> sheet."""
    content = frame.load()
    frame.header(content, today=date.today())
    left, right = frame.panes()
    with left:
        entered = form.factor_form(content)
    with right:
        if entered.data is None:
            st.header(view.words(content, "options_heading"), anchor="options")
            form.show_waiting(content)
            sheet_panel.keep_while_hidden()
            return
        assessment = assess(entered.data, content)
        issues = view.screen_issues(content, entered.data, assessment)
        form.show_messages(content, entered, issues)
        if issues.errors:
            st.header(view.words(content, "options_heading"), anchor="options")
            form.error_list(content, entered, issues)
            sheet_panel.keep_while_hidden()  # a slip in the form loses nothing typed below
            return
        if not form.values_confirmed(content, assessment, entered.data):
            sheet_panel.keep_while_hidden()
            return
        results.show_results(content, assessment, entered.data)
    results.show_comparison(content, assessment)
    sheet_panel.sheet_panel(content, assessment, entered.data)


def main() -> None:
    frame.sweep_after_reset()  # just after "New patient": one more run releases the old sheet
    content = frame.ready_content()
    if content is None:  # signed out, fonts broken or content broken: stop here
        st.stop()
    pages = [st.Page(consultation, title=view.words(content, "page_consultation"), icon="🩺",
                     default=True),
             st.Page("clinic_day.py", title=content.string("clinic_day.page_title"),
                     icon="📋")]
    st.navigation(pages, position="top" if len(pages) > 1 else "hidden").run()


try:
    main()
except Exception as exc:  # noqa: BLE001 - st.stop()/st.rerun() are not Exceptions
    frame.unexpected_error(exc)
