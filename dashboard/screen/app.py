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
from dashboard.screen import form, frame, results, sheet_panel

st.set_page_config(page_title=frame.TITLE, page_icon="🩺", layout="wide")


def consultation() -> None:
    """One patient: factor form -> assess -> messages -> options side by side -> sheet."""
    content = frame.load()
    frame.header(content, today=date.today())
    entered = form.factor_form(content)
    if entered.data is None:
        form.show_waiting()
        return
    assessment = assess(entered.data, content)
    form.show_issues(content, entered, assessment)
    if assessment.ok and form.values_confirmed(content, assessment):
        results.show_results(content, assessment)
        sheet_panel.sheet_panel(content, assessment)


def main() -> None:
    frame.sweep_after_reset()  # just after "New patient": one more run releases the old sheet
    if frame.ready_content() is None:  # signed out, fonts broken or content broken: stop here
        st.stop()
    pages = [st.Page(consultation, title="Consultation", icon="🩺", default=True),
             st.Page("clinic_day.py", title="Prepare a clinic day", icon="📋")]
    st.navigation(pages, position="top" if len(pages) > 1 else "hidden").run()


try:
    main()
except Exception as exc:  # noqa: BLE001 - st.stop()/st.rerun() are not Exceptions
    frame.unexpected_error(exc)
